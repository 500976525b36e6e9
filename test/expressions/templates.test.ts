import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluateValue, findExpressionProblems, isExpression, listFunctions, parseTemplate } from '../../src/expressions/index.js';
import { testContext } from './context.js';

const ctx = testContext();
const ev = (v: unknown): unknown => evaluateValue(v, ctx);

describe('templates: literals, @ expressions, @@ escapes, @{} interpolation', () => {
  const rows: Array<[string, unknown]> = [
    ['Sophia Owen', 'Sophia Owen'],
    ['array[1]', 'array[1]'],
    ['@@', '@'],
    ['@@abc @{x}', '@abc @{x}'],
    [' @', ' @'],
    ['user@example.com', 'user@example.com'],
    ['a @ b', 'a @ b'],
    ["@'it''s'", "it's"],
    ["@''", ''],
    ['@true', true],
    ['@false', false],
    ['@null', null],
    ['@42', 42],
    ['@-1.5', -1.5],
    ['@.5', 0.5],
    ['@ 1 ', 1],
    ["@concat( 'a' , 'b' )", 'ab'],
    ["@toUpper('a')", 'A'],
    ["@TOUPPER('a')", 'A'],
    ["Hello @{triggerBody()?['Name']}!", 'Hello Sophia Owen!'],
    ["@{triggerBody()?['Name']}", 'Sophia Owen'],
    ["@{triggerBody()?['Count']}", '3'],
    ["n=@{triggerBody()?['Price']} ok=@{triggerBody()?['Active']} none=@{triggerBody()?['Nothing']}.", 'n=2.5 ok=True none=.'],
    ["tags: @{triggerBody()?['Tags']}", 'tags: ["a","b"]'],
    ["@{triggerBody()?['Nested']}", '{"City":"Seattle"}'],
    ["a @@{b} @{'c'}", 'a @{b} c'],
    ["@{'}'}{}", '}{}'],
    ["@{concat('@{', '}')}", '@{}'],
    ["/datasets/default/tables/@{encodeURIComponent(encodeURIComponent('Lead'))}/onnewitems", '/datasets/default/tables/Lead/onnewitems'],
    ["@{1}@{2}", '12'],
  ];
  for (const [value, expected] of rows) it(`${JSON.stringify(value)} → ${JSON.stringify(expected)}`, () => assert.deepEqual(ev(value), expected));
});

describe('templates: whole-value expressions keep their type', () => {
  it('numbers, booleans, objects and arrays come back as themselves', () => {
    assert.equal(ev("@triggerBody()?['Count']"), 3);
    assert.equal(ev("@triggerBody()?['Active']"), true);
    assert.deepEqual(ev("@triggerBody()?['Tags']"), ['a', 'b']);
    assert.deepEqual(ev("@triggerBody()?['Nested']"), { City: 'Seattle' });
    assert.equal(ev("@triggerBody()?['Nothing']"), null);
    assert.equal(ev('@div(10, 4.0)'), 2.5);
    assert.equal(typeof ev('@float(\'3\')'), 'number');
  });
});

describe('templates: property access', () => {
  const rows: Array<[string, unknown]> = [
    ["@triggerBody()['Email']", 'sophia@example.com'],
    ['@triggerBody().Email', 'sophia@example.com'],
    ["@triggerBody()?['email']", 'sophia@example.com'],
    ["@triggerBody()?['Nested']?['City']", 'Seattle'],
    ['@triggerBody().Nested.City', 'Seattle'],
    ['@triggerBody()?.Nested?.City', 'Seattle'],
    ["@triggerBody()?['Tags'][1]", 'b'],
    ["@triggerBody()?['Tags']?[5]", null],
    ["@triggerBody()?['Missing']", null],
    ["@triggerBody()?['Missing']?['Deeper']?[0]", null],
    ["@triggerBody()?['Nothing']?['x']", null],
    ["@triggerBody()?[concat('Na', 'me')]", 'Sophia Owen'],
    ["@json('{\"a\":{\"b\":[10,20]}}')['a']['b'][sub(2, 1)]", 20],
    ["@triggerBody()?['constructor']", null],
    ["@triggerBody()?['__proto__']", null],
  ];
  for (const [value, expected] of rows) it(`${value} → ${JSON.stringify(expected)}`, () => assert.deepEqual(ev(value), expected));
});

