/**
 * SQL – "When an item is created", in Logic Apps' form (SPEC §4): an `ApiConnection` trigger,
 * method `get`, path `/v2/datasets/{server},{database}/tables/{table}/onnewitems`, with
 * `recurrence` and `splitOn: "@triggerBody()?['value']"`, on a `postgres` connection. Each new
 * row starts one run whose trigger body is the row. How rows are found exactly once, whatever
 * order their transactions commit in, is src/sqlsource's business (capture.ts says why).
 */
import type { StoredConnection } from '../../connections/repository.js';
import { ExpressionError } from '../../expressions/index.js';
import { asPgConnection, parseTableName, pollWatch, scrub, SqlSourceError, startWatch, stopWatch, target, watchProblem, type PgConnection, type WatchState, type WatchTarget } from '../../sqlsource/index.js';
import { isObject, type TriggerDef, type WorkflowParameters } from '../definition.js';
import type { TriggerState } from '../repository.js';
import type { ConnectorTrigger } from './connector.js';
import { decodeTwice, pathSegments } from './connector-path.js';

const PATH = /^\/v2\/datasets\/.+\/tables\/.+\/onnewitems\/?$/i;
const SPLIT_ON = "@triggerBody()?['value']";
/** Rows per transaction of the smtpflow store (their runs are recorded together). */
const PAGE_SIZE = 500;
/** Failures that may pass by themselves: a workflow is still accepted while its database is away. */
const TRANSIENT = new Set(['ConnectionRefused', 'HostNotFound', 'ConnectTimeout', 'ServerStarting']);

type Problems = Array<{ field: string; message: string }>;

/** `$select=a,b`: the columns each run's trigger body keeps (all when absent). */
const selectedColumns = (def: TriggerDef): string[] | undefined => {
  const select = def.inputs?.queries?.$select;
  return typeof select === 'string' && select.trim() ? select.split(',').map((c) => c.trim()).filter(Boolean) : undefined;
};

const parameterOf = (parameters: WorkflowParameters) => (name: string): unknown => parameters[name]?.value;

/** The database and table the path names; `server` must be "default" or the connection's host. */
function watchTarget(def: TriggerDef, conn: StoredConnection | undefined, parameter?: (name: string) => unknown): WatchTarget {
  const segments = pathSegments(String(def.inputs.path).replace(/\/+$/, ''), parameter);
  if (segments.length < 7 || segments.slice(0, 3).join('/') !== '/v2/datasets' || segments[4] !== 'tables' || segments[segments.length - 1].toLowerCase() !== 'onnewitems') {
    throw new Error(`the path must be /v2/datasets/{server},{database}/tables/{table}/onnewitems, each name written as @{encodeURIComponent(encodeURIComponent('…'))}`);
  }
  const dataset = segments[3].split(',');
  if (dataset.length !== 2) throw new Error(`the dataset "${segments[3]}" must be "{server},{database}", e.g. "default,default"`);
  const [server, database] = dataset.map(decodeTwice);
  const schema = typeof conn?.settings.schema === 'string' ? conn.settings.schema : 'public';
  const tableText = decodeTwice(segments.slice(5, -1).join('/'));
  const table = parseTableName(tableText, schema);
  if (!table) throw new Error(`'${tableText}' is not a table name; write orders, sales.orders or "Mixed Case"`);
  if (conn && server !== 'default') {
    const { host, port } = target(asPgConnection(conn));
    if (server !== host && server !== `${host}:${port}`) throw new Error(`the server "${server}" is not the connection's (${host}:${port}); write "default"`);
  }
  return { database: database === 'default' ? undefined : database, table };
}

function problems(def: TriggerDef): Problems {
  const out: Problems = [];
  const inputs = def.inputs;
  if (!isObject(inputs)) return [{ field: 'inputs', message: "must be { host, method: 'get', path, queries? }" }];
  if (String(inputs.method ?? '').toLowerCase() !== 'get') out.push({ field: 'inputs.method', message: 'must be "get"' });
  if (def.splitOn === undefined) out.push({ field: 'splitOn', message: `is required: "${SPLIT_ON}" (one run per new row)` });
  else if (String(def.splitOn).replace(/\s+/g, '') !== SPLIT_ON) out.push({ field: 'splitOn', message: `must be "${SPLIT_ON}": each new row starts its own run` });
  if (inputs.queries !== undefined) {
    if (!isObject(inputs.queries)) out.push({ field: 'inputs.queries', message: 'must be an object such as { "$select": "id,email" }' });
    else {
      for (const key of Object.keys(inputs.queries)) {
        if (key !== '$select') out.push({ field: `inputs.queries.${key}`, message: 'is not supported by the SQL trigger; only $select is (filter rows with a Condition action)' });
      }
      if (inputs.queries.$select !== undefined && !selectedColumns(def)) out.push({ field: 'inputs.queries.$select', message: 'must be a comma-separated list of column names' });
    }
  }
  try {
    watchTarget(def, undefined);
  } catch (err) {
    // A path built from parameters() is checked when the workflow is saved with them (check()).
    if (!(err instanceof ExpressionError && /parameters\(\)/.test(err.message))) out.push({ field: 'inputs.path', message: (err as Error).message });
  }
  return out;
}

