/**
 * Every function against the examples of Microsoft's "Reference guide to functions in
 * expressions" (workflow-definition-language-functions-reference), expression → result.
 * Where the reference has a typo, the row says so and uses the evident intent.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluateValue, listFunctions } from '../../src/expressions/index.js';
import { testContext } from './context.js';

type Row = [expression: string, expected: unknown, now?: string];

const REFERENCE: Row[] = [
  ['add(1, 1.5)', 2.5],
  ["addDays('2018-03-15T00:00:00Z', 10)", '2018-03-25T00:00:00.0000000Z'],
  ["addDays('2018-03-15T00:00:00Z', -5)", '2018-03-10T00:00:00.0000000Z'],
  ["addHours('2018-03-15T00:00:00Z', 10)", '2018-03-15T10:00:00.0000000Z'],
  ["addHours('2018-03-15T15:00:00Z', -5)", '2018-03-15T10:00:00.0000000Z'],
  ["addMinutes('2018-03-15T00:10:00Z', 10)", '2018-03-15T00:20:00.0000000Z'],
  ["addMinutes('2018-03-15T00:20:00Z', -5)", '2018-03-15T00:15:00.0000000Z'],
  ["addSeconds('2018-03-15T00:00:00Z', 10)", '2018-03-15T00:00:10.0000000Z'],
  ["addSeconds('2018-03-15T00:00:30Z', -5)", '2018-03-15T00:00:25.0000000Z'],
  ["addToTime('2018-01-01T00:00:00Z', 1, 'Day')", '2018-01-02T00:00:00.0000000Z'],
  ["addToTime('2018-01-01T00:00:00Z', 1, 'Day', 'D')", 'Tuesday, January 2, 2018'],
  ['addProperty(json(\'{ "firstName": "Sophia", "lastName": "Owen" }\'), \'middleName\', \'Anne\')', { firstName: 'Sophia', lastName: 'Owen', middleName: 'Anne' }],
  ['and(true, true)', true],
  ['and(false, true)', false],
  ['and(false, false)', false],
  ['and(equals(1, 1), equals(2, 2))', true],
  ['and(equals(1, 1), equals(1, 2))', false],
  ['and(equals(1, 2), equals(1, 3))', false],
  ["array('hello')", ['hello']],
  ["base64('hello')", 'aGVsbG8='],
  ["base64ToString('aGVsbG8=')", 'hello'],
  ['bool(1)', true],
  ['bool(0)', false],
  ['bool(-1)', true],
  ["bool('true')", true],
  ["bool('false')", false],
  ['coalesce(null, true, false)', true],
  ["coalesce(null, 'hello', 'world')", 'hello'],
  ['coalesce(null, null, null)', null],
  ["concat('Hello', 'World')", 'HelloWorld'],
  ["contains('hello world', 'world')", true],
  ["contains('hello world', 'universe')", false],
  ["convertFromUtc('2018-01-01T08:00:00.0000000Z', 'Pacific Standard Time')", '2018-01-01T00:00:00.0000000'],
  ["convertFromUtc('2018-01-01T08:00:00.0000000Z', 'Pacific Standard Time', 'D')", 'Monday, January 1, 2018'],
  ["convertTimeZone('2018-01-01T08:00:00.0000000Z', 'UTC', 'Pacific Standard Time')", '2018-01-01T00:00:00.0000000'],
  // The reference's input reads "T80:00:00", an impossible hour; 08 is meant.
  ["convertTimeZone('2018-01-01T08:00:00.0000000Z', 'UTC', 'Pacific Standard Time', 'D')", 'Monday, January 1, 2018'],
  ["convertToUtc('01/01/2018 00:00:00', 'Pacific Standard Time')", '2018-01-01T08:00:00.0000000Z'],
  ["convertToUtc('01/01/2018 00:00:00', 'Pacific Standard Time', 'D')", 'Monday, January 1, 2018'],
  ["createArray('h', 'e', 'l', 'l', 'o')", ['h', 'e', 'l', 'l', 'o']],
  ["dataUri('hello')", 'data:text/plain;charset=utf-8;base64,aGVsbG8='],
  ["dataUriToString('data:text/plain;charset=utf-8;base64,aGVsbG8=')", 'hello'],
  ["dayOfMonth('2018-03-15T13:27:36Z')", 15],
  ["dayOfWeek('2018-03-15T13:27:36Z')", 4],
  ["dayOfYear('2018-03-15T13:27:36Z')", 74],
  ["decodeUriComponent('https%3A%2F%2Fcontoso.com')", 'https://contoso.com'],
  ['div(10,5)', 2],
  ['div(11,5)', 2],
  ['div(11,5.0)', 2.2],
  ['div(11.0,5)', 2.2],
  ["encodeUriComponent('https://contoso.com')", 'https%3A%2F%2Fcontoso.com'],
  ["empty('')", true],
  ["empty('abc')", false],
  ["endsWith('hello world', 'world')", true],
  ["endsWith('hello world', 'universe')", false],
  ['equals(true, 1)', true],
  ["equals('abc', 'abcd')", false],
  ["first('hello')", 'h'],
  ['first(createArray(0, 1, 2))', 0],
  ["float('10.333')", 10.333],
  ["formatDateTime('03/15/2018 12:00:00', 'yyyy-MM-ddTHH:mm:ss')", '2018-03-15T12:00:00'],
  ["getFutureTime(5, 'Day')", '2018-03-06T00:00:00.0000000Z', '2018-03-01T00:00:00Z'],
  ["getFutureTime(5, 'Day', 'D')", 'Tuesday, March 6, 2018', '2018-03-01T00:00:00Z'],
  ["getPastTime(5, 'Day')", '2018-01-27T00:00:00.0000000Z', '2018-02-01T00:00:00Z'],
  ["getPastTime(5, 'Day', 'D')", 'Saturday, January 27, 2018', '2018-02-01T00:00:00Z'],
  ['greater(10, 5)', true],
  ["greater('apple', 'banana')", false],
  ['greaterOrEquals(5, 5)', true],
  ["greaterOrEquals('apple', 'banana')", false],
  ["if(equals(1, 1), 'yes', 'no')", 'yes'],
  ["indexOf('hello world', 'world')", 6],
  ["int('10')", 10],
  ['intersection(createArray(1, 2, 3), createArray(101, 2, 1, 10), createArray(6, 8, 1, 2))', [1, 2]],
  ["items('myForEachLoopName')", { body: 'current' }],
  ["join(createArray('a', 'b', 'c'), '.')", 'a.b.c'],
  ["json('[1, 2, 3]')", [1, 2, 3]],
  ['json(\'{"fullName": "Sophia Owen"}\')', { fullName: 'Sophia Owen' }],
  ["last('abcd')", 'd'],
  ['last(createArray(0, 1, 2, 3))', 3],
  ["lastIndexOf('hello world hello world', 'world')", 18],
  ["lastIndexOf('hello world hello world', '')", 22],
  ["length('abcd')", 4],
  ['length(createArray(0, 1, 2, 3))', 4],
  ['less(5, 10)', true],
  ["less('banana', 'apple')", false],
  ['lessOrEquals(10, 10)', true],
  ["lessOrEquals('apply', 'apple')", false],
  ['max(1, 2, 3)', 3],
  ['max(createArray(1, 2, 3))', 3],
  ['min(1, 2, 3)', 1],
  ['min(createArray(1, 2, 3))', 1],
  ['mod(3, 2)', 1],
  ['mul(1, 2)', 2],
  ['mul(1.5, 2)', 3],
  ['not(false)', true],
  ['not(true)', false],
  ['not(equals(1, 2))', true],
  ['not(equals(1, 1))', false],
  ['or(true, false)', true],
  ['or(false, false)', false],
  ['or(equals(1, 1), equals(1, 2))', true],
  ['or(equals(1, 2), equals(1, 3))', false],
  ["parameters('fullName')", 'Sophia Owen'],
  ['range(1, 4)', [1, 2, 3, 4]],
  ["replace('the old string', 'old', 'new')", 'the new string'],
  ['removeProperty(json(\'{ "firstName": "Sophia", "middleName": "Anne", "surName": "Owen" }\'), \'middleName\')', { firstName: 'Sophia', surName: 'Owen' }],
  ['setProperty(json(\'{ "firstName": "Sophia", "surName": "Owen" }\'), \'surName\', \'Hartnett\')', { firstName: 'Sophia', surName: 'Hartnett' }],
  ['skip(createArray(0, 1, 2, 3), 1)', [1, 2, 3]],
  ["split('a_b_c', '_')", ['a', 'b', 'c']],
  ["split('a_b_c', ' ')", ['a_b_c']],
  ["startOfDay('2018-03-15T13:30:30Z')", '2018-03-15T00:00:00.0000000Z'],
  ["startOfHour('2018-03-15T13:30:30Z')", '2018-03-15T13:00:00.0000000Z'],
  ["startOfMonth('2018-03-15T13:30:30Z')", '2018-03-01T00:00:00.0000000Z'],
  ["startOfMonth('2018-03-15T13:30:30Z', 'yyyy-MM-dd')", '2018-03-01'],
  ["startsWith('hello world', 'hello')", true],
  ["startsWith('hello world', 'greetings')", false],
  ['string(10)', '10'],
  // The reference writes the object inline; the language has no object literal, so json() builds it.
  ['string(json(\'{ "name": "Sophie Owen" }\'))', '{"name":"Sophie Owen"}'],
  ['sub(10.3, .3)', 10],
  ["substring('hello world', 6, 5)", 'world'],
  ["subtractFromTime('2018-01-02T00:00:00Z', 1, 'Day')", '2018-01-01T00:00:00.0000000Z'],
  // The reference prints "Monday, January, 1, 2018"; .NET's "D" has no comma after the month.
  ["subtractFromTime('2018-01-02T00:00:00Z', 1, 'Day', 'D')", 'Monday, January 1, 2018'],
  ["take('abcde', 3)", 'abc'],
  ['take(createArray(0, 1, 2, 3, 4), 3)', [0, 1, 2]],
  ["toLower('Hello World')", 'hello world'],
  ["toUpper('Hello World')", 'HELLO WORLD'],
  ["trim(' Hello World  ')", 'Hello World'],
  ['union(createArray(1, 2, 3), createArray(1, 2, 10, 101))', [1, 2, 3, 10, 101]],
  ["uriComponent('https://contoso.com')", 'https%3A%2F%2Fcontoso.com'],
  ["uriComponentToString('https%3A%2F%2Fcontoso.com')", 'https://contoso.com'],
  ["uriHost('https://www.localhost.com:8080')", 'www.localhost.com'],
  ["uriPath('https://www.contoso.com/catalog/shownew.htm?date=today')", '/catalog/shownew.htm'],
  ["uriPathAndQuery('https://www.contoso.com/catalog/shownew.htm?date=today')", '/catalog/shownew.htm?date=today'],
  ["uriPort('https://www.localhost:8080')", 8080],
  ["uriQuery('https://www.contoso.com/catalog/shownew.htm?date=today')", '?date=today'],
  // The reference answers "http" for an https URI, a typo.
  ["uriScheme('https://www.contoso.com/catalog/shownew.htm?date=today')", 'https'],
  ['utcNow()', '2018-04-15T13:00:00.0000000Z'],
  ["utcNow('D')", 'Sunday, April 15, 2018'],
  ["variables('numItems')", 20],
  ['workflow().run.name', 'run-1'],
  ["body('Get_user')", { FullName: 'Contoso Corporation', Id: 283541717 }],
  ["actionBody('Get_user')", { FullName: 'Contoso Corporation', Id: 283541717 }],
  ["outputs('Get_user')['statusCode']", 200],
  ["actionOutputs('Get_user').body.FullName", 'Contoso Corporation'],
  ["actions('Get_user').status", 'Succeeded'],
  ['triggerBody()?[\'Email\']', 'sophia@example.com'],
  ["triggerOutputs()['headers']['Content-Type']", 'application/json'],
];

/** Beyond the reference's examples: integer/float results, .NET formats, time zones, edge cases. */
const MORE: Row[] = [
  ['add(1, 2)', 3],
  ['add(1.5, 1.5)', 3],
  ['sub(5, 7)', -2],
  ['mul(2.5, 4)', 10],
  ['div(-7, 2)', -3],
  ['mod(-7, 2)', -1],
  ['mod(7.5, 2)', 1.5],
  ['add(0.1, 0.2)', 0.3],
  ["int('-42')", -42],
  ["float('3')", 3],
  ["string(createArray(1, 'a', null))", '[1,"a",null]'],
  ['string(null)', ''],
  ['string(false)', 'False'],
  ["bool('TRUE')", true],
  ["indexOf('Hello World', 'WORLD')", 6],
  ["indexOf('abc', 'x')", -1],
  ["startsWith('Hello', 'hE')", true],
  ["contains(createArray('a', 'b'), 'b')", true],
  ['contains(json(\'{"k": 1}\'), \'k\')', true],
  ["replace('a.b.c', '.', '')", 'abc'],
  ["split('a,,b', ',')", ['a', '', 'b']],
  ["join(createArray(1, true, null, 'x'), ', ')", '1, True, , x'],
  ["nthIndexOf('123456789123465789', '1', 2)", 9],
  ["nthIndexOf('123456789123465789', '1', 3)", -1],
  ["empty(createArray())", true],
  ["empty(json('{}'))", true],
  ['empty(null)', true],
  ["first(createArray())", null],
  ["substring('hello', 2)", 'llo'],
  ["substring('hello', 5, 0)", ''],
  ["slice('Hello World', 2, -2)", 'llo Wor'],
  ["encodeURIComponent(encodeURIComponent('Lead'))", 'Lead'],
  ["encodeUriComponent('a b!*()')", 'a%20b%21%2A%28%29'],
  ["base64('Grüße ✓')", 'R3LDvMOfZSDinJM='],
  ["base64ToString('R3LDvMOfZSDinJM=')", 'Grüße ✓'],
  ["if(equals(1, 2), div(1, 0), 'no error')", 'no error'],
  ["coalesce(triggerBody()?['Missing'], 'fallback')", 'fallback'],
  ["guid('N')", /^[0-9a-f]{32}$/],
  ['guid()', /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/],
  ["guid('P')", /^\([0-9a-f-]{36}\)$/],
  ["guid('B')", /^\{[0-9a-f-]{36}\}$/],
  ["formatDateTime('2018-03-15T13:27:36.1234567Z')", '2018-03-15T13:27:36.1234567Z'],
  ["formatDateTime('2018-03-15T13:27:36.1234567Z', 'yyyy-MM-dd HH:mm:ss.fff')", '2018-03-15 13:27:36.123'],
  ["formatDateTime('2018-03-15T13:27:36Z', 'ddd, dd MMM yyyy')", 'Thu, 15 Mar 2018'],
  ["formatDateTime('2018-03-15T13:27:36Z', 'dddd d MMMM yy')", 'Thursday 15 March 18'],
  ["formatDateTime('2018-03-15T13:07:06Z', 'h:m:s tt')", '1:7:6 PM'],
  ["formatDateTime('2018-03-15T00:27:36Z', 'hh:mm t')", '12:27 A'],
  ["formatDateTime('2018-03-15T13:27:36Z', 'HH:mm:ss.FFF')", '13:27:36'],
  ["formatDateTime('2018-03-15T13:27:36.5Z', 'HH:mm:ss.FFF')", '13:27:36.5'],
  ["formatDateTime('2018-03-15T13:27:36Z', '''Day'' d, \"of\" M\\y')", 'Day 15, of 3y'],
  ["formatDateTime('2018-03-15T13:27:36Z', '%d')", '15'],
  ["formatDateTime('2018-03-15T13:27:36Z', 'd')", '3/15/2018'],
  ["formatDateTime('2018-03-15T13:27:36Z', 'f')", 'Thursday, March 15, 2018 1:27 PM'],
  ["formatDateTime('2018-03-15T13:27:36Z', 'F')", 'Thursday, March 15, 2018 1:27:36 PM'],
  ["formatDateTime('2018-03-15T13:27:36Z', 'g')", '3/15/2018 1:27 PM'],
  ["formatDateTime('2018-03-15T13:27:36Z', 'G')", '3/15/2018 1:27:36 PM'],
  ["formatDateTime('2018-03-15T13:27:36Z', 'M')", 'March 15'],
  ["formatDateTime('2018-03-15T13:27:36Z', 'r')", 'Thu, 15 Mar 2018 13:27:36 GMT'],
  ["formatDateTime('2018-03-15T13:27:36Z', 's')", '2018-03-15T13:27:36'],
  ["formatDateTime('2018-03-15T13:27:36Z', 't')", '1:27 PM'],
  ["formatDateTime('2018-03-15T13:27:36Z', 'T')", '1:27:36 PM'],
  ["formatDateTime('2018-03-15T13:27:36Z', 'u')", '2018-03-15 13:27:36Z'],
  ["formatDateTime('2018-03-15T13:27:36Z', 'y')", 'March 2018'],
  ["formatDateTime('2018-03-15T13:27:36Z', 'zzz K')", '+00:00 Z'],
  ["formatDateTime('2018-03-15')", '2018-03-15T00:00:00.0000000'],
  ["formatDateTime('2018-03-15T15:00:00+02:00')", '2018-03-15T13:00:00.0000000Z'],
  ["formatDateTime('Thu, 15 Mar 2018 13:27:36 GMT', 'o')", '2018-03-15T13:27:36.0000000Z'],
  ["formatDateTime('3/5/2018 1:02:03 PM', 's')", '2018-03-05T13:02:03'],
  ["addToTime('2018-01-31T00:00:00Z', 1, 'Month')", '2018-02-28T00:00:00.0000000Z'],
  ["addToTime('2020-02-29T00:00:00Z', 1, 'Year')", '2021-02-28T00:00:00.0000000Z'],
  ["addToTime('2018-01-01T00:00:00Z', 2, 'week', 'yyyy-MM-dd')", '2018-01-15'],
  ["convertTimeZone('2018-07-01T12:00:00Z', 'UTC', 'W. Europe Standard Time', 'HH:mm')", '14:00'],
  ["convertTimeZone('2018-01-01T12:00:00Z', 'UTC', 'W. Europe Standard Time', 'HH:mm')", '13:00'],
  ["convertTimeZone('2018-07-01T12:00:00Z', 'UTC', 'India Standard Time', 'HH:mm')", '17:30'],
  ["convertTimeZone('2018-07-01 12:00:00', 'Eastern Standard Time', 'UTC')", '2018-07-01T16:00:00.0000000Z'],
  ["convertTimeZone('2018-07-01 12:00:00', 'Eastern Standard Time', 'Tokyo Standard Time', 's')", '2018-07-02T01:00:00'],
  ["convertTimeZone('2018-07-01T12:00:00Z', 'UTC', 'Europe/Paris', 'HH:mm')", '14:00'],
  ["convertTimeZone('2018-07-01T12:00:00Z', 'UTC', 'pacific standard time', 'HH:mm')", '05:00'],
  ["convertFromUtc('2018-07-01T12:00:00Z', 'Pacific Standard Time (Mexico)', 'HH:mm')", '05:00'],
];

