/**
 * fast-check generators for the API fuzz suite. Each body is "mostly right": valid enough that a
 * good share is sent or saved (so the success paths are exercised too), with hostile values
 * mixed in — control characters, line breaks, wrong types, unknown keys, broken expressions.
 */
import fc from 'fast-check';
import { listFunctions } from '../../src/expressions/index.js';

const tricky = fc.constantFrom('a', 'Z', '0', '@', '.', '-', '<', '>', '"', "'", ';', ',', ':', ' ', '\t', '\r', '\n', '\0', '\x7f', '\\', '(', ')', '[', ']', '{', '}', '=', '?', '/', 'é', '日', '😀', '\u2028', '\ufeff', '%', '$', '@{', "')");
export const text = fc.oneof(fc.string({ unit: tricky, maxLength: 30 }), fc.string({ maxLength: 30 }), fc.string({ unit: 'grapheme', maxLength: 20 }));
/** Text that a header may carry: mostly printable, sometimes anything. */
const words = fc.oneof({ weight: 6, arbitrary: fc.string({ unit: fc.constantFrom('a', 'Z', '0', ' ', '.', '-', 'é', '日', '😀', "'", '"', '<', '>', ';', ',', '=?'), maxLength: 30 }) }, { weight: 1, arbitrary: text });
export const junk = fc.oneof(text, fc.jsonValue({ maxDepth: 2 }), fc.constantFrom(null, 0, -1, 1e308, true, [], {}, '', ' '));
/** A valid value, now and then a wrong one. */
const mostly = <T>(valid: fc.Arbitrary<T>) => fc.oneof({ weight: 24, arbitrary: valid }, { weight: 1, arbitrary: junk });
/** Plausible bodies most of the time, hostile ones (every field may be wrong) the rest. */
const plausibleOr = <A, B>(plausible: fc.Arbitrary<A>, hostile: fc.Arbitrary<B>) =>
  fc.oneof({ weight: 3, arbitrary: plausible }, { weight: 2, arbitrary: hostile }, { weight: 1, arbitrary: junk });

// ---- Send Email ----

export const address = fc.oneof(fc.emailAddress(), fc.constantFrom('"Doe; John" <j@example.org>', 'Zoë <z@bücher.de>', 'a@[192.0.2.1]', 'x@localhost', '<a@b.c>'));
export const addressList = fc.oneof(
  { weight: 4, arbitrary: fc.array(address, { minLength: 1, maxLength: 4 }).chain((list) => fc.constantFrom(';', ',', '; ', ' , ').map((sep) => list.join(sep))) },
  { weight: 1, arbitrary: fc.tuple(address, words).map(([a, t]) => a + t) },
);
const attachment = fc.record(
  {
    ContentData: mostly(fc.oneof(fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString('base64')), text)),
    ContentType: mostly(fc.constantFrom('text/plain', 'image/png', 'application/pdf; name="a b.pdf"', 'message/rfc822', 'multipart/mixed')),
    ContentTransferEncoding: mostly(fc.constantFrom('base64', 'none')),
    FileName: mostly(words),
    ContentId: mostly(fc.constantFrom('logo', '<a@b>', 'logo2', 'logo3', 'x y')),
  },
  { requiredKeys: ['ContentData'] },
);
const sendEmailFields = fc.record(
  {
    To: mostly(addressList),
    CC: mostly(addressList),
    Bcc: mostly(addressList),
    From: mostly(address),
    ReplyTo: mostly(addressList),
    ReadReceipt: mostly(address),
    DeliveryReceipt: mostly(address),
    Subject: mostly(words),
    Body: mostly(fc.oneof(text, fc.string({ unit: 'grapheme', maxLength: 300 }))),
    Text: mostly(words),
    IsHtml: mostly(fc.boolean()),
    Importance: mostly(fc.constantFrom('High', 'Normal', 'Low')),
    Attachments: mostly(fc.array(attachment, { maxLength: 3 })),
    Headers: mostly(fc.dictionary(fc.oneof({ weight: 20, arbitrary: fc.constantFrom('X-A', 'X-Campaign', 'X-Priority', 'X-1') }, { weight: 1, arbitrary: words }), mostly(words), { maxKeys: 3 })),
  },
  { requiredKeys: [] },
);
export const sendEmailBody = fc.oneof(
  { weight: 20, arbitrary: sendEmailFields },
  { weight: 1, arbitrary: fc.tuple(sendEmailFields, fc.string({ maxLength: 8 }), junk).map(([body, key, value]) => ({ ...body, [key]: value })) },
  { weight: 1, arbitrary: junk },
);