describe('evaluateValue', () => {
  it('evaluates every string in nested objects and arrays, leaves other values and the input untouched', () => {
    const input = {
      To: "@triggerBody()?['Email']",
      Subject: "New lead: @{triggerBody()?['Name']}",
      Count: 7,
      Flags: [true, null, '@add(1, 2)', { Deep: '@@literal' }],
      '@notAKey': 'plain',
    };
    const copy = structuredClone(input);
    assert.deepEqual(ev(input), {
      To: 'sophia@example.com',
      Subject: 'New lead: Sophia Owen',
      Count: 7,
      Flags: [true, null, 3, { Deep: '@literal' }],
      '@notAKey': 'plain',
    });
    assert.deepEqual(input, copy);
  });

  it('keeps a "__proto__" key as data', () => {
    const out = ev(JSON.parse('{"__proto__": {"polluted": "@true"}}')) as Record<string, unknown>;
    assert.deepEqual(Object.getOwnPropertyDescriptor(out, '__proto__')?.value, { polluted: true });
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('body(), outputs() and actions() read the action record', () => {
    assert.deepEqual(ev("@body('Get_user')?['FullName']"), 'Contoso Corporation');
    assert.deepEqual(ev("@outputs('Get_user')?['headers']?['Content-Type']"), 'application/json');
    assert.deepEqual(ev("@actions('Get_user')?['inputs']"), { method: 'GET' });
  });

  it('item() reads the innermost loop item', () => {
    const inLoop = testContext({ item: () => ({ Email: 'x@y.z' }) });
    assert.equal(evaluateValue("@item()?['Email']", inLoop), 'x@y.z');
  });

  it('evaluates the same string many times from the parse cache', () => {
    const started = performance.now();
    for (let i = 0; i < 20000; i++) ev("Hi @{triggerBody()?['Name']}, you have @{length(triggerBody()?['Tags'])} tags");
    assert.ok(performance.now() - started < 2000);
  });
});

describe('parseTemplate and isExpression', () => {
  it('tells the three kinds of value apart', () => {
    assert.equal(parseTemplate('plain').kind, 'literal');
    assert.equal(parseTemplate('@@x').kind, 'literal');
    assert.equal(parseTemplate("@concat('a')").kind, 'expression');
    assert.equal(parseTemplate("a @{concat('a')}").kind, 'interpolated');
    assert.equal(isExpression('plain'), false);
    assert.equal(isExpression('@@plain'), false);
    assert.equal(isExpression("@triggerBody()"), true);
    assert.equal(isExpression('x @{triggerBody()} y'), true);
  });
});

describe('findExpressionProblems', () => {
  it('reports nothing for a valid definition', () => {
    assert.deepEqual(findExpressionProblems({ To: "@triggerBody()?['Email']", Body: 'Hi @{item()}', n: 1, a: ['@@x'] }, 'inputs'), []);
  });

  it('reports every bad expression with its JSON path and position', () => {
    const problems = findExpressionProblems(
      {
        To: "@triggerBody()?['Email'",
        Body: 'Hello @{toUper(1)}',
        list: ['fine', '@substring(\'a\')'],
        'odd key': '@',
        ok: '@@',
      },
      'definition.actions.Send.inputs',
    );
    assert.deepEqual(
      problems.map((p) => p.path),
      [
        'definition.actions.Send.inputs.To',
        'definition.actions.Send.inputs.Body',
        'definition.actions.Send.inputs.list[1]',
        "definition.actions.Send.inputs['odd key']",
      ],
    );
    assert.match(problems[0].message, /^at position 23 in '@triggerBody\(\)\?\['Email'': expected '\]'/);
    assert.match(problems[1].message, /^at position 8 in 'Hello @\{toUper\(1\)\}': toUper: not a known function; did you mean 'toUpper'\?/);
    assert.match(problems[2].message, /^at position 1 .*substring: expects 2 to 3 arguments but was given 1/);
    assert.match(problems[3].message, /^at position 1 .*'@' must be followed by an expression/);
  });

  it('never throws, even on a cyclic value', () => {
    const cyclic: Record<string, unknown> = { a: '@bad(' };
    cyclic.self = cyclic;
    assert.equal(findExpressionProblems(cyclic, 'x').length, 1);
  });
});

describe('listFunctions', () => {
  it('lists each function once with its signature, for autocomplete', () => {
    const list = listFunctions();
    assert.equal(new Set(list.map((f) => f.name.toLowerCase())).size, list.length);
    const substring = list.find((f) => f.name === 'substring');
    assert.deepEqual(substring && { s: substring.signature, min: substring.minArgs, max: substring.maxArgs }, { s: 'substring(text, startIndex, length?)', min: 2, max: 3 });
    assert.equal(list.find((f) => f.name === 'concat')?.maxArgs, null);
    assert.ok(list.every((f) => f.description.length > 0));
  });
});
