import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import type { SmtpConnection } from '../../src/connections/schema.js';
import { OAuthTokens } from '../../src/oauth/index.js';
import { SecretBox } from '../../src/secrets/secret-box.js';
import { testConnection, type ConnectionTestReport } from '../../src/smtp/connection-test.js';
import { openStore } from '../../src/store/db.js';
import { testCerts } from '../helpers/certs.js';
import { testDatabaseUrl } from '../helpers/database.js';
import { startSmtpPeer, type SmtpPeer, type SmtpPeerOptions } from '../helpers/smtp-peers.js';
import { startTokenServer } from '../oauth/token-server.js';
import { blackhole, closedPort, connTo, PASSWORD, silentServer } from './util.js';

const certs = testCerts();
// OAuth2 connections: a real token server, and the token cache on a real database (as the API's test route uses it)
const oauth = await startTokenServer();
const CLIENT_SECRET = 'daemon-Secret-0b7e45';
oauth.addClient('daemon', CLIENT_SECRET, { mailboxes: ['robot@example.com'] });
oauth.addClient('desktop', undefined);
const revokedRefreshToken = oauth.consent('desktop', 'ada@example.com', 'https://mail.google.com/');
oauth.revoke(revokedRefreshToken);
const deadTokenUrl = `http://127.0.0.1:${await closedPort()}/token`;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'smtpflow-conntest-'));
const store = await openStore(await testDatabaseUrl(dataDir));
const tokens = new OAuthTokens(store, new SecretBox(randomBytes(32)));
const cleanups: Array<() => Promise<void>> = [oauth.close, () => store.close()];
after(async () => {
  await Promise.all(cleanups.map((c) => c()));
  fs.rmSync(dataDir, { recursive: true, force: true });
});
/** Application access (client credentials) for robot@example.com, as Microsoft 365 grants it. */
const daemon = (overrides: Record<string, unknown> = {}): Pick<SmtpConnection, 'auth'> => ({
  auth: { type: 'oauth2', tokenUrl: oauth.url, user: 'robot@example.com', clientId: 'daemon', clientSecret: CLIENT_SECRET, scope: 'https://outlook.office365.com/.default', ...overrides },
});
const xoauth2Server = { tls: certs.server, auth: { user: 'robot@example.com', pass: '', methods: ['XOAUTH2'], validateToken: oauth.accepts } };

const MICROSOFT_535 =
  '5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.';
const login = { username: 'ada', password: PASSWORD };

interface Case {
  name: string;
  /** The server, made real; or a bare port for the network cases. */
  server: SmtpPeerOptions | (() => Promise<{ port: number; close(): Promise<void> }>);
  conn: Partial<SmtpConnection>;
  timeoutMs?: number;
  lookup?: (host: string) => Promise<{ address: string }>;
  code: string;
  /** The step that failed (the last one reported). */
  failedStep: string;
  /** The fix must name the setting to change. */
  fix: RegExp;
  message?: RegExp;
  /** The password must not have reached the server. */
  noAuthSent?: boolean;
}

