import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { freePort, inbox, runsOf, waitFor } from '../workflows/util.js';
import { CLIENT_ID, CLIENT_SECRET, startFakeSalesforce, type FakeSalesforce } from './fake-salesforce.js';

/** The seed's trigger as Logic Apps' code view exports it, with its SMTP action. */
function leadWorkflow(name: string, options: { operation?: 'onnewitems' | 'onupdateditems'; queries?: Record<string, string>; subject?: string; to?: string } = {}) {
  return {
    name,
    definition: {
      $schema: 'https://schema.management.azure.com/providers/Microsoft.Logic/schemas/2016-06-01/workflowdefinition.json#',
      contentVersion: '1.0.0.0',
      parameters: { $connections: { defaultValue: {}, type: 'Object' } },
      triggers: {
        When_a_record_is_created: {
          type: 'ApiConnection',
          inputs: {
            host: { connection: { name: "@parameters('$connections')['salesforce']['connectionId']" } },
            method: 'get',
            path: `/datasets/default/tables/@{encodeURIComponent(encodeURIComponent('Lead'))}/${options.operation ?? 'onnewitems'}`,
            ...(options.queries ? { queries: options.queries } : {}),
          },
          recurrence: { frequency: 'Second', interval: 1 },
          splitOn: "@triggerBody()?['value']",
        },
      },
      actions: {
        Send_an_email: {
          type: 'ApiConnection',
          inputs: {
            host: { connection: { name: "@parameters('$connections')['smtp']['connectionId']" } },
            method: 'post',
            path: '/SendEmailV3',
            body: {
              To: options.to ?? "@triggerBody()?['Email']",
              Subject: options.subject ?? "New lead: @{triggerBody()?['FirstName']} @{triggerBody()?['LastName']}",
              Body: "<p>@{triggerBody()?['FirstName']} from @{triggerBody()?['Company']} (@{triggerBody()?['Id']})</p>",
              From: 'CRM <crm@example.com>',
            },
          },
          runAfter: {},
        },
      },
      outputs: {},
    },
    parameters: {
      $connections: {
        value: {
          salesforce: { connectionId: '/subscriptions/x/resourceGroups/y/providers/Microsoft.Web/connections/sf', connectionName: 'sf', id: '/providers/Microsoft.Web/locations/westeurope/managedApis/salesforce' },
          smtp: { connectionId: '/subscriptions/x/resourceGroups/y/providers/Microsoft.Web/connections/dev-inbox', connectionName: 'dev-inbox', id: '/providers/Microsoft.Web/locations/westeurope/managedApis/smtp' },
        },
      },
    },
  };
}

