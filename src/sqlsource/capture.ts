/**
 * Change capture for "When an item is created": an AFTER INSERT trigger on the watched table
 * writes each new row's primary key to `smtpflow.new_rows`, stamped with the inserting
 * transaction's full id (`pg_current_xact_id()`). Why a trigger-fed log and not a watermark on
 * the table's own id or timestamp column:
 *
 * - Ids (and `now()` timestamps) are taken when a transaction runs, but become visible when it
 *   commits, in another order: "id > last id seen" skips a row whose transaction commits after a
 *   later id was seen. Visibility is what counts, and a snapshot (`pg_current_snapshot()`) says
 *   exactly which transactions it sees. An entry is new between two polls when its xid is
 *   visible in the newer snapshot and not in the older one, so each entry is new in exactly one
 *   window, whatever the commit order (see new-rows.ts).
 * - The table's own rows cannot carry that: their system column `xmin` changes on UPDATE (an
 *   updated old row would look new) and cannot be indexed (every poll would scan the table).
 *   The log holds inserts only, is indexed by (table, xid), and is pruned once every consumer
 *   has passed an entry.
 *
 * The price: the connection's user needs the TRIGGER privilege on the table and CREATE on the
 * database (or on an existing `smtpflow` schema), and each insert writes one log row. The
 * function is SECURITY DEFINER so that the applications inserting into the table need no
 * privilege on the log.
 */
import type pg from 'pg';
import { escapeIdentifier, escapeLiteral } from 'pg';
import { SqlSourceError, type Problem } from './client.js';
import type { TableInfo } from './tables.js';

export const CAPTURE_SCHEMA = 'smtpflow';
const TRIGGER_NAME = 'smtpflow_capture_new_rows';
/** A consumer that has not polled for this long no longer holds back the pruning of the log. */
const CONSUMER_RETENTION = '7 days';

const qualified = (t: TableInfo): string => `${escapeIdentifier(t.schema)}.${escapeIdentifier(t.table)}`;
const triggerArgs = (t: TableInfo): string => t.primaryKey.map(escapeLiteral).join(', ');

/** What exists of the capture (oids, so that no name lookup needs rights on the schema). */
interface CaptureState {
  schema: number | null;
  log: number | null;
  consumers: number | null;
  fn: boolean;
  /** The trigger's definition on the table, if it has one. */
  trigger: string | null;
}

const complete = (s: CaptureState): boolean => s.schema !== null && s.log !== null && s.consumers !== null && s.fn;

async function captureState(client: pg.Client, tableOid: number | null): Promise<CaptureState> {
  const { rows } = await client.query<CaptureState>(
    `SELECT n.oid::int AS schema,
            (SELECT c.oid::int FROM pg_class c WHERE c.relnamespace = n.oid AND c.relname = 'new_rows') AS log,
            (SELECT c.oid::int FROM pg_class c WHERE c.relnamespace = n.oid AND c.relname = 'consumers') AS consumers,
            EXISTS (SELECT 1 FROM pg_proc p WHERE p.pronamespace = n.oid AND p.proname = 'capture_new_rows' AND p.pronargs = 0) AS fn,
            (SELECT pg_get_triggerdef(t.oid) FROM pg_trigger t WHERE t.tgrelid = $2::oid AND t.tgname = $3) AS trigger
       FROM (SELECT 1) AS one LEFT JOIN pg_namespace n ON n.nspname = $1`,
    [CAPTURE_SCHEMA, tableOid, TRIGGER_NAME],
  );
  return rows[0];
}

/** The trigger as installed passes the current primary key columns (a changed key needs a new trigger). */
const triggerIsCurrent = (state: CaptureState, table: TableInfo): boolean => state.trigger?.includes(`capture_new_rows(${triggerArgs(table)})`) ?? false;
const isInstalled = (state: CaptureState, table: TableInfo): boolean => complete(state) && triggerIsCurrent(state, table);

