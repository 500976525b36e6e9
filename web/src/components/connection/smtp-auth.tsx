import type { Connection, Security } from '../../types';
import { KEPT, text, type Draft, type FieldsProps } from './kinds';

export type Provider = 'microsoft' | 'google';

/**
 * The provider presets as the server applies them (SMTP_PROVIDERS in
 * src/connections/smtp-settings.ts; README "Connecting Microsoft 365 and Gmail"). The web app is
 * built apart from the server, so they are repeated here, only to be shown: a server field left
 * empty is sent absent and the server fills it in. test/web/smtp-auth.test.ts checks both agree.
 */
export const PROVIDERS: Record<Provider, { title: string; host: string; port: number; security: Exclude<Security, 'none'>; scope: { clientCredentials?: string; refreshToken: string }; grants: string }> = {
  microsoft: {
    title: 'Microsoft 365',
    host: 'smtp.office365.com',
    port: 587,
    security: 'starttls',
    scope: { clientCredentials: 'https://outlook.office365.com/.default', refreshToken: 'https://outlook.office.com/SMTP.Send offline_access' },
    grants: 'Application access: client secret and tenant, no refresh token. A signed-in user: a refresh token (and the client secret of a confidential app).',
  },
  google: {
    title: 'Google (Gmail, Workspace)',
    host: 'smtp.gmail.com',
    port: 465,
    security: 'tls',
    scope: { refreshToken: 'https://mail.google.com/' },
    grants: 'Gmail takes a signed-in user only: the client secret and a refresh token from one consent with access_type=offline.',
  },
};

export const SECURITY_TITLE: Record<Security, string> = { starttls: 'STARTTLS', tls: 'Implicit TLS', none: 'None, clear text' };

const isProvider = (v: unknown): v is Provider => v === 'microsoft' || v === 'google';

/** The preset that fills the server fields left empty, if the draft signs in through a provider. */
export const presetOf = (d: Draft) => (d.authType === 'oauth2' && isProvider(d.provider) ? PROVIDERS[d.provider] : undefined);

/** A token URL is asked for without a provider, and kept in view when one was stored as an override of the provider's. */
const showsTokenUrl = (d: Draft, existing?: Connection): boolean => !isProvider(d.provider) || !!existing?.auth?.tokenUrl;

/** The auth part of the draft: OAuth2 fields are empty (and secrets always are) for a password connection. */
export function authDraft(c?: Connection): Draft {
  const a = c?.auth?.type === 'oauth2' ? c.auth : undefined;
  return {
    authType: a ? 'oauth2' : 'password',
    provider: a ? (a.provider ?? '') : 'microsoft',
    tenantId: a?.tenantId ?? '',
    tokenUrl: a?.tokenUrl ?? '',
    clientId: a?.clientId ?? '',
    clientSecret: '',
    refreshToken: '',
    scope: a?.scope ?? '',
    user: a?.user ?? '',
  };
}

/**
 * The sign-in part of the body (SPEC §3): `username`/`password` for a password, or `auth` for
 * OAuth2, which takes no username or password (they are removed on edit). Blank secrets keep
 * the stored ones; on edit, null removes a field (JSON merge patch).
 */
export function authBody(d: Draft, before?: Connection): Record<string, unknown> {
  const opt = (v: string | boolean): string | null => text(v) || null;
  if (d.authType !== 'oauth2') {
    return {
      username: opt(d.username),
      ...(d.password !== '' ? { password: d.password } : {}),
      // back to a password: the whole OAuth2 object goes (a merge into it would keep its fields)
      ...(before?.auth?.type === 'oauth2' ? { auth: null } : {}),
    };
  }
  const provider = isProvider(d.provider) ? d.provider : null;
  const auth: Record<string, unknown> = {
    type: 'oauth2',
    provider,
    tenantId: provider === 'microsoft' ? opt(d.tenantId) : null,
    tokenUrl: showsTokenUrl(d, before) ? opt(d.tokenUrl) : null,
    clientId: text(d.clientId),
    scope: opt(d.scope),
    user: text(d.user),
  };
  for (const secret of ['clientSecret', 'refreshToken']) if (text(d[secret]) !== '') auth[secret] = text(d[secret]);
  return { username: null, password: null, auth };
}

/** The OAuth2 settings under the provider choice: what each grant needs, secrets write-only. */
export function OAuth2Fields({ draft: d, set, existing, field }: FieldsProps) {
  const str = (k: string): string => String(d[k] ?? '');
  const storedOAuth2 = existing?.auth?.type === 'oauth2';
  const kept = (key: string): boolean => storedOAuth2 && !!existing?.secretsSet.includes(`auth.${key}`);
  const preset = presetOf(d);
  const refreshGrant = str('refreshToken').trim() !== '' || kept('refreshToken');
  const defaultScope = preset ? (refreshGrant ? preset.scope.refreshToken : (preset.scope.clientCredentials ?? preset.scope.refreshToken)) : '';
  const secret = (key: 'clientSecret' | 'refreshToken', label: string, hint: string) =>
    field(key, label, (p) => (
      <input {...p} type="password" value={str(key)} onChange={(e) => set({ [key]: e.target.value } as Draft)} autoComplete="new-password" autoCapitalize="off" spellCheck={false} placeholder={kept(key) ? KEPT : ''} />
    ), kept(key) ? `Set — leave empty to keep. ${hint}` : hint);
  const plain = (key: string, label: string, options: { required?: boolean; placeholder?: string; hint?: string; inputMode?: 'url' | 'email' } = {}) =>
    field(key, label, (p) => (
      <input {...p} inputMode={options.inputMode} required={options.required} value={str(key)} onChange={(e) => set({ [key]: e.target.value } as Draft)} autoComplete="off" autoCapitalize="off" spellCheck={false} placeholder={options.placeholder} />
    ), options.hint);

  return (
    <fieldset>
      <legend>OAuth2 sign-in</legend>
      <div className="grid-2">
        {d.provider === 'microsoft' &&
          plain('tenantId', 'Tenant (directory) ID or domain', { placeholder: 'contoso.onmicrosoft.com', hint: 'Needed for application access; a signed-in user (refresh token) may leave it empty.' })}
        {showsTokenUrl(d, existing) &&
          plain('tokenUrl', 'Token URL', { inputMode: 'url', required: !preset, placeholder: 'https://login.example.com/oauth2/token', hint: preset ? `Overrides ${preset.title}'s token endpoint; leave empty to use it.` : 'The OAuth2 token endpoint of your provider.' })}
        {plain('clientId', 'Client (application) ID', { required: true })}
        {secret('clientSecret', 'Client secret', 'Stored encrypted; never shown again.')}
        {secret('refreshToken', 'Refresh token', 'Given: the refresh-token grant (a signed-in user). Empty: client credentials (application access).')}
        {plain('scope', 'Scope', { placeholder: defaultScope, hint: preset ? `Leave empty for ${preset.title}'s default.` : 'As your provider asks for SMTP sending.' })}
        {plain('user', 'Mailbox to send as', { required: true, inputMode: 'email', placeholder: 'robot@contoso.com', hint: 'The XOAUTH2 user: the mailbox the token signs in to.' })}
      </div>
    </fieldset>
  );
}
