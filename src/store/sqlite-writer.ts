import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * The thread's module, beside this one: .js in dist. From source (.ts, under tsx in tests and the
 * bench) Node 20 does not carry tsx's hooks into a worker, so a one-line bootstrap installs them first.
 */
function threadEntry(): [string, { eval?: boolean }] {
  const here = fileURLToPath(import.meta.url);
  const entry = path.join(path.dirname(here), `sqlite-writer-thread${path.extname(here)}`);
  if (path.extname(here) !== '.ts') return [entry, {}];
  return [`import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(pathToFileURL(entry).href)}); });`, { eval: true }];
}

/** One statement, run once per row of parameters. */
export interface WriteStatement {
  sql: string;
  rows: unknown[][];
}

export type WriterRequest = ({ id: number } & ({ statements: WriteStatement[] } | { pragma: string })) | { close: true };
export interface WriterReply {
  id: number;
  error?: { message: string; code?: string };
}

/** An error from the writer's connection, with better-sqlite3's code (SQLITE_FULL, SQLITE_BUSY…) kept. */
export class SqliteWriteError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/**
 * Writes to a SQLite file from a thread of their own. better-sqlite3 is synchronous: on the event
 * loop's thread a batch of inserts and its commit (an fsync) stop every request in flight, and a
 * profile of the accept path put them at a fifth of its CPU. Here they run on another core while
 * the event loop reads the next requests. Only writes whose one answer is "committed" come here
 * (the outbox's group commits: accepted messages, delivery outcomes); everything else keeps the
 * main connection. The outbox's other write transactions take turns with the thread's
 * (`takeTurn`); any other write meets SQLite's lock, as a separate process's would.
 */
export class SqliteWriter {
  private worker?: Worker;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();
  private turn: Promise<void> = Promise.resolve();

  constructor(private readonly file: string) {}

  /** Runs the statements in one transaction; resolves once it is committed (fsync'd). */
  transaction(statements: WriteStatement[]): Promise<void> {
    return this.inTurn({ statements });
  }

  /**
   * Waits until no transaction of this thread runs and holds the thread's next ones back until
   * the answered function is called: for a write transaction on the main connection (see
   * sqlite-dialect.ts). Waiting here is a promise; waiting for SQLite's lock would be its busy
   * handler sleeping on the event loop's thread, milliseconds at a time. The holder must not
   * itself wait on a writer transaction: that would wait for itself.
   */
  takeTurn(): Promise<() => void> {
    const previous = this.turn;
    let release!: () => void;
    this.turn = new Promise<void>((resolve) => (release = resolve));
    return previous.then(() => release);
  }

  /** Sets a pragma on the writer's connection (busy_timeout, max_page_count are per connection). */
  pragma(text: string): Promise<void> {
    return this.inTurn({ pragma: text });
  }

  /** Waits for every request asked for so far (each takes its turn), then closes the thread's connection. */
  async close(): Promise<void> {
    const release = await this.takeTurn();
    try {
      const worker = this.worker;
      this.worker = undefined;
      if (!worker) return;
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      worker.ref(); // until it has exited: the caller awaits that
      worker.postMessage({ close: true } satisfies WriterRequest);
      await exited;
    } finally {
      release();
    }
  }

  private async inTurn(body: { statements: WriteStatement[] } | { pragma: string }): Promise<void> {
    const release = await this.takeTurn();
    try {
      await this.request(body);
    } finally {
      release();
    }
  }

  private request(body: { statements: WriteStatement[] } | { pragma: string }): Promise<void> {
    const worker = (this.worker ??= this.start());
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      // Referenced only while it owes an answer: an idle writer does not keep the process alive.
      worker.ref();
      worker.postMessage({ id, ...body } satisfies WriterRequest);
    });
  }

  private start(): Worker {
    const [entry, options] = threadEntry();
    const worker = new Worker(entry, { ...options, workerData: { file: this.file } });
    worker.unref();
    worker.on('message', (reply: WriterReply) => {
      const waiter = this.waiting.get(reply.id);
      this.waiting.delete(reply.id);
      if (this.waiting.size === 0) worker.unref();
      if (reply.error) waiter?.reject(new SqliteWriteError(reply.error.message, reply.error.code));
      else waiter?.resolve();
    });
    // A thread that dies fails what it owed and is started again on the next write.
    const fail = (err: Error): void => {
      for (const { reject } of this.waiting.values()) reject(err);
      this.waiting.clear();
      if (this.worker === worker) this.worker = undefined;
    };
    worker.on('error', fail);
    worker.on('exit', () => fail(new SqliteWriteError('the SQLite writer thread stopped')));
    return worker;
  }
}