/** At save: the table must exist and have a primary key, and smtpflow must be allowed to capture its inserts. */
async function check(def: TriggerDef, ctx: { connection: StoredConnection; parameters: WorkflowParameters }): Promise<Problems> {
  let where: WatchTarget;
  try {
    where = watchTarget(def, ctx.connection, parameterOf(ctx.parameters));
  } catch (err) {
    return [{ field: 'inputs.path', message: (err as Error).message }];
  }
  const found = await watchProblem(asPgConnection(ctx.connection), where, selectedColumns(def));
  if (!found || TRANSIENT.has(found.problem.code)) return [];
  const { code, message, fix } = found.problem;
  const field = code === 'UnknownColumn' ? 'inputs.queries.$select' : ['TableNotFound', 'NoPrimaryKey', 'CaptureNotPermitted'].includes(code) ? 'inputs.path' : 'inputs.host.connection.name';
  return [{ field, message: `${message} ${fix}` }];
}

/** The watch state lives flat in the trigger's memory (`cursor`). */
type Cursor = NonNullable<TriggerState['cursor']>;
const toCursor = (s: WatchState): Cursor => ({ consumer: s.consumer, since: s.since, until: s.until ?? null, afterXid: s.after?.xid ?? null, afterSeq: s.after?.seq ?? null });
const fromCursor = (c: Cursor): WatchState => ({
  consumer: String(c.consumer),
  since: String(c.since),
  ...(c.until ? { until: String(c.until) } : {}),
  ...(c.afterXid ? { after: { xid: String(c.afterXid), seq: String(c.afterSeq) } } : {}),
});
const sameCursor = (a: Cursor | undefined, b: Cursor): boolean => a !== undefined && JSON.stringify(toCursor(fromCursor(a))) === JSON.stringify(b);

export const sqlNewItemsTrigger: ConnectorTrigger = {
  connectionType: 'postgres',
  matches: (path) => PATH.test(path),
  problems,
  check,
  async poll(ctx) {
    const where = watchTarget(ctx.def, ctx.connection, parameterOf(ctx.parameters));
    const conn = asPgConnection(ctx.connection);
    const columns = selectedColumns(ctx.def);
    const body = (row: Record<string, unknown>): Record<string, unknown> => (columns ? Object.fromEntries(columns.map((c) => [c, row[c] ?? null])) : row);
    try {
      if (!ctx.state.cursor) {
        // The first poll after the trigger was enabled (or changed): rows there by now are not new.
        const start = toCursor(await startWatch(conn, where, `${ctx.workflow}/${ctx.trigger}`));
        await ctx.commit((current) => (current.cursor ? undefined : { ...current, cursor: start }), []);
        return;
      }
      await pollWatch(conn, where, fromCursor(ctx.state.cursor), {
        pageSize: PAGE_SIZE,
        deliver: (rows, from, next) => ctx.commit((current) => (sameCursor(current.cursor, toCursor(from)) ? { ...current, cursor: toCursor(next) } : undefined), rows.map(body)),
        reinstalled: () => ctx.log.warn({ workflow: ctx.workflow, trigger: ctx.trigger, table: where.table }, 'the capture trigger on the watched table had been removed and is installed again; rows inserted meanwhile were not seen'),
      });
    } catch (err) {
      throw loggable(conn, err);
    }
  },
  async release(def, ctx) {
    const consumer = ctx.state.cursor?.consumer;
    if (typeof consumer !== 'string') return undefined; // never polled: nothing was installed for it
    const conn = asPgConnection(ctx.connection);
    try {
      const where = watchTarget(def, ctx.connection, parameterOf(ctx.parameters));
      return (await stopWatch(conn, where, consumer)) ? `dropped the insert trigger on ${where.table.schema}.${where.table.table}` : 'another watcher of the table keeps its insert trigger';
    } catch (err) {
      throw loggable(conn, err);
    }
  },
};

/** An error for the log: a problem's cause and fix, or a scrubbed message (a URL error carries its input); never a secret. */
function loggable(conn: PgConnection, err: unknown): Error {
  if (err instanceof SqlSourceError) return new Error(`${err.problem.code}: ${err.problem.message} ${err.problem.fix}`);
  return new Error(scrub(conn, err instanceof Error ? err.message : String(err)));
}