/**
 * The GRANTs the connection's user lacks to create what is missing of the capture and to use
 * what exists (a log another user installed), and for `table` to put the trigger on it.
 */
async function missingGrants(client: pg.Client, state: CaptureState, table?: TableInfo): Promise<{ user: string; grants: string[] }> {
  const { rows } = await client.query<{ user: string; db: string; trigger: boolean; create: boolean; usage: boolean; log: boolean; consumers: boolean }>(
    `SELECT current_user AS user, current_database() AS db,
            $1::oid IS NULL OR has_table_privilege($1::oid, 'TRIGGER') AS trigger,
            CASE WHEN $2::oid IS NULL THEN has_database_privilege(current_database(), 'CREATE') ELSE has_schema_privilege($2::oid, 'CREATE') END AS create,
            $2::oid IS NULL OR has_schema_privilege($2::oid, 'USAGE') AS usage,
            $3::oid IS NULL OR (has_table_privilege($3::oid, 'SELECT') AND has_table_privilege($3::oid, 'DELETE')) AS log,
            $4::oid IS NULL OR (has_table_privilege($4::oid, 'SELECT') AND has_table_privilege($4::oid, 'INSERT')
                                AND has_table_privilege($4::oid, 'UPDATE') AND has_table_privilege($4::oid, 'DELETE')) AS consumers`,
    [table && !triggerIsCurrent(state, table) ? table.oid : null, state.schema, state.log, state.consumers],
  );
  const p = rows[0];
  const to = `TO ${escapeIdentifier(p.user)};`;
  const grants = [
    ...(p.trigger ? [] : [`GRANT TRIGGER ON ${qualified(table!)} ${to}`]),
    ...(p.create || complete(state) ? [] : [state.schema === null ? `GRANT CREATE ON DATABASE ${escapeIdentifier(p.db)} ${to}` : `GRANT CREATE ON SCHEMA ${CAPTURE_SCHEMA} ${to}`]),
    ...(p.usage ? [] : [`GRANT USAGE ON SCHEMA ${CAPTURE_SCHEMA} ${to}`]),
    ...(p.log ? [] : [`GRANT SELECT, DELETE ON ${CAPTURE_SCHEMA}.new_rows ${to}`]),
    ...(p.consumers ? [] : [`GRANT SELECT, INSERT, UPDATE, DELETE ON ${CAPTURE_SCHEMA}.consumers ${to}`]),
  ];
  return { user: p.user, grants };
}

/** For the connection test: whether the capture is installed, and what the user lacks to install or use it. */
export async function databaseCaptureProblem(client: pg.Client): Promise<{ installed: boolean; problem?: Problem }> {
  const state = await captureState(client, null);
  const { user, grants } = await missingGrants(client, state);
  if (grants.length === 0) return { installed: complete(state) };
  return {
    installed: complete(state),
    problem: {
      code: 'CaptureNotPermitted',
      message: `User '${user}' may not ${complete(state) ? 'use' : 'create'} the log in schema '${CAPTURE_SCHEMA}' where smtpflow records new rows of watched tables.`,
      fix: `As an owner or superuser, run: ${grants.join(' ')} (each watched table also needs GRANT TRIGGER ON <table> TO "${user}" unless that user owns it).`,
    },
  };
}

/** Why the capture of `table` cannot be installed or used by the connection's user; undefined when it can. */
export async function captureProblem(client: pg.Client, table: TableInfo): Promise<Problem | undefined> {
  const state = await captureState(client, table.oid);
  const { user, grants } = await missingGrants(client, state, table);
  if (grants.length === 0) return undefined;
  return {
    code: 'CaptureNotPermitted',
    message: `To see new rows of '${table.schema}.${table.table}' exactly once, smtpflow logs them in the schema '${CAPTURE_SCHEMA}' from an insert trigger on the table, and user '${user}' may not set that up.`,
    fix: `As the table's owner or a superuser, run: ${grants.join(' ')} Then save the workflow again.`,
  };
}