// ---- expressions ----

/** Each function with the argument counts its signature allows, e.g. `addHours(timestamp, hours, format?)` takes 2 or 3. */
const CALLS = listFunctions().map((f) => {
  const params = (/\((.*)\)/.exec(f.signature)?.[1] ?? '').split(',').map((p) => p.trim()).filter(Boolean);
  const required = params.filter((p) => !p.endsWith('?') && !p.startsWith('...')).length;
  const variadic = params.some((p) => p.startsWith('...'));
  return { name: f.name, min: required, max: variadic ? required + 2 : params.length };
});
const value: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom("'text'", "'it''s'", "'2024-02-29T12:00:00Z'", '42', '-1.5', 'null', 'true', "triggerBody()?['name']", "triggerBody()?['items']", 'triggerBody()', "triggerOutputs()['headers']", "outputs('Compose')", 'utcNow()'),
    fc
      .constantFrom(...CALLS)
      .chain((f) => fc.tuple(fc.constant(f.name), fc.array(tie('value'), { minLength: f.min, maxLength: f.max })))
      .map(([name, args]) => `${name}(${args.join(', ')})`),
  ),
})).value;
/** A well-formed expression in one of the template forms (it may still fail when it runs). */
export const expression = fc
  .tuple(value, fc.constantFrom('@', '@{', 'Hello @{', '@@'))
  .map(([expr, form]) => (form === '@' ? `@${expr}` : form === '@@' ? `@@${expr}` : `${form}${expr}} and more`));
/** An expression broken by one inserted character, or calling what does not exist. */
const brokenExpression = fc.oneof(
  fc.tuple(expression, fc.nat(), fc.constantFrom('(', ')', "'", '[', ']', '?', '.', ',', '}', '@', '{')).map(([s, at, c]) => s.slice(0, at % (s.length + 1)) + c + s.slice(at % (s.length + 1))),
  value.map((v) => `@noSuchFunction(${v})`),
);
export const template = fc.oneof({ weight: 4, arbitrary: expression }, { weight: 1, arbitrary: brokenExpression });

// ---- workflows ----

const withExpressions = fc.oneof(template, fc.dictionary(fc.constantFrom('a', 'b', 'To', 'Subject'), fc.oneof(template, junk), { maxKeys: 3 }));
const action = (runAfter: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc.record({ type: fc.constant('Compose'), inputs: withExpressions, runAfter }),
    fc.record({ type: fc.constant('SendEmail'), inputs: fc.record({ connection: mostly(fc.constant('fuzz')), To: fc.oneof(template, address), Subject: template, Body: template }), runAfter }),
    fc.record({ type: fc.constant('If'), expression: fc.oneof(fc.constant({ and: [{ equals: ['@true', true] }] }), template), actions: fc.constant({}), else: fc.constant({ actions: {} }), runAfter }),
    fc.record({ type: fc.constant('Foreach'), foreach: template, actions: fc.constant({ Inner: { type: 'Compose', inputs: '@item()' } }), runAfter }),
    fc.record({ type: fc.constant('Response'), kind: fc.constant('Http'), inputs: fc.record({ statusCode: mostly(fc.constantFrom(200, 201, '@{202}')), body: withExpressions }), runAfter }),
    fc.record({
      type: fc.constant('ApiConnection'),
      inputs: fc.record({ host: fc.constant({ connection: { name: "@parameters('$connections')['smtp']['connectionId']" } }), method: fc.constant('post'), path: mostly(fc.constantFrom('/SendEmailV3', '/SendEmail', '/Nope')), body: withExpressions }),
      runAfter,
    }),
  );
