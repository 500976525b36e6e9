import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { startSmtpPeer, type SmtpPeer } from '../helpers/smtp-peers.js';
import { loggedInPage, screenshots, startDesigner, waitForText, type DesignerEnv } from './harness.js';

/** Picks a dynamic-content token for a field of the Send Email card, as a user clicks it. */
async function pickToken(page: Page, field: string, token: string): Promise<void> {
  await page.getByRole('button', { name: `Add dynamic content to ${field}`, exact: true }).click();
  await page.getByRole('group', { name: `Dynamic content for ${field}`, exact: true }).getByRole('button', { name: token, exact: false }).first().click();
}

async function fire(url: string, body: unknown): Promise<string> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const answer = (await response.json()) as { runId?: string };
  assert.equal(response.status, 202, JSON.stringify(answer));
  return answer.runId ?? '';
}

describe('designer: the seed walkthrough, validation at the field, a failed run', () => {
  let env: DesignerEnv;
  let rejecting: SmtpPeer;
  before(async () => {
    env = await startDesigner();
    rejecting = await startSmtpPeer({ rejectRecipient: () => ({ code: 550, message: '5.1.1 <nobody@example.com>: Recipient address rejected: User unknown in local recipient table' }) });
  });
  after(async () => {
    await rejecting?.close();
    await env?.close();
  });

  it('builds "Request trigger → SMTP - Send Email" with dynamic content, saves, fires it, and shows the run and the email', async () => {
    const page = await loggedInPage(env, '/workflows');
    await page.getByRole('link', { name: '+ New workflow' }).click();
    await page.getByLabel('Workflow name').fill('new-lead-email');
    await screenshots(page, 'designer-triggers');

    // 1. Search a trigger.
    await page.getByLabel('Search triggers').fill('request');
    await page.getByRole('button', { name: /Request - When a HTTP request is received/ }).click();
    await page.getByRole('button', { name: 'Use sample payload to generate schema' }).click();
    await page.getByLabel('Enter or paste a sample JSON payload').fill('{ "Email": "someone@example.com", "Name": "Ada" }');
    await page.getByRole('button', { name: 'Done' }).click();
    assert.match(await page.getByLabel('Request Body JSON Schema').inputValue(), /"Email"/);

    // 2. "+ New step" → "Add an action" → search "smtp" → "SMTP - Send Email".
    await page.getByRole('button', { name: '+ New step' }).click();
    await page.getByRole('button', { name: 'Add an action' }).click();
    await page.getByLabel('Choose an action').fill('smtp');
    await page.getByRole('button', { name: /SMTP - Send Email/ }).click();
    const card = page.getByRole('region', { name: 'Send Email' });
    for (const field of ['To', 'CC', 'Subject', 'Body', 'From', 'Is HTML', 'Bcc', 'Importance']) await card.getByLabel(field, { exact: true }).waitFor();
    await card.getByRole('group', { name: 'Attachments' }).waitFor();

    // 3. Create the connection inline, to the SMTP server this test started.
    await card.getByRole('button', { name: '+ New connection' }).click();
    const inline = card.getByRole('region', { name: 'Create a connection' });
    await inline.getByLabel('Connection name').fill('test-smtp');
    await inline.getByLabel('SMTP server address').fill('127.0.0.1');
    await inline.getByLabel('Security').selectOption('none');
    await inline.getByLabel('Port').fill(String(env.devSmtpPort));
    await inline.getByRole('button', { name: 'Create connection' }).click();
    await inline.waitFor({ state: 'detached' });
    assert.equal(await card.getByLabel('Connection').inputValue(), 'test-smtp');

    // 4. Fields with dynamic content from the trigger.
    await pickToken(page, 'To', 'Email');
    assert.equal(await card.getByLabel('To', { exact: true }).inputValue(), "@{triggerBody()?['Email']}");
    await card.getByLabel('Subject', { exact: true }).fill('New lead: ');
    await pickToken(page, 'Subject', 'Name');
    await card.getByLabel('Body', { exact: true }).fill('Hello ');
    await card.getByLabel('Body', { exact: true }).press('End');
    await pickToken(page, 'Body', 'Name');
    await card.getByLabel('From', { exact: true }).fill('CRM <crm@example.com>');
    await card.getByLabel('Is HTML').selectOption('false');
    await screenshots(page, 'designer-send-email');

    // The code view shows the definition the designer built.
    await page.getByRole('button', { name: 'Code view' }).click();
    const code = JSON.parse(await page.getByLabel('Workflow definition (JSON)').inputValue());
    assert.equal(code.definition.actions.Send_Email.inputs.Subject, "New lead: @{triggerBody()?['Name']}");
    assert.equal(code.definition.actions.Send_Email.inputs.connection, 'test-smtp');
    await screenshots(page, 'designer-code');
    await page.getByRole('button', { name: 'Designer', exact: true }).click();

    // 5. Save to activate; the trigger's URL appears.
    await page.getByRole('button', { name: 'Save' }).click();
    await waitForText(page.getByRole('status'), 'Saved.');
    assert.equal(new URL(page.url()).pathname, '/workflows/new-lead-email');
    const callback = page.getByLabel('HTTP POST URL');
    await callback.waitFor();
    const url = await callback.inputValue();
    assert.match(url, /\/invoke\?.*sig=/);

    // 6. Fire it; the run succeeds on the Runs page; the email is in the Inbox.
    const runId = await fire(url, { Email: 'ada@example.com', Name: 'Ada Lovelace' });
    await page.getByRole('link', { name: 'Runs' }).click();
    const runLink = page.getByRole('link', { name: new RegExp(`Run ${runId || '\\S+'}, Succeeded`) });
    await runLink.waitFor();
    await screenshots(page, 'runs');
    await runLink.click();
    const action = page.getByRole('listitem', { name: 'Action Send_Email' });
    await waitForText(action, 'Succeeded');
    await action.getByText('Inputs').click();
    await waitForText(action, 'ada@example.com');
    await screenshots(page, 'run');
    await page.getByRole('button', { name: 'Resubmit' }).click();
    await waitForText(page.getByRole('heading', { level: 2 }), 'Succeeded');
    await waitForText(page.locator('.run-head'), 'resubmitted from');

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Inbox' }).click();
    await page.getByRole('link', { name: /New lead: Ada Lovelace/ }).first().click();
    const message = page.getByRole('article', { name: 'Message' });
    await waitForText(message, 'ada@example.com');
    await waitForText(message.getByRole('tabpanel'), 'Hello Ada Lovelace');
    await page.context().close();
  });

  it('builds For each, Compose and Condition cards with loop and trigger tokens, and the run records each iteration', async () => {
    const page = await loggedInPage(env, '/workflows/new');
    await page.getByLabel('Workflow name').fill('control-cards');
    await page.getByLabel('Search triggers').fill('request');
    await page.getByLabel('Search triggers').press('Enter');
    await page.getByRole('button', { name: 'Use sample payload to generate schema' }).click();
    await page.getByLabel('Enter or paste a sample JSON payload').fill('{ "vip": "yes", "leads": [ { "email": "a@example.com" } ] }');
    await page.getByRole('button', { name: 'Done' }).click();

    await page.getByRole('button', { name: '+ New step', exact: true }).click();
    await page.getByRole('button', { name: 'Add an action' }).click();
    await page.getByLabel('Choose an action').fill('for each');
    await page.getByRole('button', { name: /Control - For each/ }).click();
    await pickToken(page, 'Select an output from previous steps', 'leads');
    const loop = page.getByRole('region', { name: 'For each' });
    assert.equal(await loop.getByLabel('Select an output from previous steps', { exact: true }).inputValue(), "@triggerBody()?['leads']");

    await loop.getByRole('button', { name: 'New step in loop For each' }).click();
    await loop.getByRole('button', { name: 'Add an action' }).click();
    await loop.getByLabel('Choose an action').fill('compose');
    await loop.getByRole('button', { name: /Compose/ }).click();
    await pickToken(page, 'Inputs', 'email');
    assert.equal(await loop.getByLabel('Inputs', { exact: true }).inputValue(), "@{item()?['email']}");

    await page.getByRole('button', { name: '+ New step', exact: true }).click();
    await page.getByRole('button', { name: 'Add a condition' }).click();
    const condition = page.getByRole('region', { name: 'Condition' });
    await pickToken(page, 'Value', 'vip');
    await condition.getByLabel('Compared with', { exact: true }).fill('yes');
    await screenshots(page, 'designer-control');

    await page.getByRole('button', { name: 'Save' }).click();
    await waitForText(page.getByRole('status'), 'Saved.');
    const url = await page.getByLabel('HTTP POST URL').inputValue();
    await fire(url, { vip: 'yes', leads: [{ email: 'a@example.com' }, { email: 'b@example.com' }] });
    await page.getByRole('link', { name: 'Runs' }).click();
    await page.getByRole('link', { name: /Run \S+, Succeeded/ }).click();
    const compose = page.getByRole('listitem', { name: 'Action Compose' });
    await compose.getByText('2 iteration(s)').click();
    await waitForText(compose, 'b@example.com');
    await waitForText(page.getByRole('listitem', { name: 'Action Condition' }), 'Succeeded');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Workflows' }).click();
    await page.getByRole('listitem', { name: 'Workflow control-cards' }).waitFor();
    await screenshots(page, 'workflows');
    await page.context().close();
  });

  it('turns a Logic Apps definition pasted into the code view into cards, and saves it', async () => {
    const fixture = JSON.parse(fs.readFileSync(new URL('../workflows/fixtures/order-confirmation.json', import.meta.url), 'utf8'));
    const page = await loggedInPage(env, '/workflows/new');
    await page.getByLabel('Workflow name').fill('pasted-order-confirmation');
    await page.getByRole('button', { name: 'Code view' }).click();
    await page.getByLabel('Workflow definition (JSON)').fill(JSON.stringify({ definition: fixture.definition, parameters: fixture.parameters }, null, 2));
    await page.getByRole('button', { name: 'Designer', exact: true }).click();
    const send = page.getByRole('region', { name: 'Send an email' });
    assert.equal(await send.getByLabel('To', { exact: true }).inputValue(), "@triggerBody()?['customer']?['email']");
    assert.equal(await send.getByLabel('Is HTML').inputValue(), 'true');
    await page.getByRole('region', { name: 'Compose subject' }).waitFor();
    await page.getByRole('region', { name: 'Response' }).waitFor();
    // Cards come in runAfter order, whatever the key order of the JSON.
    const titles = await page.locator('.canvas .step-card h3').allTextContents();
    assert.deepEqual(titles, ['When a HTTP request is received', 'Compose subject', 'Send an email', 'Response']);
    await page.getByRole('button', { name: 'Save' }).click();
    await waitForText(page.getByRole('status'), 'Saved.');
    await screenshots(page, 'designer-pasted');
    await page.context().close();
  });

  it('shows a validation problem at its field', async () => {
    const page = await loggedInPage(env, '/workflows/new');
    await page.getByLabel('Workflow name').fill('broken');
    await page.getByLabel('Search triggers').fill('request');
    await page.getByLabel('Search triggers').press('Enter');
    await page.getByRole('button', { name: '+ New step' }).click();
    await page.getByRole('button', { name: 'Add an action' }).click();
    await page.getByLabel('Choose an action').fill('smtp');
    await page.getByLabel('Choose an action').press('Enter');
    const card = page.getByRole('region', { name: 'Send Email' });
    await card.getByLabel('Connection').selectOption('dev-inbox');
    await card.getByLabel('To', { exact: true }).fill('a@example.com');
    await card.getByLabel('Subject', { exact: true }).fill("Hi @{triggerBody()?['Name'}");
    await page.getByRole('button', { name: 'Save' }).click();

    await waitForText(page.getByRole('alert').first(), 'The workflow was not saved');
    const subject = card.locator('.field[data-path="definition.actions.Send_Email.inputs.Subject"]');
    await subject.locator('.field-error').first().waitFor();
    assert.equal(await card.getByLabel('Subject', { exact: true }).getAttribute('aria-invalid'), 'true');
    assert.equal(await card.locator('.field[data-path="definition.actions.Send_Email.inputs.To"] .field-error').count(), 0, 'only the field at fault is marked');
    await screenshots(page, 'designer-validation');
    await page.context().close();
  });

  it("shows a failed run's SMTP reply", async () => {
    assert.equal((await env.app.api('POST', '/api/v1/connections', { name: 'rejecting', host: '127.0.0.1', port: rejecting.port, security: 'none' })).status, 201);
    const created = await env.app.api('POST', '/api/v1/workflows', {
      name: 'doomed',
      definition: {
        triggers: { manual: { type: 'Request', kind: 'Http', inputs: { schema: {} } } },
        actions: { Send_Email: { type: 'SendEmail', inputs: { connection: 'rejecting', To: 'nobody@example.com', Subject: 'Doomed', Body: 'x', From: 'a@example.com' }, retryPolicy: { type: 'none' }, runAfter: {} } },
      },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const { body } = await env.app.api('GET', '/api/v1/workflows/doomed/triggers/manual/callback-url');
    await fire(body.value, {});

    const page = await loggedInPage(env, '/workflows/doomed/runs');
    await page.getByRole('link', { name: /Run \S+, Failed/ }).click();
    const action = page.getByRole('listitem', { name: 'Action Send_Email' });
    await waitForText(action, 'Failed');
    await waitForText(action.locator('.smtp-reply'), '550');
    await waitForText(action, 'User unknown');
    await screenshots(page, 'run-failed');
    await page.context().close();
  });
});