/** One transaction holding the capture's advisory lock: installs, registrations and releases queue on it. */
async function inCaptureLock<T>(client: pg.Client, work: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    // CREATE and DROP TRIGGER wait for transactions inserting into the table, and inserts queue
    // behind them: rather than stall the application behind a long transaction, give up and try again later.
    await client.query(`SET LOCAL lock_timeout = '3s'`);
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('smtpflow.capture'))`);
    const result = await work();
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** Creates what is missing of the capture, inside inCaptureLock; answers whether the table's trigger had to be (re)created. */
async function install(client: pg.Client, table: TableInfo): Promise<boolean> {
  const now = await captureState(client, table.oid);
  if (now.schema === null) await client.query(`CREATE SCHEMA ${CAPTURE_SCHEMA}`);
  if (now.log === null) {
    await client.query(`CREATE TABLE ${CAPTURE_SCHEMA}.new_rows (
      seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      rel oid NOT NULL,
      xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
      pk jsonb NOT NULL)`);
    await client.query(`CREATE INDEX new_rows_by_xid ON ${CAPTURE_SCHEMA}.new_rows (rel, xid, seq)`);
  }
  if (now.consumers === null) {
    await client.query(`CREATE TABLE ${CAPTURE_SCHEMA}.consumers (
      consumer text PRIMARY KEY,
      rel oid NOT NULL,
      horizon xid8 NOT NULL,
      polled_at timestamptz NOT NULL DEFAULT now())`);
  }
  if (!now.fn) {
    // Statement-level with a transition table: a 10,000-row INSERT costs one call, not 10,000.
    await client.query(`CREATE FUNCTION ${CAPTURE_SCHEMA}.capture_new_rows() RETURNS trigger
      LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
      BEGIN
        INSERT INTO ${CAPTURE_SCHEMA}.new_rows (rel, pk)
        SELECT TG_RELID, (SELECT jsonb_object_agg(k, r -> k) FROM unnest(TG_ARGV) AS k)
          FROM (SELECT to_jsonb(n) AS r FROM smtpflow_inserted n) AS s;
        RETURN NULL;
      END
      $fn$`);
  }
  if (triggerIsCurrent(now, table)) return false;
  if (now.trigger) await client.query(`DROP TRIGGER ${TRIGGER_NAME} ON ${qualified(table)}`);
  await client.query(`CREATE TRIGGER ${TRIGGER_NAME} AFTER INSERT ON ${qualified(table)}
    REFERENCING NEW TABLE AS smtpflow_inserted FOR EACH STATEMENT
    EXECUTE FUNCTION ${CAPTURE_SCHEMA}.capture_new_rows(${triggerArgs(table)})`);
  return true;
}

/**
 * Installs what is missing (idempotent; concurrent installers queue on an advisory lock).
 * Answers whether the table's trigger had to be (re)created. Creating a trigger waits for
 * transactions that are inserting into the table and holds new inserts for the moment it takes.
 */
export async function ensureCapture(client: pg.Client, table: TableInfo): Promise<boolean> {
  if (isInstalled(await captureState(client, table.oid), table)) return false;
  const problem = await captureProblem(client, table);
  if (problem) throw new SqlSourceError(problem);
  return inCaptureLock(client, () => install(client, table));
}

/**
 * A new watcher's consumer row, written under the capture lock together with a last check that
 * the table's trigger is there: a watcher of the same table released at the same moment
 * (releaseCapture) then either sees this consumer and keeps the trigger, or has dropped it
 * before, and it is put back here.
 */
export async function registerConsumer(client: pg.Client, consumer: string, table: TableInfo): Promise<void> {
  await ensureCapture(client, table);
  await inCaptureLock(client, async () => {
    await install(client, table);
    await client.query(
      `INSERT INTO ${CAPTURE_SCHEMA}.consumers (consumer, rel, horizon) VALUES ($1, $2, pg_snapshot_xmin(pg_current_snapshot()))
       ON CONFLICT (consumer) DO UPDATE SET rel = EXCLUDED.rel, horizon = EXCLUDED.horizon, polled_at = now()`,
      [consumer, table.oid],
    );
  });
}

/**
 * A watcher is gone (its workflow was deleted): its consumer row goes and, when no other watcher
 * of the table has polled lately, the table's trigger and its log entries too, so that inserts
 * into the table cost nothing any more. Answers whether the trigger was dropped.
 */
export async function releaseCapture(client: pg.Client, consumer: string, table: TableInfo): Promise<boolean> {
  const state = await captureState(client, table.oid);
  if (!complete(state)) return false;
  try {
    return await inCaptureLock(client, async () => {
      await client.query(`DELETE FROM ${CAPTURE_SCHEMA}.consumers WHERE consumer = $1`, [consumer]);
      const others = await client.query(`SELECT 1 FROM ${CAPTURE_SCHEMA}.consumers WHERE rel = $1 AND polled_at >= now() - interval '${CONSUMER_RETENTION}' LIMIT 1`, [table.oid]);
      if ((others.rowCount ?? 0) > 0) return false;
      if (state.trigger) await client.query(`DROP TRIGGER IF EXISTS ${TRIGGER_NAME} ON ${qualified(table)}`);
      await client.query(`DELETE FROM ${CAPTURE_SCHEMA}.consumers WHERE rel = $1`, [table.oid]);
      await client.query(`DELETE FROM ${CAPTURE_SCHEMA}.new_rows WHERE rel = $1`, [table.oid]);
      return state.trigger !== null;
    });
  } catch (err) {
    const code = (err as { code?: string }).code;
    // Only a table's owner may drop a trigger on it (TRIGGER privilege suffices to create one); a lock wait gave up.
    if (code === '42501' || code === '55P03') {
      throw new SqlSourceError({
        code: 'CaptureNotRemoved',
        message: `The insert trigger on '${table.schema}.${table.table}' stays: ${code === '42501' ? "only the table's owner may drop it" : 'a transaction writing to the table held it for more than 3 s'}.`,
        fix: `As the table's owner, run: DROP TRIGGER ${TRIGGER_NAME} ON ${qualified(table)}; DELETE FROM ${CAPTURE_SCHEMA}.new_rows WHERE rel = ${table.oid};`,
      });
    }
    throw err;
  }
}

