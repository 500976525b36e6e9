import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExpressionError, evaluateValue, parseTemplate } from '../../src/expressions/index.js';
import { testContext } from './context.js';

interface Expected {
  position: number;
  functionName?: string;
  message: RegExp;
}

function fails(value: string, expected: Expected, ctx = testContext()): void {
  let caught: unknown;
  try {
    evaluateValue(value, ctx);
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof ExpressionError, `${value} throws ExpressionError, got ${String(caught)}`);
  assert.equal(caught.name, 'ExpressionError');
  assert.equal(caught.expression, value);
  assert.equal(caught.position, expected.position, `position of ${caught.message}`);
  assert.equal(caught.functionName, expected.functionName);
  assert.match(caught.message, expected.message);
  const shown = value.length > 200 ? `${value.slice(0, 200)}…` : value;
  assert.ok(caught.message.startsWith(`at position ${expected.position} in '${shown}': ${expected.functionName ? `${expected.functionName}: ` : ''}`), caught.message);
}

describe('errors: syntax, with the position of the offending token', () => {
  const rows: Array<[string, Expected]> = [
    ['@', { position: 1, message: /'@' must be followed by an expression \(write '@@' for a literal '@'\)/ }],
    ["@concat('a'", { position: 11, message: /expected ',' or '\)' but found the end of the expression/ }],
    ["@concat('a' 'b')", { position: 12, message: /expected ',' or '\)' but found a string/ }],
    ["@concat('a)", { position: 8, message: /string literal is not closed/ }],
    ["@concat('a'))", { position: 12, message: /expected the end of the expression but found '\)'/ }],
    ['@foo', { position: 1, message: /'foo' is not a value: call a function such as foo\(\)/ }],
    ['@1abc', { position: 1, message: /malformed number '1a'/ }],
    ['@triggerBody()?', { position: 15, message: /expected '\[' or '\.' after '\?'/ }],
    ['@triggerBody().', { position: 15, message: /expected a property name/ }],
    ['@triggerBody()[', { position: 15, message: /expected a value/ }],
    ['@concat(,)', { position: 8, message: /expected a value/ }],
    ['@concat(#)', { position: 8, message: /unexpected character '#'/ }],
    ['Hi @{}', { position: 5, message: /'@\{\}' is empty/ }],
    ["Hi @{triggerBody()", { position: 18, message: /expected '\}' closing '@\{'/ }],
    ["Hi @{'a' 'b'}", { position: 9, message: /expected '\}' closing '@\{'/ }],
    [`@${'concat('.repeat(300)}`, { position: 1 + 256 * 'concat('.length, message: /nested more than 256 levels/ }],
  ];
  for (const [value, expected] of rows) it(`${value.slice(0, 40)} fails at ${expected.position}`, () => fails(value, expected));
});

describe('errors: unknown functions and argument counts, found when parsing', () => {
  const rows: Array<[string, Expected]> = [
    ['@subString()', { position: 1, functionName: 'substring', message: /expects 2 to 3 arguments but was given 0/ }],
    ["@triggerBdy()?['a']", { position: 1, functionName: 'triggerBdy', message: /not a known function; did you mean 'triggerBody'\?/ }],
    ["@concat('a', nope(1))", { position: 13, functionName: 'nope', message: /not a known function$/ }],
    ['@utcNow(1, 2)', { position: 1, functionName: 'utcNow', message: /expects 0 to 1 arguments but was given 2/ }],
    ["@if(true, 'a')", { position: 1, functionName: 'if', message: /expects 3 arguments but was given 2/ }],
    ['x @{not()} y', { position: 4, functionName: 'not', message: /expects 1 argument but was given 0/ }],
  ];
  for (const [value, expected] of rows) {
    it(`${value} names ${expected.functionName}`, () => {
      fails(value, expected);
      assert.throws(() => parseTemplate(value), ExpressionError);
    });
  }
});

