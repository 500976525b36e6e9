/** Tables of a watched database: naming them, finding them, and their primary keys. */
import type pg from 'pg';
import { SqlSourceError } from './client.js';

export interface TableRef {
  schema: string;
  table: string;
}

export interface TableInfo extends TableRef {
  oid: number;
  /** Primary key columns in key order; empty when the table has none. */
  primaryKey: string[];
  columns: string[];
}

/**
 * A table name as a trigger path or a user writes it: `orders`, `sales.orders`,
 * `"Sales"."Order Lines"`, or SQL Server's `[dbo].[Orders]` (what Logic Apps' SQL designer
 * writes; `dbo` then means the connection's schema, as it is SQL Server's default).
 * Double-quoted parts keep their case; bare and bracketed parts are folded to lower case, as
 * PostgreSQL folds bare names (SQL Server's brackets do not make a name case-sensitive).
 */
export function parseTableName(text: string, defaultSchema: string): TableRef | undefined {
  const part = /\s*(?:"((?:[^"]|"")+)"|\[((?:[^\]]|\]\])+)\]|([^".[\]\s]+))\s*/y;
  const parts: Array<{ name: string; bracketed: boolean }> = [];
  for (let at = 0; ; at++) {
    part.lastIndex = at;
    const m = part.exec(text);
    if (!m) return undefined;
    if (m[1] !== undefined) parts.push({ name: m[1].replace(/""/g, '"'), bracketed: false });
    else if (m[2] !== undefined) parts.push({ name: m[2].replace(/]]/g, ']').toLowerCase(), bracketed: true });
    else parts.push({ name: m[3].toLowerCase(), bracketed: false });
    at = part.lastIndex;
    if (at === text.length) break;
    if (text[at] !== '.' || parts.length === 2) return undefined;
  }
  if (parts.length === 1) return { schema: defaultSchema, table: parts[0].name };
  const schema = parts[0].bracketed && parts[0].name === 'dbo' ? defaultSchema : parts[0].name;
  return { schema, table: parts[1].name };
}

export const displayName = (ref: TableRef, defaultSchema: string): string => (ref.schema === defaultSchema ? ref.table : `${ref.schema}.${ref.table}`);

/** Tables and partitioned tables: what can be watched (views and foreign tables have no insert trigger to rely on). */
const WATCHABLE = `c.relkind IN ('r', 'p')`;

export async function describeTable(client: pg.Client, ref: TableRef): Promise<TableInfo | undefined> {
  const found = await client.query<{ oid: number }>(
    `SELECT c.oid::int AS oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2 AND ${WATCHABLE}`,
    [ref.schema, ref.table],
  );
  const oid = found.rows[0]?.oid;
  if (oid === undefined) return undefined;
  const columns = await client.query<{ name: string; key: number | null }>(
    `SELECT a.attname AS name, array_position(i.indkey::int2[], a.attnum) AS key
       FROM pg_attribute a LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary AND a.attnum = ANY (i.indkey)
      WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
    [oid],
  );
  const primaryKey = columns.rows.filter((c) => c.key !== null).sort((a, b) => a.key! - b.key!).map((c) => c.name);
  return { ...ref, oid, primaryKey, columns: columns.rows.map((c) => c.name) };
}

/** The table, with a primary key; otherwise a SqlSourceError that says what to do. */
export async function requireWatchableTable(client: pg.Client, ref: TableRef, defaultSchema: string): Promise<TableInfo> {
  const info = await describeTable(client, ref);
  const name = displayName(ref, defaultSchema);
  if (!info) {
    throw new SqlSourceError({ code: 'TableNotFound', message: `The database has no table '${name}' (schema '${ref.schema}').`, fix: 'Pick a table listed by GET /api/v1/connections/{name}/objects, or create it first.' });
  }
  if (info.primaryKey.length === 0) {
    throw new SqlSourceError({
      code: 'NoPrimaryKey',
      message: `Table '${name}' has no primary key, so smtpflow cannot tell its rows apart.`,
      fix: `Add one (ALTER TABLE ${name} ADD PRIMARY KEY (…)), or watch another table.`,
    });
  }
  return info;
}

export async function listTables(client: pg.Client, schema: string): Promise<Array<{ name: string; hasPrimaryKey: boolean }>> {
  const result = await client.query<{ name: string; has_pk: boolean }>(
    `SELECT c.relname AS name, EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary) AS has_pk
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND ${WATCHABLE} AND NOT c.relispartition AND has_table_privilege(c.oid, 'SELECT')
      ORDER BY c.relname`,
    [schema],
  );
  return result.rows.map((r) => ({ name: r.name, hasPrimaryKey: r.has_pk }));
}

export async function schemaExists(client: pg.Client, schema: string): Promise<boolean> {
  return (await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])).rowCount === 1;
}