const CONNECTIONS = { $connections: { value: { smtp: { connectionId: '/connections/fuzz' } } } };
const workflowName = fc.stringMatching(/^[a-z][a-z0-9-]{0,12}$/);
/** A Request trigger and one to three actions in a row: mostly saved, and runnable. */
const plausibleWorkflow = fc.record({
  name: workflowName,
  definition: fc.array(action(fc.constant({})), { minLength: 1, maxLength: 3 }).map((actions) => ({
    triggers: { manual: { type: 'Request', kind: 'Http' } },
    actions: Object.fromEntries(actions.map((a, i) => [i === 0 ? 'Compose' : `Step_${i}`, i === 0 ? a : { ...(a as object), runAfter: { [i === 1 ? 'Compose' : `Step_${i - 1}`]: ['Succeeded'] } }])),
  })),
  parameters: fc.constant(CONNECTIONS),
  state: fc.constant('Disabled'),
});
const trigger = fc.oneof(
  fc.record({ type: fc.constant('Request'), kind: mostly(fc.constant('Http')), inputs: mostly(fc.record({ schema: mostly(fc.constant({ type: 'object' })) }, { requiredKeys: [] })) }, { requiredKeys: ['type'] }),
  fc.record({ type: fc.constant('Recurrence'), recurrence: mostly(fc.record({ frequency: mostly(fc.constantFrom('Second', 'Minute', 'Day', 'Month')), interval: mostly(fc.integer({ min: -1, max: 100 })), startTime: mostly(text), timeZone: mostly(fc.constantFrom('UTC', 'W. Europe Standard Time', 'Nowhere')) }, { requiredKeys: [] })) }),
  fc.record({ type: fc.constant('HttpPoll'), inputs: mostly(fc.record({ uri: mostly(fc.constantFrom('http://127.0.0.1:9/items', 'ftp://x', 'http://[fe80::1]/')), idField: mostly(fc.constant('id')) }, { requiredKeys: [] })), recurrence: mostly(fc.constant({ frequency: 'Hour', interval: 1 })) }),
  junk,
);
const runAfter = mostly(fc.dictionary(fc.constantFrom('Compose', 'Send', 'Check', 'Nope'), mostly(fc.subarray(['Succeeded', 'Failed', 'Skipped', 'TimedOut'])), { maxKeys: 2 }));
const hostileWorkflow = fc.record(
  {
    name: mostly(workflowName),
    definition: mostly(fc.record({ triggers: mostly(fc.dictionary(fc.constantFrom('manual', 'When', 'x y'), trigger, { maxKeys: 2 })), actions: mostly(fc.dictionary(fc.constantFrom('Compose', 'Send', 'Check', 'Answer'), fc.oneof(action(runAfter), junk), { maxKeys: 3 })) }, { requiredKeys: [] })),
    parameters: mostly(fc.constant(CONNECTIONS)),
    // Mostly disabled, so that generated schedules and polls do not keep firing while the test runs.
    state: mostly(fc.constant('Disabled')),
  },
  { requiredKeys: [] },
);
export const workflowBody = plausibleOr(plausibleWorkflow, hostileWorkflow);

// ---- connections ----

const connectionName = fc.stringMatching(/^c[a-z0-9]{0,10}$/);
const smtpSettings = {
  host: fc.constantFrom('127.0.0.1', 'smtp.example.com'),
  port: fc.integer({ min: 1, max: 65_535 }),
  security: fc.constantFrom('none', 'tls', 'starttls'),
  username: text,
  password: text,
  defaultFrom: address,
  rateLimit: fc.record({ messages: fc.integer({ min: 1, max: 5 }), perSeconds: fc.integer({ min: 1, max: 60 }) }),
};
const plausibleConnection = fc.record({ name: connectionName, ...smtpSettings }, { requiredKeys: ['name', 'host', 'port'] });
const hostileConnection = fc.record(
  {
    name: mostly(connectionName),
    type: fc.oneof({ weight: 5, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom('smtp', 'salesforce', 'postgres', 'ftp') }),
    host: mostly(fc.constantFrom('127.0.0.1', 'smtp.example.com', '')),
    port: mostly(fc.integer({ min: -1, max: 70_000 })),
    security: mostly(smtpSettings.security),
    password: mostly(text),
    rateLimit: mostly(fc.record({ messages: mostly(fc.integer({ min: 0, max: 5 })), perSeconds: mostly(fc.double({ min: -1, max: 10, noNaN: true })) })),
    auth: mostly(fc.record({ type: mostly(fc.constantFrom('password', 'oauth2')), user: mostly(address), clientId: mostly(text), tokenUrl: mostly(fc.constantFrom('https://login.example/token', 'x')) }, { requiredKeys: [] })),
    dkim: mostly(fc.record({ domainName: mostly(fc.domain()), keySelector: mostly(fc.constant('s1')), privateKey: mostly(text) })),
    ca: mostly(fc.constantFrom('-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----', '')),
    loginUrl: mostly(fc.constant('https://login.salesforce.example')),
    connectionString: mostly(fc.constantFrom('postgres://u:p@127.0.0.1:9/db', 'x')),
  },
  { requiredKeys: [] },
);
export const connectionBody = plausibleOr(plausibleConnection, hostileConnection);
export const connectionPatch = plausibleOr(fc.record(smtpSettings, { requiredKeys: [] }), hostileConnection);
