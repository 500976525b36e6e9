import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { CLIENT_ID, CLIENT_SECRET, startFakeSalesforce, type FakeSalesforce } from '../salesforce/fake-salesforce.js';
import { waitFor } from '../helpers/wait.js';
import { loggedInPage, screenshots, startDesigner, waitForText, TIMEOUT, type DesignerEnv } from './harness.js';

/** Picks a dynamic-content token for a field of the Send Email card, as a user clicks it. */
async function pickToken(page: Page, field: string, token: string): Promise<void> {
  await page.getByRole('button', { name: `Add dynamic content to ${field}`, exact: true }).click();
  await page.getByRole('group', { name: `Dynamic content for ${field}`, exact: true }).getByRole('button', { name: new RegExp(`^${token}( ·|$)`) }).click();
}

describe('designer: the seed walkthrough, Salesforce – When a record is created → SMTP – Send Email', () => {
  let env: DesignerEnv;
  let sf: FakeSalesforce;
  before(async () => {
    sf = await startFakeSalesforce();
    env = await startDesigner();
  });
  after(async () => {
    await env?.close();
    await sf?.close();
  });

  it('a new user signs in to Salesforce in the trigger card, chooses Lead, sends an email built from the Lead, saves; a new Lead arrives in the inbox', async () => {
    const page = await loggedInPage(env, '/workflows');
    await page.getByRole('link', { name: '+ New workflow' }).click();
    await page.getByLabel('Workflow name').fill('new-lead-email');

    // 1. Search "salesforce", pick "Salesforce - When a record is created".
    await page.getByLabel('Search triggers').fill('salesforce');
    await page.getByRole('button', { name: /Salesforce - When a record is created/ }).click();
    const trigger = page.getByRole('region', { name: 'Trigger: When a record is created' });

    // 2. No Salesforce connection yet: sign in right in the card.
    const inline = trigger.getByRole('region', { name: 'Create a connection' });
    await inline.getByLabel('Connection name').fill('crm');
    await inline.getByLabel('Login URL').fill(sf.url);
    assert.equal(await inline.getByLabel('Sign in with').inputValue(), 'clientCredentials');
    await inline.getByLabel('Consumer key (client id)').fill(CLIENT_ID);
    await inline.getByLabel('Consumer secret').fill(CLIENT_SECRET);
    await screenshots(page, 'salesforce-sign-in');
    await inline.getByRole('button', { name: 'Create connection' }).click();
    await inline.waitFor({ state: 'detached' });
    assert.equal(await trigger.getByLabel('Connection').inputValue(), 'crm');

    // 3. Object type: Lead, from the org's describe-global call.
    await trigger.getByLabel('Object type').selectOption('Lead');
    await trigger.getByLabel('Interval').fill('1');
    await trigger.getByLabel('Frequency').selectOption('Second');
    await screenshots(page, 'salesforce-trigger');

    // 4. "+ New step" → "Add an action" → "smtp" → "SMTP - Send Email", with the Lead's fields.
    await page.getByRole('button', { name: '+ New step' }).click();
    await page.getByRole('button', { name: 'Add an action' }).click();
    await page.getByLabel('Choose an action').fill('smtp');
    await page.getByRole('button', { name: /SMTP - Send Email/ }).click();
    const card = page.getByRole('region', { name: 'Send Email' });
    await card.getByLabel('Connection').selectOption('dev-inbox');
    await pickToken(page, 'To', 'Email');
    assert.equal(await card.getByLabel('To', { exact: true }).inputValue(), "@{triggerBody()?['Email']}");
    await card.getByLabel('Subject', { exact: true }).fill('New lead: ');
    await pickToken(page, 'Subject', 'First Name');
    await card.getByLabel('Subject', { exact: true }).press('End');
    await card.getByLabel('Subject', { exact: true }).pressSequentially(' ');
    await pickToken(page, 'Subject', 'Last Name');
    assert.equal(await card.getByLabel('Subject', { exact: true }).inputValue(), "New lead: @{triggerBody()?['FirstName']} @{triggerBody()?['LastName']}");
    await card.getByLabel('Body', { exact: true }).fill('Company: ');
    await pickToken(page, 'Body', 'Company');
    await screenshots(page, 'salesforce-send-email');

    // The code view holds the Logic Apps form of the trigger.
    await page.getByRole('button', { name: 'Code view' }).click();
    const code = JSON.parse(await page.getByLabel('Workflow definition (JSON)').inputValue());
    const def = code.definition.triggers.When_a_record_is_created;
    assert.equal(def.type, 'ApiConnection');
    assert.equal(def.inputs.path, "/datasets/default/tables/@{encodeURIComponent(encodeURIComponent('Lead'))}/onnewitems");
    assert.equal(def.inputs.host.connection.name, "@parameters('$connections')['salesforce']['connectionId']");
    assert.equal(def.splitOn, "@triggerBody()?['value']");
    assert.equal(code.parameters.$connections.value.salesforce.connectionName, 'crm');
    await page.getByRole('button', { name: 'Designer', exact: true }).click();

    // 5. Save to activate.
    await page.getByRole('button', { name: 'Save' }).click();
    await waitForText(page.getByRole('status'), 'Saved.');

    // 6. The trigger has learned where "now" is; a new Lead arrives as an email in the inbox.
    await waitFor(() => sf.queries().some((q) => q.includes('ORDER BY CreatedDate ASC')), { timeoutMs: TIMEOUT, message: 'the first poll' });
    sf.insert('Lead', { FirstName: 'Ada', LastName: 'Lovelace', Email: 'ada@example.com', Company: 'Analytical Engines' });
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Inbox' }).click();
    const link = page.getByRole('link', { name: /New lead: Ada Lovelace/ });
    await waitFor(async () => {
      if ((await link.count()) > 0) return true;
      await page.reload(); // the inbox refreshes on its own too; a reload just makes the wait shorter
      return false;
    }, { timeoutMs: TIMEOUT, intervalMs: 500, message: 'the email of the new Lead in the inbox' });
    await link.first().click();
    const message = page.getByRole('article', { name: 'Message' });
    await waitForText(message, 'ada@example.com');
    await waitForText(message.getByRole('tabpanel'), 'Company: Analytical Engines');
    await screenshots(page, 'salesforce-inbox');
    await page.context().close();
  });

  it('"SQL - When an item is created" asks for a PostgreSQL connection, says why its tables cannot be listed, and writes the Logic Apps form', async () => {
    const page = await loggedInPage(env, '/workflows/new');
    await page.getByLabel('Workflow name').fill('new-orders');
    await page.getByLabel('Search triggers').fill('sql');
    await page.getByRole('button', { name: /SQL - When an item is created/ }).click();
    const trigger = page.getByRole('region', { name: 'Trigger: When an item is created' });
    const inline = trigger.getByRole('region', { name: 'Create a connection' });
    await inline.getByLabel('Connection name').fill('unreachable-db');
    await inline.getByLabel('Connection string').fill('postgres://orders:pw@127.0.0.1:1/orders');
    await inline.getByRole('button', { name: 'Create connection' }).click();
    await inline.waitFor({ state: 'detached' });
    await trigger.getByRole('alert').filter({ hasText: /127\.0\.0\.1|refused|reach/i }).waitFor();
    assert.equal(await trigger.getByLabel('Table name').isEnabled(), true);
    await page.getByRole('button', { name: 'Code view' }).click();
    const code = JSON.parse(await page.getByLabel('Workflow definition (JSON)').inputValue());
    const def = code.definition.triggers['When_an_item_is_created_(V2)'];
    assert.equal(def.inputs.host.connection.name, "@parameters('$connections')['sql']['connectionId']");
    assert.match(def.inputs.path, /^\/v2\/datasets\/@\{encodeURIComponent\(encodeURIComponent\('default'\)\)\},@\{encodeURIComponent\(encodeURIComponent\('default'\)\)\}\/tables\/.+\/onnewitems$/);
    assert.equal(def.splitOn, "@triggerBody()?['value']");
    assert.equal(code.parameters.$connections.value.sql.connectionName, 'unreachable-db');
    await page.context().close();
  });

  it('the connections page creates and tests Salesforce and PostgreSQL connections, secrets left blank are kept', async () => {
    const page = await loggedInPage(env, '/connections');
    await page.getByRole('button', { name: '+ New connection' }).click();
    let form = page.getByRole('form', { name: 'New SMTP connection' });
    await form.getByLabel('Connection type').selectOption('salesforce');
    form = page.getByRole('form', { name: 'New Salesforce connection' });
    await form.getByLabel('Connection name').fill('crm-jwt');
    await form.getByLabel('Login URL').fill(sf.url);
    await form.getByLabel('Sign in with').selectOption('jwtBearer');
    await form.getByLabel('Consumer key (client id)').fill(CLIENT_ID);
    await form.getByLabel('Salesforce user name').fill('integration@example.com');
    await form.getByLabel('Private key (PEM)').fill(sf.jwtKeys.privateKey);
    await screenshots(page, 'connections-salesforce');
    await form.getByRole('button', { name: 'Create connection' }).click();
    const item = page.getByRole('listitem', { name: 'Connection crm-jwt' });
    await waitForText(item, 'JWT bearer as integration@example.com');
    await item.getByRole('button', { name: 'Test' }).click();
    const report = item.getByRole('region', { name: 'Test result of crm-jwt' });
    await waitForText(report, 'The connection works.');
    await waitForText(report, 'Log in (OAuth token)');

    // Editing without touching the key keeps it: the test still logs in.
    await item.getByRole('button', { name: 'Edit' }).click();
    const edit = page.getByRole('form', { name: 'Edit connection crm-jwt' });
    assert.equal(await edit.getByLabel('Private key (PEM)').inputValue(), '', 'a secret is never shown');
    await edit.getByLabel('Login URL').fill(`${sf.url}/`);
    await edit.getByRole('button', { name: 'Save changes' }).click();
    await edit.waitFor({ state: 'detached' });
    await item.getByRole('button', { name: 'Test' }).click();
    await waitForText(item.getByRole('region', { name: 'Test result of crm-jwt' }), 'The connection works.');

    await page.getByRole('button', { name: '+ New connection' }).click();
    form = page.getByRole('form', { name: 'New SMTP connection' });
    await form.getByLabel('Connection type').selectOption('postgres');
    form = page.getByRole('form', { name: 'New PostgreSQL connection' });
    await form.getByLabel('Connection name').fill('orders-db');
    await form.getByLabel('Connection string').fill('ftp://nope');
    await form.getByRole('button', { name: 'Create connection' }).click();
    await form.getByRole('alert').filter({ hasText: /connectionString/ }).waitFor();
    assert.equal(await form.getByLabel('Connection string').getAttribute('aria-invalid'), 'true', 'the problem is shown at its field');
    await form.getByLabel('Connection string').fill('postgres://orders:s3cret@127.0.0.1:1/orders');
    await form.getByRole('button', { name: 'Create connection' }).click();
    const pg = page.getByRole('listitem', { name: 'Connection orders-db' });
    await waitForText(pg, 'connection string set');
    assert.equal((await page.content()).includes('s3cret'), false, 'the connection string is never shown again');
    await screenshots(page, 'connections-sources');
    await page.context().close();
  });
});