function run(expression: string, now?: string): unknown {
  const ctx = testContext(now ? { now: () => new Date(now) } : {});
  return evaluateValue(`@${expression}`, ctx);
}

describe('functions: the examples of the Logic Apps function reference', () => {
  for (const [expression, expected, now] of REFERENCE) {
    it(`${expression} → ${JSON.stringify(expected)}`, () => assert.deepEqual(run(expression, now), expected));
  }
});

describe('functions: further cases', () => {
  for (const [expression, expected, now] of MORE) {
    it(`${expression} → ${expected instanceof RegExp ? expected : JSON.stringify(expected)}`, () => {
      const actual = run(expression, now);
      if (expected instanceof RegExp) assert.match(String(actual), expected);
      else assert.deepEqual(actual, expected);
    });
  }
});

describe('functions: coverage of the required list', () => {
  it('every function that issue 4 names is implemented and tested above', () => {
    const required = `triggerBody triggerOutputs body outputs actions item items parameters variables workflow concat substring replace
      toLower toUpper trim indexOf startsWith endsWith split join length empty first last contains coalesce if equals not and or
      greater greaterOrEquals less lessOrEquals add sub mul div mod int float string bool json array createArray base64
      base64ToString encodeUriComponent guid utcNow addDays addHours addMinutes formatDateTime convertTimeZone`.split(/\s+/).filter(Boolean);
    const known = new Set(listFunctions().map((f) => f.name));
    const tested = [...REFERENCE, ...MORE].map(([e]) => e).join(' ');
    for (const name of required) {
      assert.ok(known.has(name), `${name} is implemented`);
      if (name !== 'item') assert.ok(new RegExp(`\\b${name}\\(`).test(tested), `${name} has a row in the table`);
    }
  });
});
