import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseTableName } from '../../src/sqlsource/index.js';

test('table names as Logic Apps and users write them', () => {
  const cases: Array<[string, { schema: string; table: string } | undefined]> = [
    ['orders', { schema: 'app', table: 'orders' }],
    ['Orders', { schema: 'app', table: 'orders' }], // bare names fold to lower case, as in PostgreSQL
    ['sales.orders', { schema: 'sales', table: 'orders' }],
    ['"Sales"."Order Lines"', { schema: 'Sales', table: 'Order Lines' }],
    ['"say ""hi"""', { schema: 'app', table: 'say "hi"' }],
    ['[dbo].[Orders]', { schema: 'app', table: 'orders' }], // SQL Server's default schema is the connection's
    ['[sales].[Order]]s]', { schema: 'sales', table: 'order]s' }],
    [' sales . orders ', { schema: 'sales', table: 'orders' }],
    ['a.b.c', undefined],
    ['orders.', undefined],
    ['', undefined],
    ['"unterminated', undefined],
  ];
  for (const [text, expected] of cases) assert.deepEqual(parseTableName(text, 'app'), expected, text);
});
