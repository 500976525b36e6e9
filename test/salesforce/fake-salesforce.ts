/**
 * A local stand-in for a Salesforce org, written from Salesforce's public REST API and OAuth
 * documentation, for what smtpflow uses:
 *
 *  - POST /services/oauth2/token: the client credentials, JWT bearer (RS256 assertion checked
 *    against the app's certificate: iss, sub, aud, exp), refresh token and username-password
 *    grants; errors as `{ error, error_description }`.
 *  - GET /services/data/vNN.0/sobjects (describe global), …/sobjects/{object}/describe.
 *  - GET /services/data/vNN.0/query?q=SOQL: the SOQL is parsed (soql-parser.ts) and run against
 *    the in-memory records; results come in pages of `pageSize` with `nextRecordsUrl`
 *    (…/query/{locator}-{offset}).
 *  - 401 `INVALID_SESSION_ID` for a token that expired, 403 `REQUEST_LIMIT_EXCEEDED` and 503
 *    `SERVER_UNAVAILABLE` on demand; errors as `[{ message, errorCode }]`.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fieldValue, matches, parseSoql, SoqlSyntaxError, type SoqlQuery } from './soql-parser.js';

export const CLIENT_ID = '3MVG9fake.consumer.key';
export const CLIENT_SECRET = 'fake-consumer-secret-9d8c7b';
export const USERNAME = 'integration@example.com';
export const PASSWORD = 'Sf-Passw0rd!';
export const SECURITY_TOKEN = 'tok3n';
export const REFRESH_TOKEN = '5Aep861fake.refresh.token';

const FIELDS: Record<string, Array<{ name: string; label: string; type: string }>> = {
  Lead: [
    { name: 'Id', label: 'Lead ID', type: 'id' },
    { name: 'FirstName', label: 'First Name', type: 'string' },
    { name: 'LastName', label: 'Last Name', type: 'string' },
    { name: 'Email', label: 'Email', type: 'email' },
    { name: 'Company', label: 'Company', type: 'string' },
    { name: 'LeadSource', label: 'Lead Source', type: 'picklist' },
    { name: 'Status', label: 'Status', type: 'picklist' },
    { name: 'CreatedDate', label: 'Created Date', type: 'datetime' },
    { name: 'LastModifiedDate', label: 'Last Modified Date', type: 'datetime' },
  ],
  Account: [
    { name: 'Id', label: 'Account ID', type: 'id' },
    { name: 'Name', label: 'Account Name', type: 'string' },
    { name: 'CreatedDate', label: 'Created Date', type: 'datetime' },
    { name: 'LastModifiedDate', label: 'Last Modified Date', type: 'datetime' },
  ],
};
const KEY_PREFIX: Record<string, string> = { Lead: '00Q', Account: '001' };

export interface FakeRequest {
  at: number;
  method: string;
  path: string;
  status: number;
  soql?: string;
  grant?: string;
}

export type SfRecord = Record<string, unknown> & { Id: string; CreatedDate: string; LastModifiedDate: string };

/** Salesforce writes datetimes as 2024-01-01T10:00:00.000+0000, to the second. */
export const sfDateTime = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('Z', '+0000');

export interface FakeSalesforce {
  url: string;
  /** Records of each object, in insertion order. */
  records: Record<string, SfRecord[]>;
  requests: FakeRequest[];
  /** Records per query page (Salesforce: up to 2,000). */
  pageSize: number;
  /** The certificate (public key) of the Connected App, and a private key that matches it. */
  jwtKeys: { privateKey: string; publicKey: string };
  insert(object: string, fields: Record<string, unknown>, at?: number): SfRecord;
  update(object: string, id: string, fields: Record<string, unknown>, at?: number): SfRecord;
  /** Every access token issued so far stops working (as when a session times out). */
  expireTokens(): void;
  /** Expires every token right before the next query-more page is served (a token expiring mid-poll). */
  expireTokensBeforeNextPage(): void;
  /** The next `n` REST calls answer with an API-limit error. */
  throttle(n: number, kind: 'limit' | 'unavailable'): void;
  grants(): string[];
  queries(): string[];
  close(): Promise<void>;
}