/**
 * Records how far a consumer (one workflow trigger) has read, and deletes the entries of the
 * table that every consumer that polled lately has passed, and those of tables no consumer
 * watches any more (releaseCapture drops the trigger when the last watcher of a table goes).
 */
export async function consumed(client: pg.Client, consumer: string, table: TableInfo, snapshot: string): Promise<void> {
  await client.query(
    `INSERT INTO ${CAPTURE_SCHEMA}.consumers (consumer, rel, horizon) VALUES ($1, $2, pg_snapshot_xmin($3::pg_snapshot))
     ON CONFLICT (consumer) DO UPDATE SET rel = EXCLUDED.rel, horizon = EXCLUDED.horizon, polled_at = now()`,
    [consumer, table.oid, snapshot],
  );
  await client.query(`DELETE FROM ${CAPTURE_SCHEMA}.consumers WHERE polled_at < now() - interval '${CONSUMER_RETENTION}'`);
  await client.query(
    `DELETE FROM ${CAPTURE_SCHEMA}.new_rows WHERE rel = $1 AND xid < (SELECT min(horizon) FROM ${CAPTURE_SCHEMA}.consumers WHERE rel = $1)`,
    [table.oid],
  );
  await client.query(`DELETE FROM ${CAPTURE_SCHEMA}.new_rows l WHERE NOT EXISTS (SELECT 1 FROM ${CAPTURE_SCHEMA}.consumers c WHERE c.rel = l.rel)`);
}
