import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/app.js';

const smtp = (connectionName: string) => ({ $connections: { value: { smtp: { connectionName, connectionId: `/subscriptions/x/connections/${connectionName}` } } } });
const sendAction = (runAfter: Record<string, string[]> = {}) => ({
  type: 'ApiConnection',
  inputs: {
    host: { connection: { name: "@parameters('$connections')['smtp']['connectionId']" } },
    method: 'post',
    path: '/SendEmailV2',
    body: { To: "@triggerBody()?['email']", Subject: 'Hi', Body: 'Hello' },
  },
  runAfter,
});
const valid = (name: string) => ({
  name,
  definition: {
    triggers: { manual: { type: 'Request', kind: 'Http', inputs: { schema: { type: 'object' } } } },
    actions: { Send: sendAction() },
  },
  parameters: smtp('office'),
});

describe('workflow definitions API', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
    const created = await t.api('POST', '/api/v1/connections', { name: 'office', host: '127.0.0.1', port: 2525, security: 'none' });
    assert.equal(created.status, 201);
  });
  after(() => t.close());

  test('create, read, list, replace, disable, enable and delete', async () => {
    const created = await t.api('POST', '/api/v1/workflows', valid('welcome'));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.name, 'welcome');
    assert.equal(created.body.state, 'Enabled');
    assert.equal(created.body.version, 1);
    assert.deepEqual(created.body.definition.actions.Send.inputs.path, '/SendEmailV2');

    const dup = await t.api('POST', '/api/v1/workflows', valid('welcome'));
    assert.equal(dup.status, 409);

    const one = await t.api('GET', '/api/v1/workflows/welcome');
    assert.equal(one.status, 200);
    assert.deepEqual(one.body.parameters, smtp('office'));
    const list = await t.api('GET', '/api/v1/workflows');
    assert.deepEqual(list.body.map((w: { name: string }) => w.name), ['welcome']);

    const replaced = await t.api('PUT', '/api/v1/workflows/welcome', { ...valid('welcome'), state: 'Disabled' });
    assert.equal(replaced.status, 200);
    assert.equal(replaced.body.version, 2);
    assert.equal(replaced.body.state, 'Disabled');
    const upserted = await t.api('PUT', '/api/v1/workflows/second', { definition: valid('x').definition, parameters: smtp('office') });
    assert.equal(upserted.status, 201);
    assert.equal(upserted.body.name, 'second');

    assert.equal((await t.api('POST', '/api/v1/workflows/welcome/enable')).body.state, 'Enabled');
    assert.equal((await t.api('POST', '/api/v1/workflows/welcome/disable')).body.state, 'Disabled');
    assert.equal((await t.api('DELETE', '/api/v1/workflows/welcome')).status, 204);
    assert.equal((await t.api('GET', '/api/v1/workflows/welcome')).status, 404);
    assert.equal((await t.api('POST', '/api/v1/workflows/welcome/enable')).status, 404);
  });

  test('an ARM export ({ properties: { definition, parameters } }) is accepted too', async () => {
    const { definition, parameters } = valid('arm');
    const res = await t.api('PUT', '/api/v1/workflows/arm', { name: 'arm', properties: { definition, parameters, state: 'Enabled' } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.definition.triggers.manual.type, 'Request');
  });

  test('the native SendEmail shorthand names its connection directly', async () => {
    const res = await t.api('POST', '/api/v1/workflows', {
      name: 'native',
      definition: {
        triggers: { manual: { type: 'Request', kind: 'Http' } },
        actions: { Mail: { type: 'SendEmail', inputs: { connection: 'office', To: 'a@example.com', Subject: 's', Body: 'b' }, runAfter: {} } },
      },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
  });

  test('saving answers 400 listing every problem with its JSON path', async () => {
    const res = await t.api('POST', '/api/v1/workflows', {
      name: 'broken',
      definition: {
        triggers: {
          manual: { type: 'Request', kind: 'Http' },
          tick: { type: 'Recurrence', recurrence: { frequency: 'Fortnight', interval: 0 } },
          odd: { type: 'Carrier pigeon' },
        },
        actions: {
          Send: sendAction({ Missing: ['Succeeded'] }),
          Native: { type: 'SendEmail', inputs: { connection: 'nope', To: 'a@example.com', Subjekt: 'typo' }, runAfter: {} },
          A: { type: 'Compose', inputs: 'a', runAfter: { B: ['Succeeded'] } },
          B: { type: 'Compose', inputs: 'b', runAfter: { A: ['Succeeded'] } },
          Bad_expression: { type: 'Compose', inputs: "@concat('a', ", runAfter: {} },
          Teleport: { type: 'Teleport', inputs: {}, runAfter: {} },
          Loop: {
            type: 'Foreach',
            foreach: "@triggerBody()?['items']",
            actions: { Inner: { type: 'Compose', inputs: 1, runAfter: { Nowhere: ['Failed'] } } },
            runtimeConfiguration: { concurrency: { repetitions: 500 } },
            runAfter: {},
          },
          Retrying: { type: 'Compose', inputs: 1, retryPolicy: { type: 'fixed', count: 2, interval: 'ten seconds' }, runAfter: { Send: ['Sometimes'] } },
        },
      },
      parameters: smtp('ghost'),
    });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'InvalidWorkflow');
    const problems: Array<{ path: string; message: string }> = res.body.error.problems;
    const paths = problems.map((p) => p.path);
    const expect = (path: string, pattern: RegExp): void => {
      const found = problems.find((p) => p.path === path && pattern.test(p.message));
      assert.ok(found, `expected a problem at ${path} matching ${pattern}; got:\n${problems.map((p) => `${p.path}: ${p.message}`).join('\n')}`);
    };
    expect('definition.triggers.tick.recurrence.frequency', /Second, Minute/);
    expect('definition.triggers.tick.recurrence.interval', /at least 1/);
    expect('definition.triggers.odd.type', /not a known trigger type/);
    expect('definition.actions.Send.runAfter.Missing', /not an action in the same scope/);
    expect('definition.actions.Send.inputs.host.connection.name', /'ghost'.*does not exist/);
    expect('definition.actions.Native.inputs.connection', /'nope'.*does not exist/);
    expect('definition.actions.Native.inputs.Subjekt', /not a Send Email field/);
    assert.ok(paths.some((p) => /^definition\.actions\.[AB]\.runAfter\.[AB]$/.test(p) && problems.find((x) => x.path === p)!.message.includes('cycle')), 'the A ↔ B cycle is reported');
    assert.ok(paths.some((p) => p.startsWith('definition.actions.Bad_expression.inputs')), 'the bad expression is reported at its path');
    expect('definition.actions.Teleport.type', /not a known action type/);
    expect('definition.actions.Loop.actions.Inner.runAfter.Nowhere', /not an action in the same scope/);
    expect('definition.actions.Loop.runtimeConfiguration.concurrency.repetitions', /1 to 50/);
    expect('definition.actions.Retrying.retryPolicy', /ISO 8601/);
    expect('definition.actions.Retrying.runAfter.Send', /non-empty array of Succeeded/);
    assert.equal(res.body.error.field, problems[0].path);
    assert.equal((await t.api('GET', '/api/v1/workflows/broken')).status, 404, 'nothing was saved');
  });

  test('a Response action needs a Request trigger; a body that is not an object is refused', async () => {
    const res = await t.api('POST', '/api/v1/workflows', {
      name: 'no-request',
      definition: {
        triggers: { tick: { type: 'Recurrence', recurrence: { frequency: 'Hour', interval: 1 } } },
        actions: { Answer: { type: 'Response', inputs: { statusCode: 200 }, runAfter: {} } },
      },
    });
    assert.equal(res.status, 400);
    assert.ok(res.body.error.problems.some((p: { path: string }) => p.path === 'definition.actions.Answer'));
    const notObject = await t.api('POST', '/api/v1/workflows', [1, 2]);
    assert.equal(notObject.status, 400);
  });

  test('workflow routes need an API key; reading needs the read scope, changing needs admin', async () => {
    assert.equal((await t.api('GET', '/api/v1/workflows', undefined, { key: null })).status, 401);
    const reader = await t.api('POST', '/api/v1/keys', { name: 'reader', scope: 'read' });
    assert.equal(reader.status, 201, JSON.stringify(reader.body));
    assert.equal((await t.api('GET', '/api/v1/workflows', undefined, { key: reader.body.key })).status, 200);
    assert.equal((await t.api('POST', '/api/v1/workflows', valid('x2'), { key: reader.body.key })).status, 403);
  });
});
