import { useState } from 'react';
import { api } from '../api';
import { ConnectionForm } from '../components/ConnectionForm';
import { PROVIDERS } from '../components/connection/smtp-auth';
import { ErrorBox } from '../components/ErrorBox';
import { TestReport } from '../components/TestReport';
import { useResource } from '../hooks';
import type { Connection, ConnectionTestReport } from '../types';

const SECURITY: Record<string, string> = { starttls: 'STARTTLS', tls: 'TLS', none: 'no encryption' };
const GRANTS: Record<string, string> = { clientCredentials: 'client credentials', jwtBearer: 'JWT bearer', refreshToken: 'refresh token', password: 'user name and password' };

export function ConnectionsPage() {
  const list = useResource(() => api.connections.list(), []);
  const [editing, setEditing] = useState<Connection | 'new' | null>(null);

  const saved = (): void => {
    setEditing(null);
    void list.reload();
  };

  return (
    <section className="page" aria-labelledby="connections-title">
      <div className="page-head">
        <h1 id="connections-title">Connections</h1>
        <button type="button" className="primary" onClick={() => setEditing('new')}>
          + New connection
        </button>
      </div>
      <p className="muted">SMTP servers that workflows and the API send through, and the Salesforce orgs and PostgreSQL databases whose new records start workflows.</p>
      {editing === 'new' && <ConnectionForm onSaved={saved} onCancel={() => setEditing(null)} />}
      <ErrorBox error={list.error} />
      {list.loading && !list.data && <p className="muted">Loading…</p>}
      {list.data?.length === 0 && editing !== 'new' && <p className="empty">No connection yet. Create one to start sending email.</p>}
      <ul className="card-list">
        {list.data?.map((c) =>
          editing !== 'new' && editing?.name === c.name ? (
            <li key={c.name}>
              {/* Cancel reloads too: a DKIM key generated while editing is already stored. */}
              <ConnectionForm existing={c} onSaved={saved} onCancel={saved} />
            </li>
          ) : (
            <ConnectionItem key={c.name} connection={c} onEdit={() => setEditing(c)} onDeleted={() => void list.reload()} />
          ),
        )}
      </ul>
    </section>
  );
}

function ConnectionItem({ connection: c, onEdit, onDeleted }: { connection: Connection; onEdit: () => void; onDeleted: () => void }) {
  const [report, setReport] = useState<ConnectionTestReport>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState<'test' | 'delete' | null>(null);
  const [confirming, setConfirming] = useState(false);

  const test = async (): Promise<void> => {
    setBusy('test');
    setError(undefined);
    setReport(undefined);
    try {
      setReport(await api.connections.test(c.name));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };

  const remove = async (): Promise<void> => {
    setBusy('delete');
    try {
      await api.connections.remove(c.name);
      onDeleted();
    } catch (err) {
      setError(err);
      setBusy(null);
      setConfirming(false);
    }
  };

  return (
    <li className="card connection" aria-label={`Connection ${c.name}`}>
      <div className="card-head">
        <h2>{c.name}</h2>
        <span className="tag">{c.type}</span>
      </div>
      {c.type === 'salesforce' && (
        <dl className="facts">
          <dt>Login</dt>
          <dd>{c.loginUrl}</dd>
          <dt>Sign in with</dt>
          <dd>
            {GRANTS[c.auth?.type ?? ''] ?? c.auth?.type}
            {c.auth?.username && ` as ${c.auth.username}`}
          </dd>
        </dl>
      )}
      {c.type === 'postgres' && (
        <dl className="facts">
          <dt>Database</dt>
          <dd>{c.secretsSet.includes('connectionString') ? 'connection string set (stored encrypted)' : 'no connection string'}</dd>
          <dt>Schema</dt>
          <dd>{c.schema || 'public'}</dd>
        </dl>
      )}
      {c.type === 'smtp' && (
        <dl className="facts">
          <dt>Server</dt>
          <dd>
            {c.host}:{c.port} · {SECURITY[c.security ?? ''] ?? c.security}
            {c.rejectUnauthorized === false && ' · certificate not verified'}
          </dd>
          <dt>Sign in</dt>
          <dd>
            {c.auth?.type === 'oauth2'
              ? `OAuth2 (${c.auth.provider ? PROVIDERS[c.auth.provider].title : c.auth.tokenUrl}) as ${c.auth.user}`
              : c.username
                ? `${c.username}${c.secretsSet.includes('password') ? ' (password set)' : ''}`
                : 'none'}
          </dd>
          <dt>Default sender</dt>
          <dd>{c.defaultFrom || '—'}</dd>
          {c.envelopeFrom && (
            <>
              <dt>Bounces to</dt>
              <dd>{c.envelopeFrom}</dd>
            </>
          )}
          <dt>DKIM</dt>
          <dd>{c.dkim ? `signs as ${c.dkim.domainName} (${c.dkim.keySelector}._domainkey.${c.dkim.domainName})` : 'off'}</dd>
        </dl>
      )}
      <div className="actions">
        <button type="button" onClick={test} disabled={busy !== null}>
          {busy === 'test' ? 'Testing…' : 'Test'}
        </button>
        <button type="button" onClick={onEdit} disabled={busy !== null}>
          Edit
        </button>
        {confirming ? (
          <>
            <button type="button" className="danger" onClick={remove} disabled={busy !== null}>
              Delete {c.name} for good
            </button>
            <button type="button" onClick={() => setConfirming(false)}>
              Keep it
            </button>
          </>
        ) : (
          <button type="button" className="danger-outline" onClick={() => setConfirming(true)} disabled={busy !== null}>
            Delete
          </button>
        )}
      </div>
      <ErrorBox error={error} />
      {report && <TestReport report={report} name={c.name} />}
    </li>
  );
}
