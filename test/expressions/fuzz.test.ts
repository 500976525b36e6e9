/**
 * Property tests: whatever the input, parsing and evaluation throw ExpressionError or nothing,
 * finish quickly, and findExpressionProblems never throws.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ExpressionError, evaluateValue, findExpressionProblems, listFunctions, parseTemplate } from '../../src/expressions/index.js';
import { testContext } from './context.js';

const ctx = testContext({ item: () => ({ Email: 'x@y.z', n: 1 }) });
// A hang guard, not a speed test (speed is `npm run bench`'s job): generous for a loaded CI machine.
const SLOW_MS = 5000;

function onlyExpressionErrors(value: string): void {
  const started = performance.now();
  for (const attempt of [() => parseTemplate(value), () => evaluateValue(value, ctx), () => evaluateValue({ a: [value] }, ctx)]) {
    try {
      attempt();
    } catch (err) {
      if (!(err instanceof ExpressionError)) throw new Error(`${JSON.stringify(value)} threw ${String(err)}`);
      assert.equal(typeof err.position, 'number');
      assert.ok(err.position >= 0 && err.position <= value.length, `position ${err.position} within ${JSON.stringify(value)}`);
    }
  }
  const problems = findExpressionProblems({ v: value, list: [value, 1, null] }, 'inputs');
  assert.ok(Array.isArray(problems));
  const elapsed = performance.now() - started;
  assert.ok(elapsed < SLOW_MS, `${JSON.stringify(value).slice(0, 200)} took ${Math.round(elapsed)} ms`);
}

/** Valid expressions to mutate: a spread of syntax and of every function family. */
const CORPUS = [
  "@triggerBody()?['Email']",
  "Hello @{triggerBody()?['Name']}, you have @{length(triggerBody()?['Tags'])} tags",
  "@concat('a', 'it''s', toUpper(substring('hello world', 6, 5)))",
  "@if(and(greater(triggerBody()?['Count'], 2), not(empty(triggerBody()?['Tags']))), 'many', 'few')",
  "@formatDateTime(addDays('2018-03-15T00:00:00Z', -5), 'dddd, MMMM d, yyyy h:mm tt')",
  "@convertTimeZone('2018-01-01T08:00:00.0000000Z', 'UTC', 'Pacific Standard Time', 'D')",
  "@json('{\"a\": [1, 2.5, {\"b\": null}]}')?['a'][2]?.b",
  "@div(add(mul(1.5, 2), sub(10, .3)), mod(7, 3))",
  "@join(split(replace('a-b-c', '-', ','), ','), ';')",
  "@base64ToString(base64(encodeUriComponent(string(createArray(1, true, null)))))",
  "@coalesce(body('Get_user')?['Missing'], outputs('Get_user')?['statusCode'], 0)",
  "@union(createArray(1, 2), intersection(range(0, 5), createArray(3, 4, 9)))",
  "@@literal @{not-an-expression}",
  "/tables/@{encodeURIComponent(encodeURIComponent('Lead'))}/onnewitems",
  "@item()?['Email']",
  "@guid('X')",
  "@utcNow('yyyy-MM-ddTHH:mm:ss.fffffffK')",
];

const SYNTAX = ['@', '@@', '@{', '}', '{', '(', ')', '[', ']', "'", "''", ',', '.', '?', '?[', '-', '0', '9', '.5', 'e', ' ', 'x', 'null', 'true', "'a'", '\\', '"', '\n', '\u0000', '😀'];

type Mutation =
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'duplicate'; at: number; length: number }
  | { kind: 'swap'; at: number; other: number }
  | { kind: 'truncate'; at: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(fc.constantFrom(...SYNTAX), fc.string({ maxLength: 3 })) }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 12 }) }),
  fc.record({ kind: fc.constant('swap' as const), at: fc.nat(), other: fc.nat() }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);

function mutate(source: string, mutations: Mutation[]): string {
  let s = source;
  for (const m of mutations) {
    const at = s.length ? m.at % (s.length + 1) : 0;
    if (m.kind === 'delete') s = s.slice(0, at) + s.slice(at + m.length);
    else if (m.kind === 'insert') s = s.slice(0, at) + m.text + s.slice(at);
    else if (m.kind === 'duplicate') s = s.slice(0, at + m.length) + s.slice(at, at + m.length) + s.slice(at + m.length);
    else if (m.kind === 'truncate') s = s.slice(0, at);
    else if (s.length > 1) {
      const i = at % s.length;
      const j = m.other % s.length;
      const chars = [...s];
      [chars[i], chars[j]] = [chars[j], chars[i]];
      s = chars.join('');
    }
  }
  return s;
}

