import { useState } from 'react';
import { ApiError, api } from '../api';
import { ErrorBox } from '../components/ErrorBox';
import { Tabs } from '../components/Tabs';
import { size, when } from '../format';
import { useResource } from '../hooks';
import { Link, navigate } from '../router';
import type { InboxMessage } from '../types';

/** What the built-in development SMTP server caught (SPEC §5), like a local Mailpit. */
export function InboxPage({ selected }: { selected?: string }) {
  const list = useResource(() => api.inbox.list(), [], 2000);
  const [error, setError] = useState<unknown>();
  const off = list.error instanceof ApiError && list.error.status === 404;

  const clear = async (): Promise<void> => {
    try {
      await api.inbox.clear();
      navigate('/inbox');
      await list.reload();
    } catch (err) {
      setError(err);
    }
  };

  return (
    <section className={`page split ${selected ? 'has-detail' : ''}`} aria-labelledby="inbox-title">
      <div className="split-list">
        <div className="page-head">
          <h1 id="inbox-title">Inbox</h1>
          {!off && (
            <button type="button" onClick={clear} disabled={!list.data?.messages.length}>
              Empty inbox
            </button>
          )}
        </div>
        {off ? (
          <p className="empty">The development SMTP server is off (SMTPFLOW_DEV_SMTP_PORT=0), so there is no inbox.</p>
        ) : (
          <>
            <p className="muted">Mail sent to the development SMTP server (connection dev-inbox) lands here, never delivered.</p>
            <ErrorBox error={list.error ?? error} />
            {list.data?.messages.length === 0 && <p className="empty">Nothing caught yet.</p>}
            <ul className="rows" aria-label="Caught messages">
              {list.data?.messages.map((m) => (
                <li key={m.id}>
                  <Link to={`/inbox/${m.id}`} className={`row ${m.id === selected ? 'selected' : ''}`} aria-current={m.id === selected ? 'true' : undefined}>
                    <span className="row-title">{m.subject || '(no subject)'}</span>
                    <span className="row-sub">
                      {m.from} → {m.to || m.envelope.to.join(', ')}
                    </span>
                    <span className="row-meta">{when(m.receivedAt)}</span>
                  </Link>
                </li>
              ))}
            </ul>
          </>
        )}
      </div>
      {selected && <InboxDetail key={selected} id={selected} />}
    </section>
  );
}

function InboxDetail({ id }: { id: string }) {
  const message = useResource(() => api.inbox.get(id), [id]);
  const m = message.data;
  return (
    <article className="split-detail card" aria-label="Message">
      <Link to="/inbox" className="back">
        ← All messages
      </Link>
      <ErrorBox error={message.error} />
      {m && <MessageView m={m} />}
    </article>
  );
}

function MessageView({ m }: { m: InboxMessage }) {
  const [tab, setTab] = useState(m.html ? 'html' : 'text');
  const [raw, setRaw] = useState<string>();
  const [error, setError] = useState<unknown>();

  const showTab = (next: string): void => {
    setTab(next);
    if (next === 'raw' && raw === undefined) api.inbox.raw(m.id).then(setRaw, setError);
  };

  const download = async (index: number, name: string): Promise<void> => {
    try {
      const url = URL.createObjectURL(await api.inbox.attachment(m.id, index));
      const a = document.createElement('a');
      a.href = url;
      a.download = name;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (err) {
      setError(err);
    }
  };

  return (
    <>
      <h2 className="message-subject">{m.subject || '(no subject)'}</h2>
      <dl className="facts">
        <dt>From</dt>
        <dd>{m.from}</dd>
        <dt>To</dt>
        <dd>{m.to}</dd>
        {m.cc && (
          <>
            <dt>CC</dt>
            <dd>{m.cc}</dd>
          </>
        )}
        <dt>Envelope</dt>
        <dd>
          {m.envelope.from} → {m.envelope.to.join(', ')}
        </dd>
        <dt>Received</dt>
        <dd>
          {when(m.receivedAt)} · {size(m.size)}
        </dd>
      </dl>
      {m.attachments.length > 0 && (
        <ul className="attachments" aria-label="Attachments">
          {m.attachments.map((a) => (
            <li key={a.index}>
              <button type="button" onClick={() => download(a.index, a.filename ?? `attachment-${a.index}`)}>
                ⤓ {a.filename ?? `attachment ${a.index + 1}`}
              </button>
              <span className="muted">
                {a.contentType} · {size(a.size)}
                {a.inline && ' · inline'}
              </span>
            </li>
          ))}
        </ul>
      )}
      <ErrorBox error={error} />
      <Tabs
        label="Message views"
        active={tab}
        onChange={showTab}
        tabs={[
          ...(m.html
            ? [{ id: 'html', label: 'HTML', render: () => <iframe title="HTML preview" className="html-preview" sandbox="" srcDoc={m.html} /> }]
            : []),
          { id: 'text', label: 'Text', render: () => <pre className="text-body">{m.text ?? '(no text part)'}</pre> },
          {
            id: 'headers',
            label: 'Headers',
            render: () => (
              <table className="headers">
                <tbody>
                  {m.headers.map((h, i) => (
                    <tr key={i}>
                      <th scope="row">{h.name}</th>
                      <td>{h.value}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ),
          },
          { id: 'raw', label: 'Source', render: () => <pre className="raw">{raw ?? 'Loading…'}</pre> },
        ]}
      />
    </>
  );
}
