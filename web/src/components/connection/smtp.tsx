import type { Security } from '../../types';
import { createBody, KEPT, text, type ConnectionKind, type Draft } from './kinds';
import { authBody, authDraft, OAuth2Fields, presetOf, PROVIDERS, SECURITY_TITLE, type Provider } from './smtp-auth';
import { dkimBody, dkimDraft, DkimFields } from './smtp-dkim';

const DEFAULT_PORT: Record<Security, number> = { starttls: 587, tls: 465, none: 25 };
const SHOWN = new Set(['host', 'security', 'port', 'username', 'password', 'defaultFrom', 'envelopeFrom', 'clientName', 'ca', 'maxConnections', 'rateLimit']);
/** API fields (dotted paths) whose draft field has another name. */
const DRAFT_FIELD: Record<string, string> = {
  auth: 'authType',
  'auth.type': 'authType',
  'auth.provider': 'provider',
  'auth.tenantId': 'tenantId',
  'auth.tokenUrl': 'tokenUrl',
  'auth.clientId': 'clientId',
  'auth.clientSecret': 'clientSecret',
  'auth.refreshToken': 'refreshToken',
  'auth.scope': 'scope',
  'auth.user': 'user',
  dkim: 'dkimDomain',
  'dkim.domainName': 'dkimDomain',
  'dkim.keySelector': 'dkimSelector',
  'dkim.privateKey': 'dkimKey',
  'rateLimit.perSeconds': 'ratePerSeconds',
};

/** A number as typed; what is not one goes as typed, so that the API says what is wrong with it at its field. */
const num = (v: string | boolean): number | string | null => (text(v) === '' ? null : Number.isFinite(Number(text(v))) ? Number(text(v)) : text(v));

