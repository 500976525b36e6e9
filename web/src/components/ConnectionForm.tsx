import { useId, useState, type FormEvent, type ReactNode } from 'react';
import { ApiError, api, errorText } from '../api';
import type { Connection, ConnectionInput, Security } from '../types';

const SHOWN = new Set(['name', 'host', 'security', 'port', 'username', 'password', 'defaultFrom', 'clientName', 'ca', 'maxConnections', 'rateLimit']);
const fieldHead = (field: string): string => field.split(/[.[]/)[0];
const DEFAULT_PORT: Record<Security, number> = { starttls: 587, tls: 465, none: 25 };

interface Draft {
  name: string;
  host: string;
  port: string;
  security: Security;
  username: string;
  password: string;
  defaultFrom: string;
  verify: boolean;
  ca: string;
  clientName: string;
  maxConnections: string;
  rateMessages: string;
  ratePerSeconds: string;
}

function draftOf(c?: Connection): Draft {
  return {
    name: c?.name ?? '',
    host: c?.host ?? '',
    port: String(c?.port ?? 587),
    security: c?.security ?? 'starttls',
    username: c?.username ?? '',
    password: '',
    defaultFrom: c?.defaultFrom ?? '',
    verify: c?.rejectUnauthorized !== false,
    ca: c?.ca ?? '',
    clientName: c?.clientName ?? '',
    maxConnections: c?.maxConnections ? String(c.maxConnections) : '',
    rateMessages: c?.rateLimit ? String(c.rateLimit.messages) : '',
    ratePerSeconds: c?.rateLimit ? String(c.rateLimit.perSeconds) : '',
  };
}

/** The body for create, or (with `before`) a JSON merge patch: '' clears a field, a blank password keeps it. */
function bodyOf(d: Draft, before?: Connection): Record<string, unknown> {
  const text = (v: string): string | null => (v.trim() === '' ? null : v.trim());
  const num = (v: string): number | null => (v.trim() === '' ? null : Number(v));
  const body: Record<string, unknown> = {
    host: d.host.trim(),
    port: Number(d.port),
    security: d.security,
    username: text(d.username),
    defaultFrom: text(d.defaultFrom),
    rejectUnauthorized: d.verify,
    ca: text(d.ca),
    clientName: text(d.clientName),
    maxConnections: num(d.maxConnections),
    rateLimit: d.rateMessages.trim() && d.ratePerSeconds.trim() ? { messages: Number(d.rateMessages), perSeconds: Number(d.ratePerSeconds) } : null,
  };
  if (d.password !== '') body.password = d.password;
  if (before) return body;
  // On create, absent is the way to say "none".
  for (const k of Object.keys(body)) if (body[k] === null) delete body[k];
  if (body.rejectUnauthorized === true) delete body.rejectUnauthorized;
  return { name: d.name.trim(), ...body };
}

export function ConnectionForm({ existing, onSaved, onCancel, compact }: { existing?: Connection; onSaved: (c: Connection) => void; onCancel?: () => void; compact?: boolean }) {
  const [d, setD] = useState<Draft>(() => draftOf(existing));
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const id = useId();
  const set = <K extends keyof Draft>(k: K, v: Draft[K]): void => setD((prev) => ({ ...prev, [k]: v }));
  const fieldError = (name: string): string | undefined => (error instanceof ApiError && error.field !== undefined && fieldHead(error.field) === name ? error.message : undefined);

  const changeSecurity = (security: Security): void =>
    setD((prev) => ({ ...prev, security, port: prev.port === String(DEFAULT_PORT[prev.security]) ? String(DEFAULT_PORT[security]) : prev.port }));

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const saved = existing ? await api.connections.update(existing.name, bodyOf(d, existing)) : await api.connections.create(bodyOf(d) as unknown as ConnectionInput);
      onSaved(saved);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const field = (name: string, label: string, control: (props: { id: string; 'aria-invalid'?: boolean; 'aria-describedby'?: string }) => ReactNode, hint?: string): ReactNode => {
    const fid = `${id}-${name}`;
    const problem = fieldError(name);
    const describedBy = [hint ? `${fid}-hint` : '', problem ? `${fid}-error` : ''].filter(Boolean).join(' ') || undefined;
    return (
      <div className="field">
        <label htmlFor={fid}>{label}</label>
        {control({ id: fid, 'aria-invalid': problem ? true : undefined, 'aria-describedby': describedBy })}
        {hint && <small id={`${fid}-hint`} className="hint">{hint}</small>}
        {problem && <small id={`${fid}-error`} className="field-error" role="alert">{problem}</small>}
      </div>
    );
  };

  const secretSet = existing?.secretsSet.includes('password');
  return (
    <form className={compact ? 'connection-form compact' : 'connection-form card'} onSubmit={submit} aria-label={existing ? `Edit connection ${existing.name}` : 'New SMTP connection'}>
      {!compact && <h2>{existing ? `Edit ${existing.name}` : 'New SMTP connection'}</h2>}
      <div className="grid-2">
        {field('name', 'Connection name', (p) => <input {...p} required value={d.name} disabled={!!existing} onChange={(e) => set('name', e.target.value)} placeholder="e.g. office-mail" />)}
        {field('host', 'SMTP server address', (p) => <input {...p} required value={d.host} onChange={(e) => set('host', e.target.value)} placeholder="smtp.example.com" autoCapitalize="off" />)}
        {field('security', 'Security', (p) => (
          <select {...p} value={d.security} onChange={(e) => changeSecurity(e.target.value as Security)}>
            <option value="starttls">STARTTLS (port 587)</option>
            <option value="tls">Implicit TLS (port 465)</option>
            <option value="none">None, clear text (port 25)</option>
          </select>
        ))}
        {field('port', 'Port', (p) => <input {...p} required inputMode="numeric" value={d.port} onChange={(e) => set('port', e.target.value)} />)}
        {field('username', 'User name', (p) => <input {...p} value={d.username} onChange={(e) => set('username', e.target.value)} autoComplete="off" autoCapitalize="off" />)}
        {field('password', 'Password', (p) => (
          <input {...p} type="password" value={d.password} onChange={(e) => set('password', e.target.value)} autoComplete="new-password" placeholder={secretSet ? 'unchanged (type to replace)' : ''} />
        ), existing ? 'Stored encrypted; never shown again.' : undefined)}
        {field('defaultFrom', 'Default sender', (p) => <input {...p} value={d.defaultFrom} onChange={(e) => set('defaultFrom', e.target.value)} placeholder="Name <sender@example.com>" />, 'Used when an email has no From.')}
      </div>
      <details className="advanced">
        <summary>Advanced TLS and delivery options</summary>
        <div className="grid-2">
          <div className="field checkbox">
            <input id={`${id}-verify`} type="checkbox" checked={d.verify} onChange={(e) => set('verify', e.target.checked)} />
            <label htmlFor={`${id}-verify`}>Verify the server's TLS certificate</label>
          </div>
          {field('clientName', 'EHLO name', (p) => <input {...p} value={d.clientName} onChange={(e) => set('clientName', e.target.value)} placeholder="this machine's name" />)}
          {field('ca', 'Extra trusted CA (PEM)', (p) => <textarea {...p} rows={3} value={d.ca} onChange={(e) => set('ca', e.target.value)} placeholder="-----BEGIN CERTIFICATE-----" />)}
          {field('maxConnections', 'Pooled connections', (p) => <input {...p} inputMode="numeric" value={d.maxConnections} onChange={(e) => set('maxConnections', e.target.value)} placeholder="5" />)}
          {field('rateLimit', 'Rate limit: messages', (p) => <input {...p} inputMode="numeric" value={d.rateMessages} onChange={(e) => set('rateMessages', e.target.value)} />)}
          {field('ratePerSeconds', '… per seconds', (p) => <input {...p} inputMode="decimal" value={d.ratePerSeconds} onChange={(e) => set('ratePerSeconds', e.target.value)} />)}
        </div>
      </details>
      {error !== undefined && !(error instanceof ApiError && error.field && SHOWN.has(fieldHead(error.field))) && (
        <p className="error-box" role="alert">
          {errorText(error)}
        </p>
      )}
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Saving…' : existing ? 'Save changes' : 'Create connection'}
        </button>
        {onCancel && (
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}
