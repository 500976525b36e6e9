import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, TEST_ADMIN_KEY, type TestApp } from '../helpers/app.js';
import { cliFor, freePort, oneLineError, runCli } from './util.js';

describe('smtpflow client commands: failures are one line and an exit code', () => {
  let t: TestApp;
  let cli: ReturnType<typeof cliFor>;
  before(async () => {
    t = await startTestApp();
    cli = cliFor(t.url, TEST_ADMIN_KEY);
  });
  after(() => t.close());

  const usageErrors: Array<[string, string[], RegExp]> = [
    ['a missing required option', ['connections', 'add', 'x'], /--host is required for an SMTP connection \(or --auth oauth2 --provider microsoft\|google, or --type salesforce\|postgres\)/],
    ['an unknown option', ['keys', 'list', '--bogus'], /unknown option '--bogus'/],
    ['a value outside the choices', ['send', '--connection', 'dev-inbox', '--importance', 'urgent'], /'urgent' is invalid.*high, normal, low/],
    ['a bad --rate-limit', ['connections', 'add', 'x', '--host', 'h', '--rate-limit', 'fast'], /--rate-limit takes MESSAGES\/SECONDS/],
    ['a bad --port', ['connections', 'add', 'x', '--host', 'h', '--port', '25x'], /--port must be a whole number/],
    ['a bad --header', ['send', '--connection', 'dev-inbox', '--to', 'a@b.c', '--header', 'no colon'], /--header takes 'X-Name: value'/],
    ['a bad --inline', ['send', '--connection', 'dev-inbox', '--to', 'a@b.c', '--inline', 'logo.png'], /--inline takes FILE=CID/],
    ['a missing attachment file', ['send', '--connection', 'dev-inbox', '--to', 'a@b.c', '--attach', '/nonexistent/file.pdf'], /cannot read --attach \/nonexistent\/file\.pdf: ENOENT/],
    ['two bodies', ['send', '--connection', 'dev-inbox', '--to', 'a@b.c', '--body', 'x', '--body-file', 'y'], /give the body once/],
  ];
  for (const [what, args, reason] of usageErrors) {
    test(`usage error: ${what}`, async () => {
      const r = await cli(args);
      assert.equal(r.code, 1, r.stderr);
      assert.match(oneLineError(r), reason);
      assert.equal(r.stdout, '');
    });
  }

  test('no API key: says where to get one', async () => {
    const r = await runCli(['connections', 'list'], { env: { SMTPFLOW_URL: t.url } });
    assert.equal(r.code, 1);
    assert.match(oneLineError(r), /no API key: pass --key or set SMTPFLOW_KEY/);
  });

  test('--url and --key flags win over the environment', async () => {
    const r = await runCli(['connections', 'list', '--url', t.url, '--key', TEST_ADMIN_KEY], { env: { SMTPFLOW_URL: 'http://127.0.0.1:1', SMTPFLOW_KEY: 'wrong' } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^dev-inbox|^no connections/m);
  });

  test('an unreachable server: exit 2, one line naming the URL and how to start smtpflow', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const r = await runCli(['keys', 'list'], { env: { SMTPFLOW_URL: url, SMTPFLOW_KEY: 'k' } });
    assert.equal(r.code, 2);
    const line = oneLineError(r);
    assert.ok(line.includes(`cannot reach the smtpflow server at ${url}`), line);
    assert.match(line, /smtpflow serve/);
    assert.equal(line.includes('k)'), false);
  });

  test('a wrong key: the API reason, exit 1, the key not echoed', async () => {
    const r = await runCli(['connections', 'list'], { env: { SMTPFLOW_URL: t.url, SMTPFLOW_KEY: 'sfk_key_nope.not-a-real-secret-value-1234567890' } });
    assert.equal(r.code, 1);
    assert.match(oneLineError(r), /^smtpflow: Unauthorized: /);
    assert.equal(r.stderr.includes('not-a-real-secret'), false);
  });

  test('--help everywhere, with examples and the exit codes', async () => {
    for (const args of [['send'], ['connections', 'add'], ['connections', 'list'], ['connections', 'show'], ['connections', 'test'], ['connections', 'rm'], ['keys', 'create'], ['keys', 'list'], ['keys', 'rm']]) {
      const r = await runCli([...args, '--help']);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stdout, /Examples?:\n\s+\$ /, args.join(' '));
      assert.match(r.stdout, /Exit codes: 0 done; 1 .*\n2 the server could not be reached/, args.join(' '));
    }
    const top = await runCli(['connections', '--help']);
    assert.match(top.stdout, /add \[options\] <name>/);
    assert.match(top.stdout, /Exit codes/);
  });
});
