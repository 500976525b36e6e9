import { createBody, KEPT, text, type ConnectionKind, type Draft } from './kinds';

type Grant = 'clientCredentials' | 'jwtBearer' | 'refreshToken' | 'password';

/** The fields each OAuth grant takes (SPEC §2); secrets are the ones never shown again. */
const GRANTS: Record<Grant, { label: string; hint: string; fields: string[] }> = {
  clientCredentials: { label: 'Client credentials (Connected App)', hint: 'The app runs as its "Run As" user. Use your My Domain URL as the login URL.', fields: ['clientId', 'clientSecret'] },
  jwtBearer: { label: 'JWT bearer (certificate)', hint: 'A pre-authorized user; the app holds the certificate of this private key.', fields: ['clientId', 'username', 'privateKey', 'audience'] },
  refreshToken: { label: 'Refresh token', hint: 'A refresh token obtained once through the web server flow.', fields: ['clientId', 'clientSecret', 'refreshToken'] },
  password: { label: 'Username and password (older orgs)', hint: 'The password, plus the security token when logging in from outside trusted IP ranges.', fields: ['clientId', 'clientSecret', 'username', 'password', 'securityToken'] },
};
const SECRETS = new Set(['clientSecret', 'privateKey', 'refreshToken', 'password', 'securityToken']);
const OPTIONAL = new Set(['audience', 'securityToken']);
const LABELS: Record<string, string> = {
  clientId: 'Consumer key (client id)',
  clientSecret: 'Consumer secret',
  username: 'Salesforce user name',
  privateKey: 'Private key (PEM)',
  audience: 'Audience (optional)',
  refreshToken: 'Refresh token',
  password: 'Password',
  securityToken: 'Security token (optional)',
};
const TOP = new Set(['loginUrl', 'instanceUrl', 'apiVersion']);

export const salesforceKind: ConnectionKind = {
  type: 'salesforce',
  title: 'Salesforce',
  purpose: 'A Salesforce org whose new or changed records start workflows.',
  draftOf: (c) => ({
    loginUrl: c?.loginUrl ?? 'https://login.salesforce.com',
    instanceUrl: c?.instanceUrl ?? '',
    apiVersion: c?.apiVersion ?? '',
    grant: c?.auth?.type ?? 'clientCredentials',
    clientId: c?.auth?.clientId ?? '',
    username: c?.auth?.username ?? '',
    audience: c?.auth?.audience ?? '',
    clientSecret: '',
    privateKey: '',
    refreshToken: '',
    password: '',
    securityToken: '',
  }),
  bodyOf(d, before) {
    const grant = d.grant as Grant;
    const auth: Record<string, unknown> = { type: grant };
    for (const key of GRANTS[grant].fields) {
      const value = key === 'privateKey' ? String(d[key] ?? '') : text(d[key]);
      // A blank secret keeps the stored one when editing the same grant; a blank optional field is none.
      if (value !== '') auth[key] = value;
      else if (before && OPTIONAL.has(key) && !SECRETS.has(key)) auth[key] = null;
    }
    const body: Record<string, unknown> = { loginUrl: text(d.loginUrl), instanceUrl: text(d.instanceUrl) || null, apiVersion: text(d.apiVersion) || null, auth };
    if (before) {
      // Another grant replaces auth as a whole (merge patch: null first drops the old grant's fields).
      if (before.auth?.type !== grant) body.auth = { ...Object.fromEntries(Object.keys(GRANTS).flatMap((g) => GRANTS[g as Grant].fields).map((k) => [k, null])), ...auth };
      return body;
    }
    return { type: 'salesforce', ...createBody(body) };
  },
  fieldOf: (apiField) => {
    const last = apiField.split('.').pop() ?? apiField;
    if (apiField === 'auth.type' || apiField === 'auth') return 'grant';
    return TOP.has(apiField) || LABELS[last] ? last : undefined;
  },
  Fields({ draft: d, set, existing, field }) {
    const grant = (d.grant as Grant) in GRANTS ? (d.grant as Grant) : 'clientCredentials';
    const str = (k: string): string => String(d[k] ?? '');
    const sameGrant = existing?.auth?.type === grant;
    const input = (key: string): ReturnType<typeof field> => {
      const secret = SECRETS.has(key);
      const kept = secret && sameGrant && existing?.secretsSet.includes(`auth.${key}`);
      return field(
        key,
        LABELS[key],
        (p) =>
          key === 'privateKey' ? (
            <textarea {...p} rows={4} className="code-input" value={str(key)} onChange={(e) => set({ [key]: e.target.value } as Draft)} placeholder={kept ? KEPT : '-----BEGIN PRIVATE KEY-----'} spellCheck={false} />
          ) : (
            <input
              {...p}
              type={secret ? 'password' : 'text'}
              required={!OPTIONAL.has(key) && !kept}
              value={str(key)}
              onChange={(e) => set({ [key]: e.target.value } as Draft)}
              autoComplete={secret ? 'new-password' : 'off'}
              autoCapitalize="off"
              placeholder={kept ? KEPT : key === 'audience' ? 'the login URL' : ''}
            />
          ),
        secret && existing ? 'Stored encrypted; never shown again.' : undefined,
      );
    };
    return (
      <>
        <div className="grid-2">
          {field('loginUrl', 'Login URL', (p) => <input {...p} required value={str('loginUrl')} onChange={(e) => set({ loginUrl: e.target.value })} autoCapitalize="off" placeholder="https://login.salesforce.com" />, 'login.salesforce.com, test.salesforce.com (sandbox) or your My Domain URL')}
          {field('grant', 'Sign in with', (p) => (
            <select {...p} value={grant} onChange={(e) => set({ grant: e.target.value })}>
              {Object.entries(GRANTS).map(([value, g]) => (
                <option key={value} value={value}>
                  {g.label}
                </option>
              ))}
            </select>
          ), GRANTS[grant].hint)}
          {GRANTS[grant].fields.map((key) => <div key={key} className={key === 'privateKey' ? 'span-2' : undefined}>{input(key)}</div>)}
        </div>
        <details className="advanced">
          <summary>Advanced API options</summary>
          <div className="grid-2">
            {field('instanceUrl', 'Instance URL', (p) => <input {...p} value={str('instanceUrl')} onChange={(e) => set({ instanceUrl: e.target.value })} autoCapitalize="off" placeholder="from the token answer" />)}
            {field('apiVersion', 'API version', (p) => <input {...p} value={str('apiVersion')} onChange={(e) => set({ apiVersion: e.target.value })} placeholder="62.0" />)}
          </div>
        </details>
      </>
    );
  },
};