const quote = (s: string): string => `'${s.replace(/'/g, "''")}'`;
const FUNCTIONS = listFunctions();

/** Well-formed expressions calling random functions with random arguments: exercises every function's argument checks. */
const { expr } = fc.letrec<{ expr: string; literal: string; call: string }>((tie) => ({
  expr: fc.oneof({ maxDepth: 4, depthSize: 'small' }, tie('literal'), tie('call'), tie('call'), fc.tuple(tie('call'), fc.constantFrom("?['Email']", '[0]', '.Name', "?['x']?[1]", '')).map(([c, m]) => c + m)),
  literal: fc.oneof(
    fc.string({ maxLength: 12 }).map(quote),
    fc.constantFrom(...["'2018-03-15T13:27:36Z'", "'03/15/2018 12:00:00'", "'yyyy-MM-dd'", "'D'", "'Pacific Standard Time'", "'Day'", "'{\"a\":1}'", "'[1,2]'", "'aGVsbG8='", "'https://x.y/z?q=1'"]),
    fc.integer({ min: -1000, max: 1000 }).map(String),
    fc.integer().map(String),
    fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => (Object.is(n, -0) ? '0' : String(n))),
    fc.constantFrom('true', 'false', 'null'),
  ),
  // Mostly the right number of arguments, so that evaluation (not just the arity check) runs.
  call: fc.constantFrom(...FUNCTIONS).chain((f) =>
    fc
      .array(tie('expr'), { minLength: f.minArgs, maxLength: Math.min(f.maxArgs ?? f.minArgs + 3, f.minArgs + 3) })
      .map((args) => `${f.name}(${args.join(', ')})`),
  ),
}));

describe('fuzz: only ExpressionError, and never a hang', () => {
  it('random strings, as whole values and behind @ and inside @{}', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), fc.constantFrom('', '@', '@{', 'x @{', '@@'), (s, prefix) => onlyExpressionErrors(prefix + s)),
      { numRuns: 1500 },
    );
  });

  it('random strings over the language alphabet', () => {
    const token = fc.constantFrom(...SYNTAX, 'concat', 'substring', 'triggerBody', 'item', '(', ')', "'x'", '1', ',');
    fc.assert(
      fc.property(fc.array(token, { maxLength: 30 }), (tokens) => onlyExpressionErrors(tokens.join(''))),
      { numRuns: 1500 },
    );
  });

  it('mutated valid expressions', () => {
    for (const source of CORPUS) onlyExpressionErrors(source);
    fc.assert(
      fc.property(fc.constantFrom(...CORPUS), fc.array(mutation, { minLength: 1, maxLength: 5 }), (source, ms) => onlyExpressionErrors(mutate(source, ms))),
      { numRuns: 3000 },
    );
  });

  it('well-formed calls of every function with random arguments', () => {
    fc.assert(
      fc.property(expr, fc.boolean(), (e, interpolate) => onlyExpressionErrors(interpolate ? `v=@{${e}}` : `@${e}`)),
      { numRuns: 3000 },
    );
  });

  it('findExpressionProblems never throws on arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => {
        assert.ok(Array.isArray(findExpressionProblems(v, 'x')));
        try {
          evaluateValue(v, ctx);
        } catch (err) {
          assert.ok(err instanceof ExpressionError, String(err));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('pathological inputs stay fast', () => {
    onlyExpressionErrors(`@${'('.repeat(100_000)}`);
    onlyExpressionErrors(`@${'concat('.repeat(20_000)}`);
    onlyExpressionErrors(`@triggerBody()${'.a'.repeat(50_000)}`);
    onlyExpressionErrors(`@'${"''".repeat(100_000)}`);
    onlyExpressionErrors(`@isFloat('${'1'.repeat(100_000)}x')`);
    onlyExpressionErrors(`@formatDateTime('2018-01-01T00:00:00.${'1'.repeat(100_000)}x')`);
    onlyExpressionErrors('@length(union(range(0, 100000), range(50000, 100000)))');
    onlyExpressionErrors(`x${'@{'.repeat(20_000)}`);
    onlyExpressionErrors(`@json('${'['.repeat(100_000)}${']'.repeat(100_000)}')`);
    assert.equal(evaluateValue('@length(union(range(0, 100000), range(50000, 100000)))', ctx), 150000);
  });
});
