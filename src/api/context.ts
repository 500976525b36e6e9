import type { Config } from '../config.js';
import type { Inbox } from '../devserver/inbox.js';
import type { ConnectionRepository } from '../connections/repository.js';
import type { KeyRepository, Principal, Scope } from '../keys/repository.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { Store } from '../store/db.js';

/** What the HTTP layer needs from the rest of the application; built by src/app.ts. */
export interface ApiServices {
  config: Config;
  store: Store;
  log: Logger;
  metrics: Metrics;
  connections: ConnectionRepository;
  keys: KeyRepository;
  /** The development SMTP server's inbox, when that server runs. */
  inbox?: Inbox;
  /** Extra route plugins contributed by other rooms (outbox, workflows, devserver…), mounted under /api/v1. */
  routes: ApiRoutes[];
  /** True once shutdown has begun: new work is refused with 503. */
  isShuttingDown(): boolean;
  /** Readiness checks beyond the database (workers, dev server). */
  readiness(): Promise<Record<string, boolean>>;
}

export type ApiRoutes = (app: import('./server.js').ApiInstance) => Promise<void> | void;

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /** Who may call the route: an API-key scope, or 'public' (no key; e.g. signed trigger URLs). */
    scope?: Scope | 'public';
    /** The body is someone else's data kept as JSON (a trigger's payload), not smtpflow input: NUL is not refused in it. */
    foreignBody?: boolean;
  }
}
