import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { SMTP_PROVIDERS } from '../../src/connections/smtp-settings.js';
import { testCerts } from '../helpers/certs.js';
import { startSmtpPeer, type SmtpPeer } from '../helpers/smtp-peers.js';
import { startTokenServer, type TokenServer } from '../oauth/token-server.js';
import { loggedInPage, screenshots, startDesigner, waitForText, type DesignerEnv } from './harness.js';

const CLIENT_ID = 'smtpflow-app';
const RIGHT_SECRET = 'right-Secret-4821';
const WRONG_SECRET = 'wrong-Secret-9377';
const MAILBOX = 'robot@contoso.com';
const KEPT = 'set — leave empty to keep';

/** The label of the focused control, to check that a problem takes the keyboard to its field. */
const focusedLabel = (page: Page): Promise<string | undefined> =>
  page.evaluate('document.activeElement?.labels?.[0]?.textContent ?? undefined') as Promise<string | undefined>;

/** Nothing wider than the phone: no sideways scrolling (long URLs, keys and replies wrap). */
async function assertFitsPhone(page: Page): Promise<void> {
  assert.equal(await page.evaluate('document.documentElement.scrollWidth'), 390);
}

describe('designer: SMTP sign-in with OAuth2 and DKIM keys, at phone width', () => {
  let env: DesignerEnv;
  let oauth: TokenServer;
  let peer: SmtpPeer;
  let page: Page;
  before(async () => {
    oauth = await startTokenServer();
    oauth.addClient(CLIENT_ID, RIGHT_SECRET, { mailboxes: [MAILBOX] });
    // a mail server that takes only XOAUTH2, with tokens of the token server above
    peer = await startSmtpPeer({ tls: testCerts().server, auth: { user: MAILBOX, pass: '', methods: ['XOAUTH2'], validateToken: oauth.accepts } });
    env = await startDesigner();
    // One page for the whole file, 390 px wide: every step below is done as on a phone.
    page = await loggedInPage(env, '/connections', 390);
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: env.app.url });
  });
  after(async () => {
    await env?.close();
    await peer?.close();
    await oauth?.close();
  });

  it('creates a Microsoft 365 OAuth2 connection: the presets shown, the missing tenant at its field, the secret stored and never returned', async () => {
    await page.getByRole('button', { name: '+ New connection' }).click();
    const form = page.getByRole('form', { name: 'New SMTP connection' });
    await form.getByLabel('Connection name').fill('m365');
    await form.getByLabel('Authentication').selectOption('oauth2');
    assert.equal(await form.getByLabel('Provider').inputValue(), 'microsoft');
    // The server is the provider's unless typed: empty fields with the preset as placeholder, as the server applies it.
    for (const provider of ['google', 'microsoft'] as const) {
      await form.getByLabel('Provider').selectOption(provider);
      assert.equal(await form.getByLabel('SMTP server address').inputValue(), '');
      assert.equal(await form.getByLabel('SMTP server address').getAttribute('placeholder'), SMTP_PROVIDERS[provider].host);
      assert.equal(await form.getByLabel('Port').getAttribute('placeholder'), String(SMTP_PROVIDERS[provider].port));
      assert.equal(await form.getByLabel('Security').inputValue(), '');
      assert.match(await form.getByLabel('Security').locator('option:checked').innerText(), new RegExp(`${SMTP_PROVIDERS[provider].security === 'tls' ? 'Implicit TLS' : 'STARTTLS'} \\(port ${SMTP_PROVIDERS[provider].port}\\)`));
    }
    await form.getByLabel('Client (application) ID').fill(CLIENT_ID);
    await form.getByLabel('Client secret').fill(WRONG_SECRET);
    await form.getByLabel('Mailbox to send as').fill(MAILBOX);

    // Client credentials without a tenant: the API's problem at the tenant field, which takes the focus.
    await form.getByRole('button', { name: 'Create connection' }).click();
    const tenant = form.getByLabel('Tenant (directory) ID or domain');
    await waitForText(form.locator('.field-error'), /auth\.tenantId/);
    assert.equal(await tenant.getAttribute('aria-invalid'), 'true');
    assert.equal(await focusedLabel(page), 'Tenant (directory) ID or domain');
    await assertFitsPhone(page);
    await screenshots(page, 'smtp-oauth2-field-error');
    await tenant.fill('contoso.onmicrosoft.com');
    await form.getByRole('button', { name: 'Create connection' }).click();

    const card = page.getByRole('listitem', { name: 'Connection m365' });
    await waitForText(card, `OAuth2 (Microsoft 365) as ${MAILBOX}`);
    const { body } = await env.app.api('GET', '/api/v1/connections/m365');
    assert.equal(body.host, SMTP_PROVIDERS.microsoft.host);
    assert.equal(body.port, SMTP_PROVIDERS.microsoft.port);
    assert.equal(body.security, SMTP_PROVIDERS.microsoft.security);
    assert.deepEqual(body.auth, { type: 'oauth2', provider: 'microsoft', tenantId: 'contoso.onmicrosoft.com', clientId: CLIENT_ID, user: MAILBOX });
    assert.deepEqual(body.secretsSet, ['auth.clientSecret']);
    assert.equal(body.username, undefined);
    assert.equal(JSON.stringify(body).includes(WRONG_SECRET), false, 'the API never answers the secret');
    assert.equal((await page.content()).includes(WRONG_SECRET), false, 'the page never shows it');
  });

  it('edits it to another OAuth2 server: the secret kept when left empty, a problem in Advanced at its field, the token step of the test with its code and fix', async () => {
    const card = page.getByRole('listitem', { name: 'Connection m365' });
    await card.getByRole('button', { name: 'Edit' }).click();
    const form = page.getByRole('form', { name: 'Edit connection m365' });
    assert.equal(await form.getByLabel('Client secret').inputValue(), '', 'a secret is never shown');
    assert.equal(await form.getByLabel('Client secret').getAttribute('placeholder'), KEPT);
    await form.getByLabel('Provider').selectOption('');
    await form.getByLabel('Token URL').fill(oauth.url);
    await form.getByLabel('Scope').fill('https://outlook.office365.com/.default');
    await form.getByLabel('SMTP server address').fill('127.0.0.1');
    assert.equal(await form.getByLabel('Security').inputValue(), 'starttls', 'without a provider, security is asked for');
    await form.getByLabel('Port').fill(String(peer.port));
    await form.getByText('Advanced: TLS, envelope sender, EHLO name, DKIM').click();
    await form.getByLabel("Verify the server's TLS certificate").uncheck(); // the peer's certificate is from the test CA
    await form.getByLabel('Envelope sender (MAIL FROM)').fill('Bounces <bounces@contoso.com>');
    await form.getByText('Advanced: TLS, envelope sender, EHLO name, DKIM').click(); // closed again: the problem must open it

    await form.getByRole('button', { name: 'Save changes' }).click();
    const envelope = form.getByLabel('Envelope sender (MAIL FROM)');
    await waitForText(form.locator('.field-error'), /envelopeFrom/);
    assert.equal(await envelope.isVisible(), true, 'Advanced opens to show the problem');
    assert.equal(await envelope.getAttribute('aria-invalid'), 'true');
    await envelope.fill('bounces@contoso.com');
    await form.getByRole('button', { name: 'Save changes' }).click();
    await form.waitFor({ state: 'detached' });

    const { body } = await env.app.api('GET', '/api/v1/connections/m365');
    assert.deepEqual(body.auth, { type: 'oauth2', tokenUrl: oauth.url, clientId: CLIENT_ID, scope: 'https://outlook.office365.com/.default', user: MAILBOX });
    assert.deepEqual([body.host, body.port, body.envelopeFrom], ['127.0.0.1', peer.port, 'bounces@contoso.com']);
    assert.deepEqual(body.secretsSet, ['auth.clientSecret'], 'the secret left empty is kept');

    // The kept secret is the wrong one: the token endpoint refuses it, and the report says so at the token step.
    await card.getByRole('button', { name: 'Test' }).click();
    const report = card.getByRole('region', { name: 'Test result of m365' });
    await waitForText(report, 'The connection test failed.');
    await waitForText(report.locator('li.bad'), 'Get an OAuth2 access token');
    await waitForText(report.getByRole('alert'), /invalid_client/);
    await waitForText(report.getByRole('alert'), /How to fix it: .*auth\.clientSecret/);
    await waitForText(report.getByRole('alert'), 'Problem code: OAuthClientRejected');
    await assertFitsPhone(page);
    await screenshots(page, 'smtp-oauth2-test-failed');

    await card.getByRole('button', { name: 'Edit' }).click();
    await form.getByLabel('Client secret').fill(RIGHT_SECRET);
    await form.getByRole('button', { name: 'Save changes' }).click();
    await form.waitFor({ state: 'detached' });
    await card.getByRole('button', { name: 'Test' }).click();
    await waitForText(report, 'The connection works.');
    await waitForText(report.getByRole('listitem').filter({ hasText: 'Get an OAuth2 access token' }), /client-credentials grant at http:\/\/127\.0\.0\.1/);
    assert.deepEqual(peer.auths.at(-1), { method: 'XOAUTH2', username: MAILBOX, ok: true });
  });

  it('generates a DKIM key on the saved connection: a bad domain at its field, then the TXT record to publish, copied', async () => {
    const card = page.getByRole('listitem', { name: 'Connection m365' });
    await card.getByRole('button', { name: 'Edit' }).click();
    const form = page.getByRole('form', { name: 'Edit connection m365' });
    await form.getByText('Advanced: TLS, envelope sender, EHLO name, DKIM').click();
    const domain = form.getByLabel('DKIM domain');
    await domain.fill('not a domain');
    await form.getByRole('button', { name: 'Generate key' }).click();
    await waitForText(form.locator('.field-error'), /domainName/);
    assert.equal(await domain.getAttribute('aria-invalid'), 'true');

    await domain.fill('contoso.com');
    await form.getByRole('button', { name: 'Generate key' }).click();
    const record = form.getByRole('region', { name: 'DKIM record to publish' });
    await waitForText(record, 'fails DKIM until this TXT record is published');
    const name = await record.getByLabel('TXT record name').inputValue();
    const value = await record.getByLabel('TXT record value').inputValue();
    assert.match(name, /^smtpflow-\d{8}-\d{4}\._domainkey\.contoso\.com$/);
    assert.match(value, /^v=DKIM1; k=rsa; p=[A-Za-z0-9+/=]{300,}$/);
    assert.equal(await form.getByLabel('DKIM selector').inputValue(), name.split('._domainkey.')[0], 'the form holds the new selector, so saving keeps it');
    assert.equal(await form.getByLabel('DKIM private key (PEM)').getAttribute('placeholder'), KEPT);
    await record.getByRole('button', { name: 'Copy TXT record value' }).click();
    await waitForText(record.getByRole('status'), 'Copied.');
    assert.equal(await page.evaluate('navigator.clipboard.readText()'), value);
    await assertFitsPhone(page);
    await screenshots(page, 'smtp-dkim-keygen');

    const { body } = await env.app.api('GET', '/api/v1/connections/m365');
    assert.deepEqual(body.dkim, { domainName: 'contoso.com', keySelector: name.split('._domainkey.')[0] });
    assert.deepEqual([...body.secretsSet].sort(), ['auth.clientSecret', 'dkim.privateKey']);
    // Saving the form afterwards keeps the generated key and its selector.
    await form.getByRole('button', { name: 'Save changes' }).click();
    await waitForText(card, `signs as contoso.com (${name})`);
    const saved = (await env.app.api('GET', '/api/v1/connections/m365')).body;
    assert.deepEqual([saved.dkim, saved.secretsSet.includes('dkim.privateKey')], [body.dkim, true]);
  });
});
