/**
 * `POST /connections/{name}/test` for a postgres connection: connect (network, TLS, login),
 * check the server version, list the schema's tables, and check that smtpflow may install its
 * change capture there. Each step is reported; the first failure names its cause and fix.
 */
import type pg from 'pg';
import { CAPTURE_SCHEMA, databaseCaptureProblem } from './capture.js';
import { connect, describeError, scrub, SqlSourceError, target, type PgConnection, type Problem } from './client.js';
import { listTables, schemaExists } from './tables.js';

export interface SqlTestStep {
  step: 'connect' | 'server' | 'tables' | 'capture';
  ok: boolean;
  detail: string;
  durationMs: number;
}

export interface SqlTestReport {
  ok: boolean;
  steps: SqlTestStep[];
  problem?: Problem;
}

/** pg_current_snapshot() and the xid8 type arrived in PostgreSQL 13. */
const MIN_VERSION = 130000;

export async function testPostgres(conn: PgConnection): Promise<SqlTestReport> {
  const steps: SqlTestStep[] = [];
  const schema = conn.schema ?? 'public';
  const t = target(conn);
  let client: pg.Client | undefined;
  const run = async (step: SqlTestStep['step'], work: () => Promise<string>): Promise<void> => {
    const started = performance.now();
    try {
      steps.push({ step, ok: true, detail: await work(), durationMs: performance.now() - started });
    } catch (err) {
      const problem = err instanceof SqlSourceError ? err.problem : describeError(conn, err);
      steps.push({ step, ok: false, detail: problem.message, durationMs: performance.now() - started });
      throw new SqlSourceError(problem);
    }
  };
  try {
    await run('connect', async () => {
      client = await connect(conn);
      return `logged in to ${t.host}:${t.port} as '${t.user}', database '${t.database}'`;
    });
    await run('server', async () => {
      const { rows } = await client!.query<{ num: string; version: string }>(`SELECT current_setting('server_version_num') AS num, current_setting('server_version') AS version`);
      if (Number(rows[0].num) < MIN_VERSION) {
        throw new SqlSourceError({ code: 'ServerTooOld', message: `PostgreSQL ${rows[0].version} is too old: watching tables needs PostgreSQL 13 or later (pg_current_snapshot, xid8).`, fix: 'Upgrade the server.' });
      }
      return `PostgreSQL ${rows[0].version}`;
    });
    await run('tables', async () => {
      if (!(await schemaExists(client!, schema))) {
        throw new SqlSourceError({ code: 'SchemaNotFound', message: `The database has no schema '${schema}'.`, fix: 'Set `schema` on the connection to an existing one (default "public").' });
      }
      const tables = await listTables(client!, schema);
      const keyed = tables.filter((x) => x.hasPrimaryKey).length;
      return `${tables.length} table(s) readable in schema '${schema}', ${keyed} with a primary key (watchable)`;
    });
    await run('capture', async () => {
      const { installed, problem } = await databaseCaptureProblem(client!);
      if (problem) throw new SqlSourceError(problem);
      return installed
        ? `change capture is installed (schema '${CAPTURE_SCHEMA}')`
        : `smtpflow may install its change capture (schema '${CAPTURE_SCHEMA}') when a workflow first watches a table`;
    });
    return { ok: true, steps };
  } catch (err) {
    const problem = err instanceof SqlSourceError ? err.problem : describeError(conn, err);
    return { ok: false, steps, problem: { ...problem, message: scrub(conn, problem.message), fix: scrub(conn, problem.fix) } };
  } finally {
    await client?.end().catch(() => undefined);
  }
}
