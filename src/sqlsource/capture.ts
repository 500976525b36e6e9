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

interface CaptureState {
  schema: boolean;
  log: boolean;
  consumers: boolean;
  fn: boolean;
  /** The trigger's definition on the table, if it has one. */
  trigger?: string;
}

async function captureState(client: pg.Client, table: TableInfo): Promise<CaptureState> {
  const { rows } = await client.query<{ schema: boolean; log: boolean; consumers: boolean; fn: boolean; trigger: string | null }>(
    `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) AS schema,
            to_regclass($1 || '.new_rows') IS NOT NULL AS log,
            to_regclass($1 || '.consumers') IS NOT NULL AS consumers,
            to_regprocedure($1 || '.capture_new_rows()') IS NOT NULL AS fn,
            (SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = $2::oid AND tgname = $3) AS trigger`,
    [CAPTURE_SCHEMA, table.oid, TRIGGER_NAME],
  );
  return { ...rows[0], trigger: rows[0].trigger ?? undefined };
}

/** The trigger as installed passes the current primary key columns (a changed key needs a new trigger). */
const triggerIsCurrent = (state: CaptureState, table: TableInfo): boolean =>
  state.trigger !== undefined && state.trigger.includes(`capture_new_rows(${triggerArgs(table)})`);

/** Why the capture cannot be installed by the connection's user, or undefined when it is in place or can be. */
export async function captureProblem(client: pg.Client, table: TableInfo): Promise<Problem | undefined> {
  const state = await captureState(client, table);
  const objectsMissing = !state.schema || !state.log || !state.consumers || !state.fn;
  if (!objectsMissing && triggerIsCurrent(state, table)) return undefined;
  const { rows } = await client.query<{ user: string; db: string; trigger: boolean; create: boolean }>(
    `SELECT current_user AS user, current_database() AS db, has_table_privilege($1::oid, 'TRIGGER') AS trigger,
            CASE WHEN EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $2) THEN has_schema_privilege($2, 'CREATE')
                 ELSE has_database_privilege(current_database(), 'CREATE') END AS create`,
    [table.oid, CAPTURE_SCHEMA],
  );
  const p = rows[0];
  const grants = [
    ...(!p.trigger && !triggerIsCurrent(state, table) ? [`GRANT TRIGGER ON ${qualified(table)} TO ${escapeIdentifier(p.user)};`] : []),
    ...(!p.create && objectsMissing ? [state.schema ? `GRANT CREATE ON SCHEMA ${CAPTURE_SCHEMA} TO ${escapeIdentifier(p.user)};` : `GRANT CREATE ON DATABASE ${escapeIdentifier(p.db)} TO ${escapeIdentifier(p.user)};`] : []),
  ];
  if (grants.length === 0) return undefined;
  return {
    code: 'CaptureNotPermitted',
    message: `To see new rows of '${table.schema}.${table.table}' exactly once, smtpflow installs an insert trigger that logs them in the schema '${CAPTURE_SCHEMA}', and user '${p.user}' may not.`,
    fix: `As the table's owner or a superuser, run: ${grants.join(' ')} Then save the workflow again.`,
  };
}

/**
 * Installs what is missing (idempotent; concurrent installers queue on an advisory lock).
 * Answers whether the table's trigger had to be (re)created. Creating a trigger waits for
 * transactions that are inserting into the table and holds new inserts for the moment it takes.
 */
export async function ensureCapture(client: pg.Client, table: TableInfo): Promise<boolean> {
  const state = await captureState(client, table);
  if (state.schema && state.log && state.consumers && state.fn && triggerIsCurrent(state, table)) return false;
  const problem = await captureProblem(client, table);
  if (problem) throw new SqlSourceError(problem);
  await client.query('BEGIN');
  try {
    // CREATE TRIGGER waits for transactions inserting into the table, and inserts queue behind it:
    // rather than stall the application behind a long transaction, give up and try at the next poll.
    await client.query(`SET LOCAL lock_timeout = '3s'`);
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('smtpflow.capture'))`);
    const now = await captureState(client, table);
    if (!now.schema) await client.query(`CREATE SCHEMA ${CAPTURE_SCHEMA}`);
    if (!now.log) {
      await client.query(`CREATE TABLE ${CAPTURE_SCHEMA}.new_rows (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        rel oid NOT NULL,
        xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
        pk jsonb NOT NULL)`);
      await client.query(`CREATE INDEX new_rows_by_xid ON ${CAPTURE_SCHEMA}.new_rows (rel, xid, seq)`);
    }
    if (!now.consumers) {
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
    const installed = triggerIsCurrent(now, table);
    if (!installed) {
      if (now.trigger) await client.query(`DROP TRIGGER ${TRIGGER_NAME} ON ${qualified(table)}`);
      await client.query(`CREATE TRIGGER ${TRIGGER_NAME} AFTER INSERT ON ${qualified(table)}
        REFERENCING NEW TABLE AS smtpflow_inserted FOR EACH STATEMENT
        EXECUTE FUNCTION ${CAPTURE_SCHEMA}.capture_new_rows(${triggerArgs(table)})`);
    }
    await client.query('COMMIT');
    return !installed;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/**
 * Records how far a consumer (one workflow trigger) has read, and deletes the entries of the
 * table that every consumer that polled lately has passed, and those of tables no consumer
 * watches any more (their trigger stays until someone drops it: see the README).
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
