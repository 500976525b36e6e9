import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import nodemailer from 'nodemailer';
import { TEST_ADMIN_KEY } from '../helpers/app.js';
import { startSmtpPeer, type SmtpPeer } from '../helpers/smtp-peers.js';
import { freePort, loggedInPage, screenshots, startDesigner, TIMEOUT, waitForText, type DesignerEnv } from './harness.js';

describe('designer pages: login, connections, inbox, messages', () => {
  let env: DesignerEnv;
  let rejecting: SmtpPeer;
  before(async () => {
    env = await startDesigner();
    rejecting = await startSmtpPeer({ rejectRecipient: (address) => (address.startsWith('nobody@') ? { code: 550, message: '5.1.1 <nobody@example.com>: Recipient address rejected: User unknown' } : undefined) });
  });
  after(async () => {
    await rejecting?.close();
    await env?.close();
  });

  it('logs in from #key= and removes the key from the address bar', async () => {
    const page = await loggedInPage(env, '/');
    assert.equal(new URL(page.url()).hash, '');
    assert.equal(new URL(page.url()).pathname, '/workflows');
    assert.equal(await page.evaluate('sessionStorage.getItem("smtpflow.key")'), TEST_ADMIN_KEY);
    await page.reload();
    await page.getByRole('heading', { name: 'Workflows' }).waitFor();
    await screenshots(page, 'workflows-empty');

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByLabel('API key').fill('not-a-real-key');
    await page.getByRole('button', { name: 'Log in' }).click();
    await waitForText(page.getByRole('alert'), 'The API key is not valid');
    await screenshots(page, 'login');
    await page.context().close();
  });

  it('creates a connection through the form, shows the API error at its field, edits and deletes it', async () => {
    const page = await loggedInPage(env, '/connections');
    await page.getByRole('button', { name: '+ New connection' }).click();
    const form = page.getByRole('form', { name: 'New SMTP connection' });
    await form.getByLabel('Connection name').fill('local dev'); // a space: the API refuses the name
    await form.getByLabel('SMTP server address').fill('127.0.0.1');
    await form.getByLabel('Security').selectOption('none');
    assert.equal(await form.getByLabel('Port').inputValue(), '25', 'the port follows the security mode');
    await form.getByLabel('Port').fill(String(env.devSmtpPort));
    await form.getByLabel('Default sender').fill('Designer <designer@example.com>');
    await form.getByRole('button', { name: 'Create connection' }).click();
    // The API's own words, next to the field they concern.
    await waitForText(form.locator('.field-error'), /match/i);
    await form.getByLabel('Connection name').fill('local-dev');
    await form.getByRole('button', { name: 'Create connection' }).click();

    const card = page.getByRole('listitem', { name: 'Connection local-dev' });
    await waitForText(card, `127.0.0.1:${env.devSmtpPort}`);
    await screenshots(page, 'connections');

    await card.getByRole('button', { name: 'Edit' }).click();
    const edit = page.getByRole('form', { name: 'Edit connection local-dev' });
    await edit.getByLabel('Default sender').fill('Other <other@example.com>');
    await edit.getByRole('button', { name: 'Save changes' }).click();
    await waitForText(card, 'Other <other@example.com>');
    assert.equal((await env.app.api('GET', '/api/v1/connections/local-dev')).body.defaultFrom, 'Other <other@example.com>');

    await card.getByRole('button', { name: 'Delete' }).click();
    await card.getByRole('button', { name: 'Delete local-dev for good' }).click();
    await card.waitFor({ state: 'detached' });
    assert.equal((await env.app.api('GET', '/api/v1/connections/local-dev')).status, 404);
    await page.context().close();
  });

  it('tests a connection and shows each step of the result', async (t) => {
    const probe = await env.app.api('POST', '/api/v1/connections/dev-inbox/test', {});
    if (probe.status === 404 && /There is no POST/.test(probe.body?.error?.message ?? '')) {
      t.skip('POST /connections/{name}/test is not in the API yet');
      return;
    }
    const page = await loggedInPage(env, '/connections');
    const card = page.getByRole('listitem', { name: 'Connection dev-inbox' });
    await card.getByRole('button', { name: 'Test' }).click();
    const report = card.getByRole('region', { name: 'Test result of dev-inbox' });
    await waitForText(report, 'The connection works.');
    await waitForText(report.getByRole('listitem'), 'EHLO');
    await screenshots(page, 'connections-test');

    // A server that is not there: the failed step and the advice, in words.
    await env.app.api('POST', '/api/v1/connections', { name: 'nowhere', host: '127.0.0.1', port: await freePort(), security: 'none' });
    await page.reload();
    const nowhere = page.getByRole('listitem', { name: 'Connection nowhere' });
    await nowhere.getByRole('button', { name: 'Test' }).click();
    await waitForText(nowhere.getByRole('region', { name: 'Test result of nowhere' }), 'The connection test failed.');
    await nowhere.getByRole('region', { name: 'Test result of nowhere' }).getByRole('alert').waitFor();
    await screenshots(page, 'connections-test-failed');
    await page.context().close();
  });

  it('shows what the development SMTP server caught: subject, HTML preview in a sandboxed iframe, text, headers, source, attachments', async () => {
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: env.devSmtpPort, secure: false, ignoreTLS: true });
    await transport.sendMail({
      from: 'Sender <sender@example.com>',
      to: 'Reader <reader@example.com>',
      subject: 'Inbox check ✓',
      text: 'Hello in plain text',
      html: '<h1 id="greeting">Hello in HTML</h1><script>document.body.dataset.ran = "yes"</script>',
      attachments: [{ filename: 'notes.txt', content: 'attached words' }],
    });
    transport.close();

    const page = await loggedInPage(env, '/inbox');
    await page.getByRole('link', { name: /Inbox check ✓/ }).click();
    const message = page.getByRole('article', { name: 'Message' });
    await message.getByRole('heading', { name: 'Inbox check ✓' }).waitFor();
    const iframe = message.locator('iframe[title="HTML preview"]');
    assert.equal(await iframe.getAttribute('sandbox'), '', 'the preview runs no script and has no origin');
    const frame = page.frameLocator('iframe[title="HTML preview"]');
    await waitForText(frame.locator('#greeting'), 'Hello in HTML');
    assert.equal(await frame.locator('body').getAttribute('data-ran'), null, 'scripts in mail do not run');
    await screenshots(page, 'inbox');

    await message.getByRole('tab', { name: 'Text' }).click();
    await waitForText(message.getByRole('tabpanel'), 'Hello in plain text');
    await message.getByRole('tab', { name: 'Text' }).press('ArrowRight');
    await waitForText(message.getByRole('tabpanel'), 'Content-Type');
    await message.getByRole('tab', { name: 'Source' }).click();
    await waitForText(message.getByRole('tabpanel'), 'MIME-Version: 1.0');

    const download = page.waitForEvent('download', { timeout: TIMEOUT });
    await message.getByRole('button', { name: /notes\.txt/ }).click();
    const file = await download;
    assert.equal(file.suggestedFilename(), 'notes.txt');
    await page.context().close();
  });

  it('lists sent and failed messages with their attempts and the SMTP server replies', async () => {
    const sent = await env.app.api('POST', '/api/v1/connections/dev-inbox/send-email', { To: 'a@example.com', Subject: 'Outbox check', Body: '<p>hi</p>', IsHtml: true, From: 'me@example.com' });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    const conn = await env.app.api('POST', '/api/v1/connections', { name: 'rejecting', host: '127.0.0.1', port: rejecting.port, security: 'none' });
    assert.equal(conn.status, 201, JSON.stringify(conn.body));
    const failed = await env.app.api('POST', '/api/v1/connections/rejecting/send-email', { To: 'nobody@example.com', Subject: 'Doomed', Body: 'x', From: 'me@example.com' });
    assert.equal(failed.status, 400, JSON.stringify(failed.body));

    const page = await loggedInPage(env, '/messages');
    await page.getByRole('link', { name: /Outbox check/ }).click();
    const details = page.getByRole('article', { name: 'Message details' });
    await waitForText(details.getByRole('region', { name: 'Attempts' }), 'Attempt 1');
    await waitForText(details.getByRole('region', { name: 'Attempts' }), /250/);
    await screenshots(page, 'messages');

    await page.getByRole('button', { name: 'failed' }).click();
    await page.getByRole('link', { name: /Doomed/ }).click();
    await waitForText(details, 'failed permanently');
    await waitForText(details.locator('.smtp-reply'), '550');
    await waitForText(details, 'User unknown');
    assert.equal(await page.getByRole('link', { name: /Outbox check/ }).count(), 0, 'the filter hides sent messages');
    await details.getByRole('button', { name: 'Retry now' }).waitFor();
    await screenshots(page, 'messages-failed');
    await page.context().close();
  });
});