export async function startFakeSalesforce(options: { pageSize?: number } = {}): Promise<FakeSalesforce> {
  const records: Record<string, SfRecord[]> = { Lead: [], Account: [] };
  const requests: FakeRequest[] = [];
  const tokens = new Map<string, { expired: boolean }>();
  const refreshTokens = new Set([REFRESH_TOKEN]);
  const locators = new Map<string, { rows: Array<Record<string, unknown>>; version: string }>();
  const jwtKeys = crypto.generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
  let counter = 0;
  let throttled: { n: number; kind: 'limit' | 'unavailable' } = { n: 0, kind: 'limit' };
  let expireBeforePage = false;
  let url = '';

  const newId = (object: string): string => `${KEY_PREFIX[object] ?? 'a00'}${(++counter).toString(36).toUpperCase().padStart(12, '0')}AAA`;

  const issue = (): Record<string, string> => {
    const token = `00Dfake!${crypto.randomBytes(24).toString('base64url')}`;
    tokens.set(token, { expired: false });
    return {
      access_token: token,
      instance_url: url,
      id: `${url}/id/00D000000000001AAA/005000000000001AAA`,
      token_type: 'Bearer',
      issued_at: String(Date.now()),
      signature: crypto.randomBytes(32).toString('base64'),
      scope: 'api',
    };
  };

  /** The OAuth 2.0 token endpoint; answers the token or the grant's documented error. */
  const token = (form: URLSearchParams): { status: number; body: unknown } => {
    const fail = (status: number, error: string, description: string) => ({ status, body: { error, error_description: description } });
    const grant = form.get('grant_type');
    const clientOk = form.get('client_id') === CLIENT_ID;
    const secretOk = form.get('client_secret') === CLIENT_SECRET;
    switch (grant) {
      case 'client_credentials':
        if (!clientOk) return fail(400, 'invalid_client_id', 'client identifier invalid');
        if (!secretOk) return fail(400, 'invalid_client', 'invalid client credentials');
        return { status: 200, body: issue() };
      case 'password':
        if (!clientOk) return fail(400, 'invalid_client_id', 'client identifier invalid');
        if (!secretOk) return fail(400, 'invalid_client', 'invalid client credentials');
        if (form.get('username') !== USERNAME || form.get('password') !== PASSWORD + SECURITY_TOKEN) return fail(400, 'invalid_grant', 'authentication failure');
        return { status: 200, body: issue() };
      case 'refresh_token':
        if (!clientOk) return fail(400, 'invalid_client_id', 'client identifier invalid');
        if (form.has('client_secret') && !secretOk) return fail(400, 'invalid_client', 'invalid client credentials');
        if (!refreshTokens.has(form.get('refresh_token') ?? '')) return fail(400, 'invalid_grant', 'expired access/refresh token');
        return { status: 200, body: issue() };
      case 'urn:ietf:params:oauth:grant-type:jwt-bearer': {
        const problem = checkAssertion(form.get('assertion') ?? '');
        return problem ? fail(400, 'invalid_grant', problem) : { status: 200, body: issue() };
      }
      default:
        return fail(400, 'unsupported_grant_type', 'grant type not supported');
    }
  };

  const checkAssertion = (assertion: string): string | undefined => {
    const [header, payload, signature] = assertion.split('.');
    if (!header || !payload || !signature) return 'invalid assertion';
    const ok = crypto.verify('RSA-SHA256', Buffer.from(`${header}.${payload}`), jwtKeys.publicKey, Buffer.from(signature, 'base64url'));
    if (!ok) return 'invalid assertion';
    const alg = JSON.parse(Buffer.from(header, 'base64url').toString()).alg;
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { iss?: string; sub?: string; aud?: string; exp?: number };
    if (alg !== 'RS256') return 'invalid assertion';
    if (claims.iss !== CLIENT_ID) return 'invalid_client_id';
    if (claims.sub !== USERNAME) return 'user hasn\'t approved this consumer';
    if (claims.aud !== url && claims.aud !== 'https://login.salesforce.com') return 'audience is invalid';
    const now = Date.now() / 1000;
    if (typeof claims.exp !== 'number' || claims.exp < now || claims.exp > now + 300) return 'expired authorization code';
    return undefined;
  };

  const describeGlobal = () => ({
    encoding: 'UTF-8',
    maxBatchSize: 200,
    sobjects: [
      ...Object.keys(FIELDS).map((name) => ({ name, label: name, keyPrefix: KEY_PREFIX[name], queryable: true, createable: true, customSetting: false, deprecatedAndHidden: false })),
      { name: 'Secret_Setting__c', label: 'Secret Setting', keyPrefix: 'a01', queryable: true, createable: true, customSetting: true, deprecatedAndHidden: false },
    ],
  });

  const runQuery = (soql: string, version: string): { status: number; body: unknown } => {
    let query: SoqlQuery;
    try {
      query = parseSoql(soql);
    } catch (err) {
      if (err instanceof SoqlSyntaxError) return { status: 400, body: [{ message: err.message, errorCode: 'MALFORMED_QUERY' }] };
      throw err;
    }
    const fields = FIELDS[query.object];
    if (!fields) return { status: 400, body: [{ message: `sObject type '${query.object}' is not supported.`, errorCode: 'INVALID_TYPE' }] };
    for (const f of [...query.fields, ...query.orderBy.map((o) => o.field)]) {
      if (!fields.some((d) => d.name.toLowerCase() === f.toLowerCase())) return { status: 400, body: [{ message: `No such column '${f}' on entity '${query.object}'.`, errorCode: 'INVALID_FIELD' }] };
    }
    let rows = records[query.object].filter((r) => matches(query.where, r));
    rows.sort((a, b) => {
      for (const { field, desc } of query.orderBy) {
        const [x, y] = [fieldValue(a, field), fieldValue(b, field)].map((v) => (/Date$/.test(field) ? Date.parse(String(v)) : String(v)));
        if (x !== y) return (x < y ? -1 : 1) * (desc ? -1 : 1);
      }
      return 0;
    });
    if (query.limit !== undefined) rows = rows.slice(0, query.limit);
    const selected = rows.map((r) => ({
      attributes: { type: query.object, url: `/services/data/v${version}/sobjects/${query.object}/${r.Id}` },
      ...Object.fromEntries(query.fields.map((f) => [fields.find((d) => d.name.toLowerCase() === f.toLowerCase())!.name, fieldValue(r, f)])),
    }));
    const locator = `01g${crypto.randomBytes(6).toString('hex').toUpperCase()}`;
    locators.set(locator, { rows: selected, version });
    return { status: 200, body: page(locator, 0) };
  };

  const page = (locator: string, offset: number) => {
    const { rows, version } = locators.get(locator)!;
    const next = offset + fake.pageSize;
    const done = next >= rows.length;
    return { totalSize: rows.length, done, ...(done ? {} : { nextRecordsUrl: `/services/data/v${version}/query/${locator}-${next}` }), records: rows.slice(offset, next) };
  };

  const rest = (method: string, path: string, query: URLSearchParams): { status: number; body: unknown; soql?: string } => {
    const m = /^\/services\/data\/v(\d+\.\d)(\/.*)$/.exec(path);
    if (!m || method !== 'GET') return { status: 404, body: [{ message: 'The requested resource does not exist', errorCode: 'NOT_FOUND' }] };
    const [, version, resource] = m;
    if (resource === '/sobjects' || resource === '/sobjects/') return { status: 200, body: describeGlobal() };
    let d: RegExpExecArray | null;
    if ((d = /^\/sobjects\/([A-Za-z0-9_]+)\/describe\/?$/.exec(resource))) {
      const fields = FIELDS[d[1]];
      if (!fields) return { status: 404, body: [{ message: 'The requested resource does not exist', errorCode: 'NOT_FOUND' }] };
      return { status: 200, body: { name: d[1], label: d[1], queryable: true, fields } };
    }
    if (resource === '/query' || resource === '/query/') {
      const soql = query.get('q') ?? '';
      return { ...runQuery(soql, version), soql };
    }
    if ((d = /^\/query\/(01g[0-9A-F]+)-(\d+)$/.exec(resource)) && locators.has(d[1])) return { status: 200, body: page(d[1], Number(d[2])) };
    return { status: 404, body: [{ message: 'The requested resource does not exist', errorCode: 'NOT_FOUND' }] };
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = new URL(req.url ?? '/', url);
      const send = (status: number, body: unknown, extra: Partial<FakeRequest> = {}): void => {
        requests.push({ at: Date.now(), method: req.method ?? 'GET', path: target.pathname, status, ...extra });
        res.writeHead(status, { 'content-type': 'application/json;charset=UTF-8', 'sforce-limit-info': 'api-usage=10/15000' }).end(JSON.stringify(body));
      };
      if (req.method === 'POST' && target.pathname === '/services/oauth2/token') {
        const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
        const answer = token(form);
        return send(answer.status, answer.body, { grant: form.get('grant_type') ?? undefined });
      }
      if (expireBeforePage && /\/query\/01g/.test(target.pathname)) {
        expireBeforePage = false;
        fake.expireTokens();
      }
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const session = bearer ? tokens.get(bearer) : undefined;
      if (!session || session.expired) return send(401, [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);
      if (throttled.n > 0) {
        throttled.n--;
        if (throttled.kind === 'limit') return send(403, [{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }]);
        return send(503, [{ message: 'Server temporarily unavailable, please try again later.', errorCode: 'SERVER_UNAVAILABLE' }]);
      }
      const answer = rest(req.method ?? 'GET', target.pathname, target.searchParams);
      send(answer.status, answer.body, answer.soql === undefined ? {} : { soql: answer.soql });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const fake: FakeSalesforce = {
    url,
    records,
    requests,
    pageSize: options.pageSize ?? 2000,
    jwtKeys,
    insert(object, fields, at = Date.now()) {
      const stamp = sfDateTime(at);
      const record = { ...fields, Id: newId(object), CreatedDate: stamp, LastModifiedDate: stamp } as SfRecord;
      records[object].push(record);
      return record;
    },
    update(object, id, fields, at = Date.now()) {
      const record = records[object].find((r) => r.Id === id);
      if (!record) throw new Error(`no ${object} ${id}`);
      Object.assign(record, fields, { LastModifiedDate: sfDateTime(at) });
      return record;
    },
    expireTokens() {
      for (const t of tokens.values()) t.expired = true;
    },
    expireTokensBeforeNextPage() {
      expireBeforePage = true;
    },
    throttle(n, kind) {
      throttled = { n, kind };
    },
    grants: () => requests.filter((r) => r.grant && r.status === 200).map((r) => r.grant!),
    queries: () => requests.filter((r) => r.soql !== undefined).map((r) => r.soql!),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  return fake;
}