export const smtpKind: ConnectionKind = {
  type: 'smtp',
  title: 'SMTP',
  purpose: 'An SMTP server that workflows and the API send email through.',
  draftOf(c) {
    const draft: Draft = {
      host: c?.host ?? '',
      port: String(c?.port ?? 587),
      security: c?.security ?? 'starttls',
      username: c?.username ?? '',
      password: '',
      defaultFrom: c?.defaultFrom ?? '',
      envelopeFrom: c?.envelopeFrom ?? '',
      verify: c?.rejectUnauthorized !== false,
      ca: c?.ca ?? '',
      clientName: c?.clientName ?? '',
      maxConnections: c?.maxConnections ? String(c.maxConnections) : '',
      rateMessages: c?.rateLimit ? String(c.rateLimit.messages) : '',
      ratePerSeconds: c?.rateLimit ? String(c.rateLimit.perSeconds) : '',
      ...authDraft(c),
      ...dkimDraft(c),
    };
    // What the provider filled in shows as its preset (empty), so that another provider brings its own server.
    const preset = presetOf(draft);
    if (preset) {
      if (draft.host === preset.host) draft.host = '';
      if (draft.port === String(preset.port)) draft.port = '';
      if (draft.security === preset.security) draft.security = '';
    }
    return draft;
  },
  bodyOf(d, before) {
    const opt = (v: string | boolean): string | null => text(v) || null;
    const body: Record<string, unknown> = {
      host: opt(d.host),
      port: num(d.port),
      security: d.security || null,
      ...authBody(d, before),
      defaultFrom: opt(d.defaultFrom),
      envelopeFrom: opt(d.envelopeFrom),
      rejectUnauthorized: d.verify,
      ca: opt(d.ca),
      clientName: opt(d.clientName),
      maxConnections: num(d.maxConnections),
      rateLimit: text(d.rateMessages) && text(d.ratePerSeconds) ? { messages: num(d.rateMessages), perSeconds: num(d.ratePerSeconds) } : null,
      dkim: dkimBody(d),
    };
    if (before) return body;
    // On create, absent is the way to say "none".
    if (body.rejectUnauthorized === true) delete body.rejectUnauthorized;
    return createBody(body);
  },
  fieldOf: (apiField) => {
    const head = apiField.split(/[.[]/)[0];
    return DRAFT_FIELD[apiField] ?? (SHOWN.has(head) ? head : undefined);
  },
  Fields(props) {
    const { draft: d, set, existing, field, id } = props;
    const str = (k: string): string => String(d[k] ?? '');
    const preset = presetOf(d);
    /**
     * A provider with no server typed in takes the provider's whole server (empty fields); leaving
     * the presets, an empty security and port become the usual defaults again.
     */
    const choose = (patch: Draft): void => {
      const next = { ...d, ...patch };
      if (presetOf(next) && text(next.host) === '') set({ ...patch, port: '', security: '' });
      else if (!presetOf(next) && next.security === '') set({ ...patch, security: 'starttls', port: text(next.port) || '587' });
      else set(patch);
    };
    const changeSecurity = (security: Security | ''): void => {
      const follows = d.port === '' || d.port === String(DEFAULT_PORT[d.security as Security]);
      set({ security, ...(follows ? { port: security === '' ? '' : String(DEFAULT_PORT[security]) } : {}) });
    };
    const passwordKept = existing?.secretsSet.includes('password');
    return (
      <>
        <div className="grid-2">
          {field('authType', 'Authentication', (p) => (
            <select {...p} value={str('authType')} onChange={(e) => choose({ authType: e.target.value })}>
              <option value="password">Password (user name and password)</option>
              <option value="oauth2">OAuth2 (Microsoft 365, Google, other)</option>
            </select>
          ), d.authType === 'oauth2' ? 'SASL XOAUTH2: smtpflow gets and renews the access tokens.' : undefined)}
          {d.authType === 'oauth2' &&
            field('provider', 'Provider', (p) => (
              <select {...p} value={str('provider')} onChange={(e) => choose({ provider: e.target.value })}>
                {Object.entries(PROVIDERS).map(([value, provider]) => (
                  <option key={value} value={value}>
                    {provider.title}
                  </option>
                ))}
                <option value="">Other OAuth2 server</option>
              </select>
            ), preset ? PROVIDERS[d.provider as Provider].grants : 'A refresh token means the refresh-token grant; without one, client credentials.')}
          {field('host', 'SMTP server address', (p) => (
            <input {...p} required={!preset} value={str('host')} onChange={(e) => set({ host: e.target.value })} placeholder={preset?.host ?? 'smtp.example.com'} autoCapitalize="off" spellCheck={false} />
          ), preset ? `Leave empty for ${preset.title}'s server, ${preset.host}.` : undefined)}
          {field('security', 'Security', (p) => (
            <select {...p} value={str('security')} onChange={(e) => changeSecurity(e.target.value as Security | '')}>
              {preset && <option value="">{`As ${preset.title}: ${SECURITY_TITLE[preset.security]} (port ${preset.port})`}</option>}
              <option value="starttls">STARTTLS (port 587)</option>
              <option value="tls">Implicit TLS (port 465)</option>
              <option value="none">None, clear text (port 25)</option>
            </select>
          ))}
          {field('port', 'Port', (p) => <input {...p} required={!preset} inputMode="numeric" value={str('port')} onChange={(e) => set({ port: e.target.value })} placeholder={preset ? String(preset.port) : undefined} />)}
          {d.authType !== 'oauth2' && (
            <>
              {field('username', 'User name', (p) => <input {...p} value={str('username')} onChange={(e) => set({ username: e.target.value })} autoComplete="off" autoCapitalize="off" />)}
              {field('password', 'Password', (p) => (
                <input {...p} type="password" value={str('password')} onChange={(e) => set({ password: e.target.value })} autoComplete="new-password" placeholder={passwordKept ? KEPT : ''} />
              ), existing ? `${passwordKept ? 'Set — leave empty to keep. ' : ''}Stored encrypted; never shown again.` : undefined)}
            </>
          )}
          {field('defaultFrom', 'Default sender', (p) => <input {...p} value={str('defaultFrom')} onChange={(e) => set({ defaultFrom: e.target.value })} placeholder="Name <sender@example.com>" />, 'Used when an email has no From.')}
        </div>
        {d.authType === 'oauth2' && <OAuth2Fields {...props} />}
        <details className="advanced">
          <summary>Advanced: TLS, envelope sender, EHLO name, DKIM</summary>
          <div className="grid-2">
            <div className="field checkbox span-2">
              <input id={`${id}-verify`} type="checkbox" checked={d.verify === true} onChange={(e) => set({ verify: e.target.checked })} />
              <label htmlFor={`${id}-verify`}>Verify the server's TLS certificate</label>
            </div>
            {field('envelopeFrom', 'Envelope sender (MAIL FROM)', (p) => <input {...p} inputMode="email" value={str('envelopeFrom')} onChange={(e) => set({ envelopeFrom: e.target.value })} autoCapitalize="off" spellCheck={false} placeholder="bounces@example.com" />, 'Where bounces go, when not to the From address. Cover it with your SPF record.')}
            {field('clientName', 'EHLO name', (p) => <input {...p} value={str('clientName')} onChange={(e) => set({ clientName: e.target.value })} autoCapitalize="off" spellCheck={false} placeholder="this machine's name" />, 'The name smtpflow greets the server with; some servers check it.')}
            {field('ca', 'Extra trusted CA (PEM)', (p) => <textarea {...p} rows={3} value={str('ca')} onChange={(e) => set({ ca: e.target.value })} placeholder="-----BEGIN CERTIFICATE-----" />)}
            {field('maxConnections', 'Pooled connections', (p) => <input {...p} inputMode="numeric" value={str('maxConnections')} onChange={(e) => set({ maxConnections: e.target.value })} placeholder="5" />)}
            {field('rateLimit', 'Rate limit: messages', (p) => <input {...p} inputMode="numeric" value={str('rateMessages')} onChange={(e) => set({ rateMessages: e.target.value })} />)}
            {field('ratePerSeconds', '… per seconds', (p) => <input {...p} inputMode="decimal" value={str('ratePerSeconds')} onChange={(e) => set({ ratePerSeconds: e.target.value })} />)}
            <DkimFields {...props} />
          </div>
        </details>
      </>
    );
  },
};
