import { useState } from 'react';
import { api } from '../api';
import { ErrorBox } from '../components/ErrorBox';
import { Status } from '../components/Status';
import { duration, when } from '../format';
import { useResource } from '../hooks';
import { Link } from '../router';
import type { Attempt, MessageDetail, SmtpReply } from '../types';

const FILTERS = ['', 'queued', 'sending', 'retrying', 'sent', 'failed', 'cancelled'];

/** The outbox and history: every message, its attempts and the SMTP server's replies. */
export function MessagesPage({ selected }: { selected?: string }) {
  const [status, setStatus] = useState('');
  const list = useResource(() => api.messages.list(status || undefined), [status], 2000);

  return (
    <section className={`page split ${selected ? 'has-detail' : ''}`} aria-labelledby="messages-title">
      <div className="split-list">
        <div className="page-head">
          <h1 id="messages-title">Messages</h1>
        </div>
        <div className="filters" role="group" aria-label="Filter by status">
          {FILTERS.map((f) => (
            <button key={f} type="button" className="chip" aria-pressed={status === f} onClick={() => setStatus(f)}>
              {f || 'all'}
            </button>
          ))}
        </div>
        <ErrorBox error={list.error} />
        {list.data?.items.length === 0 && <p className="empty">{status ? `No ${status} message.` : 'No message sent yet.'}</p>}
        <ul className="rows" aria-label="Messages">
          {list.data?.items.map((m) => (
            <li key={m.id}>
              <Link to={`/messages/${m.id}`} className={`row ${m.id === selected ? 'selected' : ''}`} aria-current={m.id === selected ? 'true' : undefined}>
                <span className="row-title">
                  <Status value={m.status} /> {m.subject || '(no subject)'}
                </span>
                <span className="row-sub">
                  {m.recipients.join(', ')} · via {m.connection}
                </span>
                <span className="row-meta">
                  {when(m.createdAt)} · {m.attemptCount} attempt{m.attemptCount === 1 ? '' : 's'}
                </span>
              </Link>
            </li>
          ))}
        </ul>
      </div>
      {selected && <MessagePanel key={selected} id={selected} onChanged={() => void list.reload()} />}
    </section>
  );
}

function MessagePanel({ id, onChanged }: { id: string; onChanged: () => void }) {
  const message = useResource(() => api.messages.get(id), [id], 2000);
  const [error, setError] = useState<unknown>();
  const act = async (what: 'retry' | 'cancel'): Promise<void> => {
    setError(undefined);
    try {
      await api.messages[what](id);
      await message.reload();
      onChanged();
    } catch (err) {
      setError(err);
    }
  };
  const m = message.data;
  return (
    <article className="split-detail card" aria-label="Message details">
      <Link to="/messages" className="back">
        ← All messages
      </Link>
      <ErrorBox error={message.error ?? error} />
      {m && <MessageFacts m={m} />}
      {m && (
        <div className="actions">
          {['failed', 'cancelled', 'retrying'].includes(m.status) && (
            <button type="button" onClick={() => act('retry')}>
              Retry now
            </button>
          )}
          {['queued', 'retrying'].includes(m.status) && (
            <button type="button" className="danger-outline" onClick={() => act('cancel')}>
              Cancel sending
            </button>
          )}
        </div>
      )}
      {m && (
        <section aria-label="Attempts">
          <h3>Attempts</h3>
          {m.attempts.length === 0 ? <p className="muted">Not attempted yet.</p> : <ol className="attempts">{m.attempts.map((a) => <AttemptItem key={a.attempt} a={a} />)}</ol>}
        </section>
      )}
    </article>
  );
}

function MessageFacts({ m }: { m: MessageDetail }) {
  return (
    <>
      <h2 className="message-subject">
        <Status value={m.status} /> {m.subject || '(no subject)'}
      </h2>
      <dl className="facts">
        <dt>From</dt>
        <dd>{m.from}</dd>
        <dt>To</dt>
        <dd>{m.recipients.join(', ')}</dd>
        <dt>Connection</dt>
        <dd>{m.connection}</dd>
        <dt>Message-ID</dt>
        <dd className="mono">{m.messageId}</dd>
        <dt>Accepted</dt>
        <dd>{when(m.createdAt)}{m.runId && ` · from workflow run ${m.runId}`}</dd>
        {m.sentAt && (
          <>
            <dt>Sent</dt>
            <dd>{when(m.sentAt)}</dd>
          </>
        )}
        {m.nextAttemptAt && (
          <>
            <dt>Next attempt</dt>
            <dd>{when(m.nextAttemptAt)} (gives up {when(m.expiresAt)})</dd>
          </>
        )}
        {m.rejected.length > 0 && (
          <>
            <dt>Rejected</dt>
            <dd>{m.rejected.join(', ')}</dd>
          </>
        )}
      </dl>
      {m.error && (
        <div className="error-box" role="alert">
          {m.error.message}
          <Reply smtp={m.error.smtp} />
        </div>
      )}
    </>
  );
}

function AttemptItem({ a }: { a: Attempt }) {
  return (
    <li className={`attempt attempt-${a.outcome}`}>
      <div>
        <strong>Attempt {a.attempt}</strong> · {a.outcome === 'sent' ? 'sent' : a.outcome === 'transient' ? 'failed, will retry' : 'failed permanently'} ·{' '}
        {when(a.startedAt)} · {duration(a.startedAt, a.finishedAt)}
      </div>
      <Reply smtp={a.smtp} />
      {a.error && <p className="field-error">{a.error.message}</p>}
      {a.accepted.length > 0 && <p className="muted">Accepted: {a.accepted.join(', ')}</p>}
      {a.rejected.map((r) => (
        <p key={r.recipient} className="field-error">
          Rejected {r.recipient}: <Reply smtp={r} inline />
        </p>
      ))}
    </li>
  );
}

export function Reply({ smtp, inline }: { smtp?: SmtpReply; inline?: boolean }) {
  if (!smtp || (smtp.code === undefined && !smtp.response)) return null;
  // The server's reply line usually carries its own code already.
  const text = smtp.response && smtp.code !== undefined && smtp.response.startsWith(String(smtp.code)) ? smtp.response : [smtp.code, smtp.enhancedCode, smtp.response].filter((x) => x !== undefined && x !== '').join(' ');
  return inline ? <code className="smtp-reply">{text}</code> : <pre className="smtp-reply" aria-label="SMTP reply">{text}</pre>;
}
