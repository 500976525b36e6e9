import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { FilterError, odataFilterToSoql } from '../../src/salesforce/odata-filter.js';
import { soqlString } from '../../src/salesforce/soql.js';
import { matches, parseSoql } from './soql-parser.js';

/** The condition as the fake org's SOQL parser reads it back. */
const where = (filter: string) => parseSoql(`SELECT Id FROM Lead WHERE ${odataFilterToSoql(filter)}`).where;
const odataString = (s: string): string => `'${s.replace(/'/g, "''")}'`;

describe('OData $filter → SOQL WHERE', () => {
  test('the subset Logic Apps writes, operator by operator', () => {
    const cases: Array<[string, string]> = [
      ["LeadSource eq 'Web'", "LeadSource = 'Web'"],
      ["Status ne 'Closed'", "Status != 'Closed'"],
      ['NumberOfEmployees gt 50', 'NumberOfEmployees > 50'],
      ['AnnualRevenue ge 1000.5', 'AnnualRevenue >= 1000.5'],
      ['Rating lt -3', 'Rating < -3'],
      ['Score le 10', 'Score <= 10'],
      ['10 lt Score', 'Score > 10'],
      ['IsConverted eq true', 'IsConverted = true'],
      ['IsConverted', 'IsConverted = true'],
      ['Email eq null', 'Email = null'],
      ['Email ne null', 'Email != null'],
      ["startswith(Company, 'Acme')", "Company LIKE 'Acme%'"],
      ["endswith(Email, '@example.com')", "Email LIKE '%@example.com'"],
      ["contains(Owner/Name, 'Ada')", "Owner.Name LIKE '%Ada%'"],
      ["substringof('Ada', FirstName)", "FirstName LIKE '%Ada%'"],
      ["startswith(Company, 'Acme') eq false", "(NOT Company LIKE 'Acme%')"],
      ['CreatedDate ge 2024-05-01T10:00:00+02:00', 'CreatedDate >= 2024-05-01T08:00:00Z'],
      ["CreatedDate lt datetime'2024-05-01T10:00:00Z'", 'CreatedDate < 2024-05-01T10:00:00Z'],
      ['CloseDate eq 2024-05-01', 'CloseDate = 2024-05-01'],
      ["LeadSource eq 'Web' and Status eq 'New' or not (Rating gt 3)", "((LeadSource = 'Web' AND Status = 'New') OR (NOT Rating > 3))"],
      ["LeadSource eq 'Web' and (Status eq 'New' or Status eq 'Open')", "(LeadSource = 'Web' AND (Status = 'New' OR Status = 'Open'))"],
    ];
    for (const [filter, soql] of cases) {
      assert.equal(odataFilterToSoql(filter), soql, filter);
      parseSoql(`SELECT Id FROM Lead WHERE ${soql}`); // and it is SOQL the org parses
    }
  });

  test('quotes, backslashes, wildcards and control characters are escaped, never interpreted', () => {
    assert.equal(odataFilterToSoql("Company eq 'O''Brien \\ Sons'"), "Company = 'O\\'Brien \\\\ Sons'");
    assert.equal(odataFilterToSoql("startswith(Company, '50%_off\\')"), "Company LIKE '50\\%\\_off\\\\%'");
    assert.equal(odataFilterToSoql("Description eq 'line\nnext\t\"q\"'"), "Description = 'line\\nnext\\t\\\"q\\\"'");
    // The classic injection: the quote stays inside the literal, the OR stays text.
    const injected = where("Company eq 'x'' OR Name != '''")!;
    assert.deepEqual(injected, { kind: 'compare', field: 'Company', op: '=', value: { type: 'string', value: "x' OR Name != '" } });
  });

  test('any string survives the trip: the org reads back exactly the literal that was written', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ maxLength: 8 }), (s, tail) => {
        assert.deepEqual(where(`Company eq ${odataString(s)}`), { kind: 'compare', field: 'Company', op: '=', value: { type: 'string', value: s } });
        const like = where(`startswith(Company, ${odataString(s)})`)!;
        assert.equal(like.kind, 'compare');
        assert.equal(matches(like, { Company: s + tail }), true, 'a value that starts with s matches');
        if (/[%_]/.test(s)) assert.equal(matches(like, { Company: s.replace(/[%_]/g, 'Z') + tail }), false, 'and % or _ in s are not wildcards');
        assert.equal(soqlString(s).length >= s.length + 2, true);
      }),
      { numRuns: 300 },
    );
  });

  test('what is not in the subset is refused with its position and a fix', () => {
    const refused: Array<[string, RegExp, number]> = [
      ["Name eq 'abc", /not closed/, 9],
      ['Name eq', /expected a field or a value/, 8],
      ['Name gt null', /null compares only with eq or ne/, 9],
      ['Name eq Company', /cannot compare two fields/, 6],
      ["'a' eq 'b'", /compare a field with a value/, 5],
      ["Name eq 'x'; DELETE", /';' is not part/, 12],
      ["Name eq 'x' Email eq 'y'", /join conditions with 'and' or 'or'/, 13],
      ["tolower(Name) eq 'x'", /'tolower' is not a function this filter translates/, 1],
      ["startswith(Name, Email)", /compares a field with a quoted string/, 1],
      ["Name__x.y eq 'a'", /'\.' is not part/, 8],
      ['Amount gt 1e5', /'1e5' is neither a number nor a date/, 11],
      ['', /empty/, 1],
    ];
    for (const [filter, message, column] of refused) {
      assert.throws(() => odataFilterToSoql(filter), (err: unknown) => {
        assert.ok(err instanceof FilterError, `${filter}: ${String(err)}`);
        assert.match(err.message, message, filter);
        assert.match(err.message, new RegExp(`at character ${column} of the \\$filter`), `${filter}: ${err.message}`);
        return true;
      });
    }
  });
});