describe('Salesforce "When a record is created" (Logic Apps form) against a local Salesforce org', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'smtpflow-sf-'));
  let sf: FakeSalesforce;
  let t: TestApp | undefined;
  let devSmtpPort: number;
  let databaseUrl: string;

  const lead = (first: string, at?: number, extra: Record<string, unknown> = {}) =>
    sf.insert('Lead', { FirstName: first, LastName: 'Lovelace', Email: `${first.toLowerCase()}@example.com`, Company: 'Analytical Engines', Status: 'Open - Not Contacted', ...extra }, at);
  const subjects = async (prefix: string): Promise<string[]> =>
    (await inbox(t!))
      .map((m) => m.subject as string)
      .filter((s) => s.startsWith(prefix))
      .sort();
  /** The trigger has learned where "now" is once it asks for what comes after its cursor. */
  const primed = (workflowMarker: string) => waitFor(`the first poll of ${workflowMarker}`, () => sf.queries().some((q) => q.includes('ORDER BY CreatedDate ASC') && q.includes(workflowMarker)));
  const disable = async (name: string) => assert.equal((await t!.api('POST', `/api/v1/workflows/${name}/disable`)).status, 200);

  before(async () => {
    sf = await startFakeSalesforce({ pageSize: 2 });
    devSmtpPort = await freePort();
    t = await startTestApp({ dataDir, devSmtpPort });
    databaseUrl = t.app.config.databaseUrl;
    const created = await t.api('POST', '/api/v1/connections', { name: 'sf', type: 'salesforce', loginUrl: sf.url, auth: { type: 'clientCredentials', clientId: CLIENT_ID, clientSecret: CLIENT_SECRET } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
  });
  after(async () => {
    await t?.close();
    await sf.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test('one email per Lead created after enabling: same second, across pages, across a restart', async () => {
    lead('Existing1');
    lead('Existing2');
    const saved = await t!.api('POST', '/api/v1/workflows', leadWorkflow('new-leads'));
    assert.equal(saved.status, 201, JSON.stringify(saved.body));
    await primed('FROM Lead WHERE');

    // Three in the same second, two in the next: pages of two split the same-second group.
    const second = Math.floor(Date.now() / 1000) * 1000 + 1000;
    for (const name of ['Ada', 'Blaise', 'Charles']) lead(name, second);
    for (const name of ['Dorothy', 'Edsger']) lead(name, second + 1000);
    await waitFor('five emails', async () => (await subjects('New lead: ')).length >= 5);

    await t!.close();
    t = undefined;
    lead('Grace', second + 1000); // created while smtpflow is down, in a second already polled
    lead('Hedy', second + 2000);
    t = await startTestApp({ dataDir, devSmtpPort, databaseUrl });
    await waitFor('the two Leads created while down', async () => (await subjects('New lead: ')).length >= 7, 20_000);
    const polls = sf.queries().length;
    await waitFor('three more polls', () => sf.queries().length >= polls + 3);

    const names = ['Ada', 'Blaise', 'Charles', 'Dorothy', 'Edsger', 'Grace', 'Hedy'];
    assert.deepEqual(await subjects('New lead: '), names.map((n) => `New lead: ${n} Lovelace`), 'each new Lead once; none of the Leads that existed before');
    const runs = await runsOf(t, 'new-leads');
    assert.equal(runs.length, 7);
    const detail = (await t.api('GET', `/api/v1/workflows/new-leads/runs/${runs[0].id}`)).body;
    assert.equal(detail.trigger.outputs.body.FirstName, 'Ada');
    assert.equal(detail.trigger.outputs.body.Email, 'ada@example.com');
    assert.equal(detail.trigger.outputs.body.attributes, undefined, "Salesforce's attributes are not part of the record");
    const mail = (await inbox(t)).find((m) => m.subject === 'New lead: Ada Lovelace');
    assert.match((await t.api('GET', `/api/v1/inbox/${mail.id}`)).body.html, /Ada from Analytical Engines \(00Q/);
    assert.ok(sf.queries().some((q) => /WHERE \(CreatedDate > \S+Z OR \(CreatedDate = \S+Z AND Id > '00Q\w+'\)\) ORDER BY CreatedDate ASC, Id ASC$/.test(q)), 'the cursor is (CreatedDate, Id)');
    assert.ok(sf.requests.some((r) => /\/query\/01g/.test(r.path)), 'nextRecordsUrl pages were followed');
    assert.equal(t.logs().includes(CLIENT_SECRET), false, 'the client secret is not logged');
    await disable('new-leads');
  });

  test('a token that expires mid-poll is refreshed, and no record is missed', async () => {
    const saved = await t!.api('POST', '/api/v1/workflows', leadWorkflow('expiry', { subject: "Expiry: @{triggerBody()?['FirstName']}" }));
    assert.equal(saved.status, 201, JSON.stringify(saved.body));
    const marker = sf.queries().length;
    await waitFor('the first poll', () => sf.queries().slice(marker).some((q) => q.includes('ORDER BY CreatedDate ASC')));
    const grants = sf.grants().length;
    const denied = sf.requests.filter((r) => r.status === 401).length;
    sf.expireTokensBeforeNextPage();
    for (const name of ['Ida', 'Jean', 'Karen']) lead(name); // two pages: the second one meets the expired token
    await waitFor('three emails', async () => (await subjects('Expiry: ')).length >= 3);
    assert.deepEqual(await subjects('Expiry: '), ['Expiry: Ida', 'Expiry: Jean', 'Expiry: Karen']);
    assert.equal(sf.requests.filter((r) => r.status === 401).length, denied + 1, 'the expired token was refused once…');
    assert.equal(sf.grants().length, grants + 1, '…and one new token was granted');
    await disable('expiry');
  });

  test('REQUEST_LIMIT_EXCEEDED and 503 make the trigger wait longer, not fail, and nothing is lost', async () => {
    const saved = await t!.api('POST', '/api/v1/workflows', leadWorkflow('limits', { subject: "Limits: @{triggerBody()?['FirstName']}" }));
    assert.equal(saved.status, 201, JSON.stringify(saved.body));
    const marker = sf.requests.length;
    await waitFor('the first poll', () => sf.requests.slice(marker).some((r) => r.soql?.includes('ORDER BY CreatedDate ASC')));
    sf.throttle(2, 'limit');
    lead('Lise');
    await waitFor("Lise's email", async () => (await subjects('Limits: ')).length >= 1, 30_000);
    const limited = sf.requests.slice(marker).filter((r) => r.status === 403);
    assert.equal(limited.length, 2);
    const [first, second] = limited;
    // Polled every second normally; after the first refusal no sooner than 2 s, after the second 4 s.
    assert.ok(second.at - first.at >= 2000, `backed off ${second.at - first.at} ms after the first refusal`);
    const next = sf.requests.find((r) => r.at > second.at && r.path.includes('/query'))!;
    assert.ok(next.at - second.at >= 4000, `backed off ${next.at - second.at} ms after the second refusal`);
    assert.match(t!.logs(), /Salesforce asked to slow down \(TotalRequests Limit exceeded\.\)/);

    sf.throttle(1, 'unavailable');
    lead('Mary');
    await waitFor("Mary's email", async () => (await subjects('Limits: ')).length >= 2, 30_000);
    assert.ok(sf.requests.some((r) => r.status === 503));
    assert.deepEqual(await subjects('Limits: '), ['Limits: Lise', 'Limits: Mary']);
    const runs: Array<{ status: string }> = await waitFor('both runs to end', async () => {
      const all = await runsOf(t!, 'limits');
      return all.every((r) => r.status !== 'Running') ? all : undefined;
    });
    assert.deepEqual(runs.map((r) => r.status), ['Succeeded', 'Succeeded'], 'no run failed');
    await disable('limits');
  });

  test('$filter with quotes and backslashes becomes escaped SOQL; $select limits the fields; onupdateditems fires on a change', async () => {
    const filter = "Company eq 'O''Brien \\ Sons' and not startswith(LastName, 'Test')";
    const saved = await t!.api('POST', '/api/v1/workflows', leadWorkflow('filtered', { queries: { $filter: filter, $select: 'FirstName,LastName,Company' }, subject: "Filtered: @{triggerBody()?['FirstName']}", to: 'sales@example.com' }));
    assert.equal(saved.status, 201, JSON.stringify(saved.body));
    const updated = await t!.api('POST', '/api/v1/workflows', leadWorkflow('modified', { operation: 'onupdateditems', subject: "Modified: @{triggerBody()?['FirstName']} is @{triggerBody()?['Status']}" }));
    assert.equal(updated.status, 201, JSON.stringify(updated.body));
    const existing = lead('Nell');
    await waitFor('both triggers primed', () => sf.queries().some((q) => q.includes("Company = 'O\\'Brien \\\\ Sons'")) && sf.queries().some((q) => q.includes('ORDER BY LastModifiedDate ASC')));

    lead('Olive', undefined, { Company: "O'Brien \\ Sons", LastName: 'Real' });
    lead('Pat', undefined, { Company: "O'Brien \\ Sons", LastName: 'Tester' });
    lead('Quinn', undefined, { Company: "O'Brien Sons", LastName: 'Real' });
    lead('Ruth', undefined, { Company: "O\\'Brien \\ Sons", LastName: 'Real' });
    sf.update('Lead', existing.Id, { Status: 'Working - Contacted' }, Date.now() + 1000);
    await waitFor('the filtered email', async () => (await subjects('Filtered: ')).length >= 1);
    await waitFor('the modified email', async () => (await subjects('Modified: Nell is Working')).length >= 1);
    const polls = sf.queries().length;
    await waitFor('three more polls', () => sf.queries().length >= polls + 3);

    assert.deepEqual(await subjects('Filtered: '), ['Filtered: Olive'], "only O'Brien \\ Sons, and not a Test… last name");
    const soql = sf.queries().find((q) => q.includes('O\\\'Brien'))!;
    assert.ok(soql.includes("(Company = 'O\\'Brien \\\\ Sons' AND (NOT LastName LIKE 'Test%'))"), soql);
    const [run] = await runsOf(t!, 'filtered');
    const body = (await t!.api('GET', `/api/v1/workflows/filtered/runs/${run.id}`)).body.trigger.outputs.body;
    assert.deepEqual(Object.keys(body).sort(), ['Company', 'FirstName', 'LastName'], '$select: only the fields asked for');
    assert.ok((await subjects('Modified: ')).includes('Modified: Nell is Working - Contacted'));
  });

  test('save-time problems: a bad $filter, a wrong connection type, an unknown operation', async () => {
    const bad = leadWorkflow('bad-filter', { queries: { $filter: "Company eq 'x' or" } });
    const res = await t!.api('POST', '/api/v1/workflows', bad);
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.deepEqual(res.body.error.problems.map((p: { path: string }) => p.path), ['definition.triggers.When_a_record_is_created.inputs.queries.$filter']);
    assert.match(res.body.error.problems[0].message, /expected a field or a value, found the end of the filter \(at character 18/);

    const wrong = leadWorkflow('wrong-connection');
    wrong.parameters.$connections.value.salesforce.connectionName = 'dev-inbox';
    const res2 = await t!.api('POST', '/api/v1/workflows', wrong);
    assert.equal(res2.status, 400);
    assert.match(JSON.stringify(res2.body.error.problems), /which is a smtp connection, not a Salesforce one/);

    const unknown = leadWorkflow('unknown-op');
    unknown.definition.triggers.When_a_record_is_created.inputs.path = "/datasets/default/tables/@{encodeURIComponent(encodeURIComponent('Lead'))}/ondeleteditems";
    const res3 = await t!.api('POST', '/api/v1/workflows', unknown);
    assert.equal(res3.status, 400);
    assert.match(res3.body.error.problems[0].message, /is not a connector trigger smtpflow runs/);
  });
});
