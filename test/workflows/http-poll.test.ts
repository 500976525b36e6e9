import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { freePort, inbox, waitFor } from './util.js';

interface Item {
  id: number;
  title: string;
  createdAt: string;
}

/** A JSON endpoint whose list of items grows while the test runs. */
function startItemsServer(): Promise<{ url: string; items: Item[]; requests(): number; close(): Promise<void> }> {
  const items: Item[] = [];
  let requests = 0;
  const server = http.createServer((req, res) => {
    requests++;
    if (req.headers['x-api-key'] !== 'poll-secret') {
      res.writeHead(401).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: { items } }));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/items`,
        items,
        requests: () => requests,
        close: () => new Promise<void>((r) => server.close(() => r())),
      }),
    ),
  );
}

const add = (items: Item[], id: number): void => void items.push({ id, title: `Item ${id}`, createdAt: new Date(Date.UTC(2024, 0, 1, 0, 0, id)).toISOString() });

function pollingWorkflow(name: string, uri: string, inputs: Record<string, unknown>, subject: string) {
  return {
    name,
    definition: {
      triggers: {
        When_an_item_is_created: {
          type: 'HttpPoll',
          inputs: { uri, method: 'GET', headers: { 'x-api-key': 'poll-secret' }, itemsPath: 'data.items', ...inputs },
          recurrence: { frequency: 'Second', interval: 1 },
        },
      },
      actions: {
        Send: { type: 'SendEmail', inputs: { connection: 'dev-inbox', To: 'sales@example.com', Subject: subject, Body: "@{triggerBody()?['title']} was created at @{triggerBody()?['createdAt']}" }, runAfter: {} },
      },
    },
  };
}

describe('HttpPoll trigger ("When an item is created")', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'smtpflow-poll-'));
  let t: TestApp | undefined;
  let source: Awaited<ReturnType<typeof startItemsServer>>;
  let devSmtpPort: number;
  before(async () => {
    source = await startItemsServer();
    devSmtpPort = await freePort();
  });
  after(async () => {
    await t?.close();
    await source.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const subjects = async (prefix: string): Promise<string[]> =>
    (await inbox(t!))
      .map((m) => m.subject as string)
      .filter((s) => s.startsWith(prefix))
      .sort();

  test('sends one email per new item, none for items present at the first poll, none twice across a restart', async () => {
    add(source.items, 1);
    add(source.items, 2);
    t = await startTestApp({ dataDir, devSmtpPort });
    const databaseUrl = t.app.config.databaseUrl;
    const byId = await t.api('POST', '/api/v1/workflows', pollingWorkflow('new-items', source.url, { idField: 'id' }, "New: @{triggerBody()?['title']}"));
    assert.equal(byId.status, 201, JSON.stringify(byId.body));
    const byMark = await t.api('POST', '/api/v1/workflows', pollingWorkflow('marked-items', source.url, { watermarkField: 'createdAt', fireOnExisting: true }, "Mark: @{triggerBody()?['title']}"));
    assert.equal(byMark.status, 201, JSON.stringify(byMark.body));

    // fireOnExisting: the watermark workflow fires for the items already there; the id workflow does not.
    await waitFor('marks for items 1 and 2', async () => (await subjects('Mark: ')).length === 2);
    const polled = source.requests();
    await waitFor('two more polls', () => source.requests() >= polled + 4);
    assert.deepEqual(await subjects('New: '), [], 'items present at the first poll are not new');

    add(source.items, 3);
    await waitFor('the email for item 3', async () => (await subjects('New: ')).length === 1);
    add(source.items, 4);
    add(source.items, 5);
    await waitFor('the emails for items 4 and 5', async () => (await subjects('New: ')).length === 3);

    await t.close();
    t = undefined;
    add(source.items, 6); // created while smtpflow is down
    t = await startTestApp({ dataDir, devSmtpPort, databaseUrl });
    await waitFor('the email for item 6', async () => (await subjects('New: ')).length === 4, 20_000);
    await waitFor('item 6 by watermark', async () => (await subjects('Mark: ')).length === 6, 20_000);
    const after = source.requests();
    await waitFor('a few more polls', () => source.requests() >= after + 4);

    assert.deepEqual(await subjects('New: '), ['New: Item 3', 'New: Item 4', 'New: Item 5', 'New: Item 6']);
    assert.deepEqual(await subjects('Mark: '), [1, 2, 3, 4, 5, 6].map((n) => `Mark: Item ${n}`));
    const runs = (await t.api('GET', '/api/v1/workflows/new-items/runs')).body.runs;
    assert.equal(runs.length, 4);
    const detail = (await t.api('GET', `/api/v1/workflows/new-items/runs/${runs[0].id}`)).body;
    assert.equal(detail.trigger.outputs.body.id, 6);
    assert.equal(JSON.stringify(detail).includes('poll-secret'), false, 'the polling credentials are not in the run');
    assert.equal(t.logs().includes('poll-secret'), false, 'nor in the log');
  });
});
