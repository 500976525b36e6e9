/**
 * HttpPoll's SSRF guard (issue 7, part 3): link-local and cloud metadata addresses are refused,
 * whatever way the URL writes them and after DNS resolution, unless SMTPFLOW_HTTP_POLL_ALLOW lets
 * them through; loopback stays allowed (local services and these tests poll 127.0.0.1).
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { AddressGuard, PollAddressRefused } from '../../src/workflows/triggers/address-guard.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { waitFor } from '../helpers/wait.js';

/** What the guard's socket lookup answers for `host`: the addresses, or the refusal. */
function lookUp(guard: AddressGuard, host: string): Promise<string[] | Error> {
  return new Promise((resolve) =>
    guard.lookup(host, { all: true }, (err, addresses) => resolve(err ?? (addresses as Array<{ address: string }>).map((a) => a.address))),
  );
}

const logLines = (t: TestApp): any[] => t.logs().split('\n').filter(Boolean).map((line) => JSON.parse(line));

const refused = (guard: AddressGuard, host: string): boolean => {
  try {
    guard.checkHost(host);
    return false;
  } catch (err) {
    assert.ok(err instanceof PollAddressRefused, String(err));
    assert.match(err.message, /SMTPFLOW_HTTP_POLL_ALLOW=/, 'the refusal says how to allow it');
    return true;
  }
};

describe('HttpPoll address guard', () => {
  test('refuses link-local and metadata hosts in every spelling the URL parser accepts; allows loopback and private networks', () => {
    const guard = new AddressGuard();
    const hostOf = (url: string) => new URL(url).hostname;
    for (const url of [
      'http://169.254.169.254/latest/meta-data/',
      'http://169.254.1.2:8080/',
      'http://2852039166/', // 169.254.169.254 as one number
      'http://0xa9.0xfe.0xa9.0xfe/',
      'http://169.254.169.254./',
      'http://[::ffff:169.254.169.254]/',
      'http://[fe80::1]/',
      'http://[FD00:EC2::254]/',
      'http://100.100.100.200/',
      'http://metadata.google.internal/computeMetadata/v1/',
      'http://METADATA.GOOGLE.INTERNAL./',
    ]) {
      assert.ok(refused(guard, hostOf(url)), `${url} is refused`);
    }
    for (const url of ['http://127.0.0.1:8080/', 'http://[::1]/', 'http://localhost/', 'http://10.1.2.3/', 'http://192.168.0.10/', 'http://example.org/']) {
      assert.ok(!refused(guard, hostOf(url)), `${url} is allowed`);
    }
  });

  test('judges the addresses DNS answered, in the lookup the socket itself uses', async () => {
    const guard = new AddressGuard();
    const local = await lookUp(guard, 'localhost');
    assert.ok(Array.isArray(local) && local.every((a) => a === '127.0.0.1' || a === '::1'), String(local));
    for (const host of ['169.254.169.254', 'fe80::1', 'fd00:ec2::254']) {
      const answer = await lookUp(guard, host);
      assert.ok(answer instanceof PollAddressRefused, `${host}: ${String(answer)}`);
    }
  });

  test('SMTPFLOW_HTTP_POLL_ALLOW lets through exactly the blocks and names it lists', async () => {
    const { httpPollAllow } = loadConfig({}, { SMTPFLOW_HTTP_POLL_ALLOW: '169.254.10.0/24, fe80::1, metadata.google.internal' });
    const guard = new AddressGuard(httpPollAllow);
    assert.ok(!refused(guard, '169.254.10.7'));
    assert.ok(refused(guard, '169.254.169.254'), 'the rest of 169.254.0.0/16 stays refused');
    assert.ok(!refused(guard, '[fe80::1]'));
    assert.ok(refused(guard, '[fe80::2]'));
    assert.ok(!refused(guard, 'metadata.google.internal'));
    assert.deepEqual(await lookUp(guard, '169.254.10.7'), ['169.254.10.7']);
  });

  describe('in a running app', () => {
    let t: TestApp;
    let items: http.Server;
    let itemsUrl: string;
    before(async () => {
      t = await startTestApp();
      items = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify([{ id: 1 }])));
      await new Promise<void>((resolve) => items.listen(0, '127.0.0.1', resolve));
      itemsUrl = `http://127.0.0.1:${(items.address() as AddressInfo).port}/items`;
    });
    after(async () => {
      await t.close();
      await new Promise((resolve) => items.close(resolve));
    });

    const polling = (name: string, uri: string) => ({
      name,
      definition: {
        triggers: { When_an_item_is_created: { type: 'HttpPoll', inputs: { uri, idField: 'id', fireOnExisting: true }, recurrence: { frequency: 'Second', interval: 1 } } },
        actions: { Note: { type: 'Compose', inputs: "@triggerBody()?['id']", runAfter: {} } },
      },
    });

    test('a poll of a metadata address is refused and logged; a poll of loopback runs', async () => {
      const targets = { metadata: 'http://169.254.169.254/latest/meta-data/iam/', gcp: 'http://metadata.google.internal/computeMetadata/v1/', aws6: 'http://[fd00:ec2::254]/' };
      for (const [name, uri] of Object.entries(targets)) assert.equal((await t.api('POST', '/api/v1/workflows', polling(name, uri))).status, 201);
      assert.equal((await t.api('POST', '/api/v1/workflows', polling('local', itemsUrl))).status, 201);

      const refusedPolls = () => new Set(logLines(t).filter((l) => /^HttpPoll refused to connect/.test(l.err?.message ?? '')).map((l) => l.workflow));
      await waitFor(() => Object.keys(targets).every((name) => refusedPolls().has(name)), {
        timeoutMs: 15_000,
        message: 'a refusal logged for each metadata poll',
      });
      await waitFor(async () => (await t.api('GET', '/api/v1/workflows/local/runs')).body.runs.length === 1, { message: 'the loopback poll fired its run' });
      for (const name of Object.keys(targets)) assert.equal((await t.api('GET', `/api/v1/workflows/${name}/runs`)).body.runs.length, 0);
    });
  });
});
