/**
 * What the SQL trigger tests share: a real PostgreSQL database to watch (a fresh database on
 * the server test/run.ts started for the PostgreSQL pass, else an embedded server of its own),
 * a real SMTP server that counts emails by subject, and the Logic Apps definition of
 * "When an item is created (V2)" → "Send Email (V3)".
 */
import crypto from 'node:crypto';
import pg from 'pg';
import { startCountingSink } from '../helpers/counting-sink.js';
import { startPostgres } from '../helpers/postgres.js';
import { waitFor } from '../helpers/wait.js';

export interface WatchedDatabase {
  /** postgres://… of an empty database, as a user would give it to smtpflow. */
  url: string;
  sql(text: string, values?: unknown[]): Promise<pg.QueryResult>;
  /** A client of its own (for a transaction held open); closed by close(). */
  client(): Promise<pg.Client>;
  /** Resolves once the workflow's trigger has completed `n` more polls (each one stamps its consumer row). */
  polls(workflow: string, n?: number): Promise<void>;
  /**
   * Resolves once a new workflow's trigger watches: rows committed from then on are new. Its
   * first poll registers the consumer row before it takes the starting snapshot, so that stamp
   * alone comes too early: the one after it does not.
   */
  watching(workflow: string): Promise<void>;
  close(): Promise<void>;
}

export async function startWatchedDatabase(): Promise<WatchedDatabase> {
  let url: string;
  let stopServer = async (): Promise<void> => undefined;
  const shared = process.env.SMTPFLOW_TEST_PG_URL;
  if (shared) {
    const name = `watched_${crypto.randomBytes(5).toString('hex')}`;
    const admin = new pg.Client({ connectionString: shared });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`).finally(() => admin.end());
    const u = new URL(shared);
    u.pathname = `/${name}`;
    url = u.toString();
  } else {
    const server = await startPostgres();
    url = server.url;
    stopServer = () => server.stop();
  }
  const clients: pg.Client[] = [];
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  const polls = async (workflow: string, n = 2): Promise<void> => {
    const stamp = async (): Promise<number> => {
      const { rows } = await pool.query(`SELECT max(polled_at) AS at FROM smtpflow.consumers WHERE consumer LIKE $1`, [`${workflow}/%`]).catch((err: { code?: string }) => {
        if (err.code === '42P01') return { rows: [{ at: null }] }; // not installed yet: the first poll installs it
        throw err;
      });
      return rows[0].at ? new Date(rows[0].at).getTime() : 0;
    };
    for (let i = 0; i < n; i++) {
      const seen = await stamp();
      await waitFor(async () => (await stamp()) > seen, { message: `a poll of ${workflow}`, timeoutMs: 15_000 });
    }
  };
  return {
    url,
    sql: (text, values) => pool.query(text, values),
    polls,
    watching: (workflow) => polls(workflow, 2),
    async client() {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      clients.push(c);
      return c;
    },
    async close() {
      await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
      await pool.end();
      await stopServer();
    },
  };
}

export interface SubjectSink {
  port: number;
  /** Emails received per subject. */
  subjects: Map<string, number>;
  /** Emails whose subject starts with `prefix`: how many, and which subjects came more than once. */
  count(prefix: string): { total: number; distinct: number; doubled: string[] };
  close(): Promise<void>;
}

/**
 * A real SMTP server that keeps only each message's Subject (parsing 10,000 whole messages
 * would slow the test for nothing; subjects here are plain ASCII, never encoded).
 */
export async function startSubjectSink(): Promise<SubjectSink> {
  const sink = await startCountingSink((raw) => /^Subject:\s*(.*)$/im.exec(raw)?.[1]?.trim() ?? '?');
  return {
    port: sink.port,
    subjects: sink.ids,
    count(prefix) {
      const mine = [...sink.ids].filter(([s]) => s.startsWith(prefix));
      return { total: mine.reduce((n, [, c]) => n + c, 0), distinct: mine.length, doubled: mine.filter(([, c]) => c > 1).map(([s]) => s) };
    },
    close: () => sink.close(),
  };
}

/**
 * The workflow as Logic Apps' code view exports it: SQL "When an item is created (V2)" on
 * `table` (written SQL-Server style, as its designer does), one run per row, and SMTP
 * "Send Email (V3)" whose subject is `<prefix> #<id>`.
 */
export function newRowWorkflow(name: string, table: string, prefix: string, connections: { sql: string; smtp: string }, extra: { queries?: Record<string, string> } = {}) {
  const enc = (s: string): string => `@{encodeURIComponent(encodeURIComponent('${s}'))}`;
  return {
    name,
    definition: {
      $schema: 'https://schema.management.azure.com/providers/Microsoft.Logic/schemas/2016-06-01/workflowdefinition.json#',
      contentVersion: '1.0.0.0',
      parameters: { $connections: { defaultValue: {}, type: 'Object' } },
      triggers: {
        'When_an_item_is_created_(V2)': {
          type: 'ApiConnection',
          inputs: {
            host: { connection: { name: "@parameters('$connections')['sql']['connectionId']" } },
            method: 'get',
            path: `/v2/datasets/${enc('default')},${enc('default')}/tables/${enc(table)}/onnewitems`,
            ...(extra.queries ? { queries: extra.queries } : {}),
          },
          recurrence: { frequency: 'Second', interval: 1 },
          splitOn: "@triggerBody()?['value']",
        },
      },
      actions: {
        'Send_Email_(V3)': {
          type: 'ApiConnection',
          inputs: {
            host: { connection: { name: "@parameters('$connections')['smtp']['connectionId']" } },
            method: 'post',
            path: '/SendEmailV3',
            body: {
              From: 'shop@example.com',
              To: "@{triggerBody()?['email']}",
              Subject: `${prefix} #@{triggerBody()?['id']}`,
              Body: "<p>Thank you for order @{triggerBody()?['id']}.</p>",
            },
          },
          runAfter: {},
        },
      },
      outputs: {},
    },
    parameters: {
      $connections: {
        value: {
          sql: { connectionId: `/subscriptions/0000/resourceGroups/shop/providers/Microsoft.Web/connections/${connections.sql}`, connectionName: connections.sql, id: '/subscriptions/0000/providers/Microsoft.Web/locations/westeurope/managedApis/sql' },
          smtp: { connectionId: `/subscriptions/0000/resourceGroups/shop/providers/Microsoft.Web/connections/${connections.smtp}`, connectionName: connections.smtp, id: '/subscriptions/0000/providers/Microsoft.Web/locations/westeurope/managedApis/smtp' },
        },
      },
    },
    state: 'Enabled',
  };
}
