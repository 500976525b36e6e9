import type { Security } from '../../types';
import { createBody, text, type ConnectionKind } from './kinds';

const DEFAULT_PORT: Record<Security, number> = { starttls: 587, tls: 465, none: 25 };
const SHOWN = new Set(['host', 'security', 'port', 'username', 'password', 'defaultFrom', 'clientName', 'ca', 'maxConnections', 'rateLimit']);

export const smtpKind: ConnectionKind = {
  type: 'smtp',
  title: 'SMTP',
  purpose: 'An SMTP server that workflows and the API send email through.',
  draftOf: (c) => ({
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
  }),
  bodyOf(d, before) {
    const opt = (v: string | boolean): string | null => text(v) || null;
    const num = (v: string | boolean): number | null => (text(v) === '' ? null : Number(text(v)));
    const body: Record<string, unknown> = {
      host: text(d.host),
      port: Number(text(d.port)),
      security: d.security,
      username: opt(d.username),
      defaultFrom: opt(d.defaultFrom),
      rejectUnauthorized: d.verify,
      ca: opt(d.ca),
      clientName: opt(d.clientName),
      maxConnections: num(d.maxConnections),
      rateLimit: text(d.rateMessages) && text(d.ratePerSeconds) ? { messages: Number(text(d.rateMessages)), perSeconds: Number(text(d.ratePerSeconds)) } : null,
    };
    if (d.password !== '') body.password = d.password;
    if (before) return body;
    // On create, absent is the way to say "none".
    if (body.rejectUnauthorized === true) delete body.rejectUnauthorized;
    return createBody(body);
  },
  fieldOf: (apiField) => {
    const head = apiField.split(/[.[]/)[0];
    return SHOWN.has(head) ? head : undefined;
  },
  Fields({ draft: d, set, existing, field, id }) {
    const changeSecurity = (security: Security): void => set({ security, ...(d.port === String(DEFAULT_PORT[d.security as Security]) ? { port: String(DEFAULT_PORT[security]) } : {}) });
    const str = (k: string): string => String(d[k] ?? '');
    return (
      <>
        <div className="grid-2">
          {field('host', 'SMTP server address', (p) => <input {...p} required value={str('host')} onChange={(e) => set({ host: e.target.value })} placeholder="smtp.example.com" autoCapitalize="off" />)}
          {field('security', 'Security', (p) => (
            <select {...p} value={str('security')} onChange={(e) => changeSecurity(e.target.value as Security)}>
              <option value="starttls">STARTTLS (port 587)</option>
              <option value="tls">Implicit TLS (port 465)</option>
              <option value="none">None, clear text (port 25)</option>
            </select>
          ))}
          {field('port', 'Port', (p) => <input {...p} required inputMode="numeric" value={str('port')} onChange={(e) => set({ port: e.target.value })} />)}
          {field('username', 'User name', (p) => <input {...p} value={str('username')} onChange={(e) => set({ username: e.target.value })} autoComplete="off" autoCapitalize="off" />)}
          {field('password', 'Password', (p) => (
            <input {...p} type="password" value={str('password')} onChange={(e) => set({ password: e.target.value })} autoComplete="new-password" placeholder={existing?.secretsSet.includes('password') ? 'unchanged (type to replace)' : ''} />
          ), existing ? 'Stored encrypted; never shown again.' : undefined)}
          {field('defaultFrom', 'Default sender', (p) => <input {...p} value={str('defaultFrom')} onChange={(e) => set({ defaultFrom: e.target.value })} placeholder="Name <sender@example.com>" />, 'Used when an email has no From.')}
        </div>
        <details className="advanced">
          <summary>Advanced TLS and delivery options</summary>
          <div className="grid-2">
            <div className="field checkbox">
              <input id={`${id}-verify`} type="checkbox" checked={d.verify === true} onChange={(e) => set({ verify: e.target.checked })} />
              <label htmlFor={`${id}-verify`}>Verify the server's TLS certificate</label>
            </div>
            {field('clientName', 'EHLO name', (p) => <input {...p} value={str('clientName')} onChange={(e) => set({ clientName: e.target.value })} placeholder="this machine's name" />)}
            {field('ca', 'Extra trusted CA (PEM)', (p) => <textarea {...p} rows={3} value={str('ca')} onChange={(e) => set({ ca: e.target.value })} placeholder="-----BEGIN CERTIFICATE-----" />)}
            {field('maxConnections', 'Pooled connections', (p) => <input {...p} inputMode="numeric" value={str('maxConnections')} onChange={(e) => set({ maxConnections: e.target.value })} placeholder="5" />)}
            {field('rateLimit', 'Rate limit: messages', (p) => <input {...p} inputMode="numeric" value={str('rateMessages')} onChange={(e) => set({ rateMessages: e.target.value })} />)}
            {field('ratePerSeconds', '… per seconds', (p) => <input {...p} inputMode="decimal" value={str('ratePerSeconds')} onChange={(e) => set({ ratePerSeconds: e.target.value })} />)}
          </div>
        </details>
      </>
    );
  },
};