describe('errors: evaluation, naming the function and its position', () => {
  const rows: Array<[string, Expected]> = [
    ["@substring('hello', 9)", { position: 1, functionName: 'substring', message: /startIndex 9 is beyond the string's length 5/ }],
    ["@concat('a', substring('abc', 1, 5))", { position: 13, functionName: 'substring', message: /startIndex 1 plus length 5 is beyond the string's length 3/ }],
    ["@substring('abc', -1)", { position: 1, functionName: 'substring', message: /startIndex -1 must not be negative/ }],
    ["Total: @{div(triggerBody()?['Count'], 0)}", { position: 9, functionName: 'div', message: /cannot divide by zero/ }],
    ["@add('1', 2)", { position: 1, functionName: 'add', message: /the first number must be a number, not String/ }],
    ["@int('ten')", { position: 1, functionName: 'int', message: /cannot convert 'ten' to an integer/ }],
    ["@json('{oops')", { position: 1, functionName: 'json', message: /not valid JSON/ }],
    ["@base64ToString('***')", { position: 1, functionName: 'base64ToString', message: /not valid base64/ }],
    ["@length(triggerBody()?['Count'])", { position: 1, functionName: 'length', message: /expects a string or an array, not Integer/ }],
    ["@greater('a', 1)", { position: 1, functionName: 'greater', message: /cannot compare String with Integer/ }],
    ["@not('maybe')", { position: 1, functionName: 'not', message: /must be a boolean, not String/ }],
    ["@formatDateTime('yesterday')", { position: 1, functionName: 'formatDateTime', message: /'yesterday' is not a valid timestamp/ }],
    ["@formatDateTime('2018-02-30')", { position: 1, functionName: 'formatDateTime', message: /not a valid timestamp/ }],
    ["@formatDateTime('2018-03-15', 'Q')", { position: 1, functionName: 'formatDateTime', message: /'Q' is not a standard date and time format specifier/ }],
    ["@convertTimeZone('2018-03-15', 'UTC', 'Mars Standard Time')", { position: 1, functionName: 'convertTimeZone', message: /'Mars Standard Time' is not a known time zone/ }],
    ["@addToTime('2018-03-15', 1, 'Fortnight')", { position: 1, functionName: 'addToTime', message: /'Fortnight' is not a time unit/ }],
    ["@addDays('9999-12-31T00:00:00Z', 1)", { position: 1, functionName: 'addDays', message: /outside the years 1 to 9999/ }],
    ["@guid('Z')", { position: 1, functionName: 'guid', message: /format 'Z' is not one of N, D, B, P or X/ }],
    ["@body('Nope')", { position: 1, functionName: 'body', message: /the action 'Nope' has not run/ }],
    ["@parameters('nope')", { position: 1, functionName: 'parameters', message: /the workflow parameter 'nope' is not defined/ }],
    ["@variables('nope')", { position: 1, functionName: 'variables', message: /the variable 'nope' is not initialized/ }],
    ["@items('Other')", { position: 1, functionName: 'items', message: /'Other' is not a Foreach loop/ }],
    ['@item()', { position: 1, functionName: 'item', message: /only available inside a Foreach loop/ }],
    ["@addProperty(json('{\"a\":1}'), 'a', 2)", { position: 1, functionName: 'addProperty', message: /already has a property 'a'/ }],
  ];
  for (const [value, expected] of rows) it(`${value}`, () => fails(value, expected));

  it('inside if(), only the chosen branch can fail', () => {
    fails("@if(equals(1, 1), div(1, 0), 'b')", { position: 18, functionName: 'div', message: /cannot divide by zero/ });
  });

  it('a non-ExpressionError thrown by the context becomes an ExpressionError at the call', () => {
    const ctx = testContext({
      triggerBody: () => {
        throw new TypeError('database is closed');
      },
    });
    fails("x=@{triggerBody()?['a']}", { position: 4, functionName: 'triggerBody', message: /database is closed/ }, ctx);
  });
});

describe('errors: property access', () => {
  const rows: Array<[string, Expected]> = [
    ["@triggerBody()['Missing']", { position: 14, message: /property 'Missing' doesn't exist \(write \?\['Missing'\] to get null instead\); it has 'Email', 'Name'/ }],
    ["@triggerBody()?['Missing']['x']", { position: 26, message: /cannot select property 'x' of null/ }],
    ["@triggerBody()['Tags'][2]", { position: 22, message: /index 2 is out of range: the array has 2 items/ }],
    ["@triggerBody()['Tags']['a']", { position: 22, message: /an array is indexed by an integer, not String 'a'/ }],
    ["@triggerBody()['Email']['x']", { position: 23, message: /cannot select property 'x' of a String/ }],
    ["@triggerBody()?['Email']?['x']", { position: 24, message: /cannot select property 'x' of a String/ }],
  ];
  for (const [value, expected] of rows) it(`${value}`, () => fails(value, expected));
});