const cases: Case[] = [
  {
    name: 'a TLS server on the port the connection calls "starttls"',
    server: { secure: true, tls: certs.server },
    conn: { security: 'starttls', ca: certs.ca, ...login },
    timeoutMs: 1000,
    code: 'TlsPortCalledPlain', failedStep: 'banner', fix: /security to "tls"/, noAuthSent: true,
  },
  {
    name: 'a plain server the connection calls "tls"',
    server: {},
    conn: { security: 'tls', ...login },
    code: 'PlainPortCalledTls', failedStep: 'certificate', fix: /security to "starttls"/,
  },
  {
    name: 'a self-signed certificate and no `ca`',
    server: { tls: certs.selfSigned, auth: { user: 'ada', pass: PASSWORD } },
    conn: { security: 'starttls', ...login },
    code: 'CertificateUntrusted', failedStep: 'certificate', fix: /"ca".*rejectUnauthorized: false/,
    message: /subject CN=self-signed\.smtpflow\.test, issuer CN=self-signed\.smtpflow\.test/, noAuthSent: true,
  },
  {
    name: 'an expired certificate, CA trusted',
    server: { secure: true, tls: certs.expired, auth: { user: 'ada', pass: PASSWORD } },
    conn: { security: 'tls', ca: certs.ca, ...login },
    code: 'CertificateExpired', failedStep: 'certificate', fix: /renew.*rejectUnauthorized: false/, message: /issuer CN=smtpflow test CA/, noAuthSent: true,
  },
  {
    name: 'a certificate for another host',
    server: { secure: true, tls: certs.otherHost, auth: { user: 'ada', pass: PASSWORD } },
    conn: { security: 'tls', ca: certs.ca, ...login },
    code: 'CertificateHostMismatch', failedStep: 'certificate', fix: /host/, message: /mail\.example\.com/, noAuthSent: true,
  },
  {
    name: 'a server without STARTTLS under "starttls"',
    server: { auth: { user: 'ada', pass: PASSWORD } },
    conn: { security: 'starttls', ...login },
    code: 'StarttlsNotOffered', failedStep: 'starttls', fix: /security to "tls"/, message: /EHLO does not list it/, noAuthSent: true,
  },
  {
    name: 'AUTH offered only after STARTTLS, connection "none"',
    server: { tls: certs.server, hideAuth: true, auth: { user: 'ada', pass: PASSWORD } },
    conn: { security: 'none', ...login },
    code: 'AuthRequiresStarttls', failedStep: 'auth-mechanisms', fix: /security to "starttls"/, noAuthSent: true,
  },
  {
    name: 'a server that offers no AUTH, connection with a username',
    server: {},
    conn: { security: 'none', ...login },
    code: 'AuthNotOffered', failedStep: 'auth-mechanisms', fix: /587|remove username/,
  },
  {
    name: 'a server that offers only CRAM-MD5',
    server: { auth: { user: 'ada', pass: PASSWORD, methods: ['CRAM-MD5'] } },
    conn: { security: 'none', ...login },
    code: 'NoUsableAuthMechanism', failedStep: 'auth-mechanisms', fix: /PLAIN or LOGIN/, message: /CRAM-MD5/, noAuthSent: true,
  },
  {
    name: '535 with Microsoft\'s "SmtpClientAuthentication is disabled"',
    server: { tls: certs.server, authReply: { code: 535, message: MICROSOFT_535 } },
    conn: { security: 'starttls', ca: certs.ca, ...login },
    code: 'SmtpAuthDisabled', failedStep: 'auth', fix: /disabled for the Microsoft 365 tenant.*OAuth2/,
  },
  {
    name: 'a wrong password',
    server: { tls: certs.server, auth: { user: 'ada', pass: 'another' } },
    conn: { security: 'starttls', ca: certs.ca, ...login },
    code: 'AuthenticationFailed', failedStep: 'auth', fix: /username and password/,
  },
  {
    name: 'a server that wants AUTH, connection without credentials',
    server: { auth: { user: 'ada', pass: PASSWORD } },
    conn: { security: 'none' },
    code: 'AuthenticationRequired', failedStep: 'mail-from', fix: /username and password/,
  },
  {
    name: 'a port nobody listens on',
    server: async () => ({ port: await closedPort(), close: async () => undefined }),
    conn: { security: 'starttls' },
    code: 'ConnectionRefused', failedStep: 'tcp', fix: /host and port/,
  },
  {
    name: 'a blackholed address (SYNs dropped), with a short connectionTimeoutMs',
    server: blackhole,
    conn: { security: 'starttls', connectionTimeoutMs: 300 },
    code: 'ConnectTimeout', failedStep: 'tcp', fix: /connectionTimeoutMs/, message: /within 300 ms/,
  },
  {
    name: 'greylisting (451 4.7.1) at MAIL FROM',
    server: { rejectSender: () => ({ code: 451, message: '4.7.1 Greylisted, please try again in 300 seconds' }) },
    conn: { defaultFrom: 'ada@example.com' },
    code: 'Greylisted', failedStep: 'mail-from', fix: /retries transient failures/,
  },
  {
    name: 'an OAuth2 connection to a server that takes only passwords',
    server: { tls: certs.server, auth: { user: 'ada', pass: PASSWORD } },
    conn: { security: 'starttls', ca: certs.ca, ...daemon() },
    code: 'NoUsableAuthMechanism', failedStep: 'auth-mechanisms', fix: /auth to \{ "type": "password" \}/, message: /PLAIN LOGIN/, noAuthSent: true,
  },
  {
    name: 'an OAuth2 client secret the token endpoint refuses',
    server: xoauth2Server,
    conn: { security: 'starttls', ca: certs.ca, ...daemon({ clientSecret: 'wrong-Secret-77' }) },
    code: 'OAuthClientRejected', failedStep: 'oauth2-token', fix: /auth\.clientSecret/, message: /invalid_client \(AADSTS7000215: Invalid client secret/, noAuthSent: true,
  },
  {
    name: 'a revoked OAuth2 refresh token',
    server: xoauth2Server,
    conn: { security: 'starttls', ca: certs.ca, ...daemon({ clientId: 'desktop', clientSecret: undefined, refreshToken: revokedRefreshToken, scope: undefined }) },
    code: 'OAuthRefreshTokenRejected', failedStep: 'oauth2-token', fix: /set auth\.refreshToken/, message: /invalid_grant \(AADSTS50173/, noAuthSent: true,
  },
  {
    name: 'an OAuth2 token endpoint nobody answers at',
    server: xoauth2Server,
    conn: { security: 'starttls', ca: certs.ca, ...daemon({ tokenUrl: deadTokenUrl }) },
    code: 'OAuthTokenUnavailable', failedStep: 'oauth2-token', fix: /auth\.tokenUrl/, noAuthSent: true,
  },
  {
    name: 'an OAuth2 token for a mailbox the app may not send as',
    server: { ...xoauth2Server, auth: { ...xoauth2Server.auth, user: 'ceo@example.com' } },
    conn: { security: 'starttls', ca: certs.ca, ...daemon({ user: 'ceo@example.com' }) },
    code: 'XOAuth2Rejected', failedStep: 'auth', fix: /auth\.user/, message: /refused the OAuth2 sign-in of ceo@example\.com.*challenge: \{"status":"401"/,
  },
  {
    name: 'a server that accepts TCP and never speaks',
    server: silentServer,
    conn: { security: 'starttls' },
    timeoutMs: 300,
    code: 'Timeout', failedStep: 'banner', fix: /host and port.*connectionTimeoutMs/,
  },
  {
    name: 'a host name that does not resolve',
    server: async () => ({ port: 25, close: async () => undefined }),
    conn: { host: 'smtp.nowhere.invalid' },
    lookup: async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND smtp.nowhere.invalid'), { code: 'ENOTFOUND' });
    },
    code: 'DnsFailed', failedStep: 'dns', fix: /host/,
  },
];

async function run(c: Pick<Case, 'server' | 'conn' | 'timeoutMs' | 'lookup'>): Promise<{ report: ConnectionTestReport; peer?: SmtpPeer }> {
  let peer: SmtpPeer | undefined;
  let port: number;
  if (typeof c.server === 'function') {
    const s = await c.server();
    cleanups.push(s.close);
    port = s.port;
  } else {
    peer = await startSmtpPeer(c.server);
    cleanups.push(peer.close);
    port = peer.port;
  }
  const report = await testConnection(connTo({ port }, c.conn), { timeoutMs: c.timeoutMs, lookup: c.lookup, tokens });
  for (const secret of [PASSWORD, CLIENT_SECRET, revokedRefreshToken]) assert.ok(!JSON.stringify(report).includes(secret), 'a secret appears in the report');
  return { report, peer };
}

describe('testConnection diagnoses each misconfiguration', () => {
  for (const c of cases) {
    test(c.name, async () => {
      const { report, peer } = await run(c);
      const shown = JSON.stringify(report, null, 1);
      assert.equal(report.ok, false, shown);
      assert.equal(report.problem?.code, c.code, shown);
      assert.equal(report.steps.at(-1)?.step, c.failedStep, shown);
      assert.equal(report.steps.at(-1)?.ok, false, shown);
      assert.ok(report.steps.slice(0, -1).every((s) => s.ok), shown);
      assert.match(report.problem!.fix, c.fix);
      if (c.message) assert.match(report.problem!.message, c.message);
      if (c.noAuthSent) assert.deepEqual(peer?.auths ?? [], []);
    });
  }
});

describe('testConnection on working connections', () => {
  test('"starttls" with the CA as `ca`: every step, in order', async () => {
    const { report, peer } = await run({ server: { tls: certs.server, auth: { user: 'ada', pass: PASSWORD } }, conn: { security: 'starttls', ca: certs.ca, ...login } });
    assert.equal(report.ok, true, JSON.stringify(report, null, 1));
    assert.deepEqual(report.steps.map((s) => s.step), ['dns', 'tcp', 'banner', 'ehlo', 'starttls', 'certificate', 'ehlo', 'auth-mechanisms', 'auth', 'mail-from']);
    assert.match(report.steps[5].detail, /^trusted: subject CN=127\.0\.0\.1, issuer CN=smtpflow test CA/);
    assert.ok(report.steps.every((s) => s.ok && s.durationMs >= 0));
    assert.equal(peer!.messages.length, 0, 'the probe must not send a message');
  });

  test('"tls" (implicit) with LOGIN only', async () => {
    const { report } = await run({ server: { secure: true, tls: certs.server, auth: { user: 'ada', pass: PASSWORD, methods: ['LOGIN'] } }, conn: { security: 'tls', ca: certs.ca, ...login } });
    assert.equal(report.ok, true, JSON.stringify(report, null, 1));
    assert.deepEqual(report.steps.map((s) => s.step), ['dns', 'tcp', 'certificate', 'banner', 'ehlo', 'auth-mechanisms', 'auth', 'mail-from']);
    assert.match(report.steps.find((s) => s.step === 'auth')!.detail, /with LOGIN/);
  });

  test('OAuth2 (client credentials): the token is a step of its own, then XOAUTH2; MAIL FROM uses envelopeFrom', async () => {
    const { report, peer } = await run({ server: xoauth2Server, conn: { security: 'starttls', ca: certs.ca, envelopeFrom: 'bounces@example.com', ...daemon() } });
    assert.equal(report.ok, true, JSON.stringify(report, null, 1));
    assert.deepEqual(report.steps.map((s) => s.step).slice(-4), ['auth-mechanisms', 'oauth2-token', 'auth', 'mail-from']);
    assert.match(report.steps.at(-3)!.detail, /^client-credentials grant at http:\/\/127\.0\.0\.1:\d+\/.+ for https:\/\/outlook\.office365\.com\/\.default: a token valid until /);
    assert.match(report.steps.at(-2)!.detail, /^signed in as robot@example\.com with XOAUTH2$/);
    assert.match(report.steps.at(-1)!.detail, /MAIL FROM:<bounces@example\.com> accepted/);
    assert.deepEqual(peer!.auths, [{ method: 'XOAUTH2', username: 'robot@example.com', ok: true }]);
  });

  test('"none" without credentials, sender from defaultFrom', async () => {
    const { report } = await run({ server: {}, conn: { defaultFrom: 'Ada <ada@example.com>' } });
    assert.equal(report.ok, true, JSON.stringify(report, null, 1));
    assert.match(report.steps.at(-1)!.detail, /MAIL FROM:<ada@example\.com> accepted/);
  });

  test('a self-signed certificate is accepted, and said to be unverified, with rejectUnauthorized: false', async () => {
    const { report } = await run({ server: { tls: certs.selfSigned }, conn: { security: 'starttls', rejectUnauthorized: false } });
    assert.equal(report.ok, true, JSON.stringify(report, null, 1));
    assert.match(report.steps.find((s) => s.step === 'certificate')!.detail, /^NOT verified \(DEPTH_ZERO_SELF_SIGNED_CERT\)/);
  });
});
