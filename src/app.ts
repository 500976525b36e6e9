import fs from 'node:fs';
import type { ApiServices } from './api/context.js';
import { buildServer, type ApiInstance } from './api/server.js';
import { messageRoutes } from './api/routes/messages.js';
import { sendEmailRoutes } from './api/routes/send-email.js';
import { workflowRoutes } from './api/routes/workflows.js';
import type { Config } from './config.js';
import { ConnectionRepository } from './connections/repository.js';
import { Inbox } from './devserver/inbox.js';
import { DevSmtpServer } from './devserver/server.js';
import { KeyRepository } from './keys/repository.js';
import { createLogger, type Logger } from './log.js';
import { Metrics } from './metrics.js';
import { readiness, startProbeServer } from './probes.js';
import { Outbox, outboxOptionsFromEnv, type OutboxOptions } from './outbox/index.js';
import { loadOrCreateKey, SecretBox } from './secrets/secret-box.js';
import { openStore, type Store } from './store/db.js';
import { OutboxMailer } from './workflows/mail.js';
import { WorkflowService } from './workflows/service.js';

export const DEV_CONNECTION = 'dev-inbox';

export interface App {
  config: Config;
  store: Store;
  log: Logger;
  metrics: Metrics;
  server: ApiInstance;
  connections: ConnectionRepository;
  keys: KeyRepository;
  workflows: WorkflowService;
  outbox: Outbox;
  /** Set when this start generated the admin key (first start without SMTPFLOW_ADMIN_KEY). */
  generatedAdminKey?: string;
  /** The development SMTP server's port, when it runs. */
  devSmtpPort?: number;
  /** Starts listening; answers the base URL. */
  listen(): Promise<string>;
  /** Graceful stop: refuse new work (503), finish what is in flight, release everything. */
  stop(): Promise<void>;
}

export interface AppOptions {
  /** Where log lines go (tests capture them); stdout by default. */
  logDestination?: NodeJS.WritableStream;
  /** Outbox tunables (tests shorten leases and backoff); SMTPFLOW_OUTBOX_* variables otherwise. */
  outbox?: Partial<OutboxOptions>;
}

/** What every smtpflow process runs on, with or without the API: the database, connections, the outbox, the workflow engine. */
interface Core {
  log: Logger;
  store: Store;
  connections: ConnectionRepository;
  outbox: Outbox;
  workflows: WorkflowService;
}

async function buildCore(config: Config, options: AppOptions, metrics: Metrics): Promise<Core> {
  fs.mkdirSync(config.dataDir, { recursive: true });
  const log = createLogger(config.logLevel, options.logDestination);
  const store = await openStore(config.databaseUrl, {
    poolSize: config.databasePoolSize,
    onListenError: (err) => log.warn({ err }, 'the PostgreSQL LISTEN connection failed; reconnecting (until then other processes\' work is found by polling)'),
  });
  const connections = new ConnectionRepository(store, new SecretBox(loadOrCreateKey(config.secretKey, config.dataDir)));
  const outbox = new Outbox({
    store,
    connections,
    log: log.child({ component: 'outbox' }),
    options: { ...outboxOptionsFromEnv(), ...options.outbox },
    limits: { maxRecipients: config.maxRecipients, maxAttachmentBytes: config.maxAttachmentBytes },
    registry: metrics.registry,
  });
  const workflows = new WorkflowService({
    store,
    log: log.child({ component: 'workflows' }),
    mailer: new OutboxMailer(store, (request) => outbox.enqueueForWorkflow(request)),
    connectionType: async (name) => ((await connections.exists(name)) ? (await connections.view(name)).type : undefined),
    resolveConnection: (name) => connections.resolve(name),
    httpPollAllow: config.httpPollAllow,
    leaseMs: config.workflowLeaseMs,
  });
  workflows.runs.onFinished = (status) => metrics.workflowRuns.inc({ status });
  return { log, store, connections, outbox, workflows };
}

/** The composition root of `smtpflow serve`: the API, and (unless `config.worker` is false) delivery and workflow execution. */
export async function createApp(config: Config, options: AppOptions = {}): Promise<App> {
  const metrics = new Metrics();
  const { log, store, connections, outbox, workflows } = await buildCore(config, options, metrics);
  const keys = new KeyRepository(store);

  let generatedAdminKey: string | undefined;
  if (config.adminKey) await keys.installEnvAdmin(config.adminKey);
  else if (!(await keys.hasAdmin())) generatedAdminKey = (await keys.create('admin (generated on first start)', 'admin')).key;

  let devServer: DevSmtpServer | undefined;
  let inbox: Inbox | undefined;
  let devSmtpPort: number | undefined;
  if (config.devSmtpPort > 0) {
    inbox = new Inbox(store);
    devServer = new DevSmtpServer(inbox, log.child({ component: 'devserver' }));
    devSmtpPort = await devServer.start(config.devSmtpPort, config.devSmtpHost);
    await ensureDevConnection(connections, config.devSmtpHost, devSmtpPort);
  }

  let shuttingDown = false;
  const services: ApiServices = {
    config,
    store,
    log,
    metrics,
    connections,
    keys,
    inbox,
    routes: [],
    isShuttingDown: () => shuttingDown,
    readiness: async (): Promise<Record<string, boolean>> => ({
      ...(devServer ? { devSmtpServer: devServer.isListening() } : {}),
      ...(config.worker ? { workers: outbox.workerAlive() } : {}),
    }),
  };
  services.routes.push(sendEmailRoutes(outbox), messageRoutes(outbox));
  services.routes.push(workflowRoutes(workflows, { publicUrl: config.publicUrl }));
  const server = await buildServer(services);

  return {
    config,
    store,
    log,
    metrics,
    server,
    connections,
    keys,
    workflows,
    outbox,
    generatedAdminKey,
    devSmtpPort,
    async listen() {
      await server.listen({ port: config.port, host: config.host });
      outbox.start({ worker: config.worker });
      workflows.start({ worker: config.worker });
      const address = server.server.address();
      const port = typeof address === 'object' && address ? address.port : config.port;
      const host = config.host.includes(':') ? `[${config.host}]` : config.host;
      return `http://${host}:${port}`;
    },
    async stop() {
      shuttingDown = true;
      // Workflows first: a caller waiting on a Response action is answered (202) before the server closes.
      await workflows.stop();
      await server.close();
      // After the server: synchronous sends still answering finish first.
      await outbox.stop();
      await devServer?.stop();
      await store.close();
    },
  };
}

/** The ready connection of the embedded default; kept pointing at the dev server's current port. */
async function ensureDevConnection(connections: ConnectionRepository, host: string, port: number): Promise<void> {
  if (!(await connections.exists(DEV_CONNECTION))) {
    await connections.create({ name: DEV_CONNECTION, host, port, security: 'none', defaultFrom: 'smtpflow <smtpflow@localhost>' });
    return;
  }
  const current = (await connections.resolve(DEV_CONNECTION)).settings;
  if (current.host !== host || current.port !== port) await connections.update(DEV_CONNECTION, { host, port });
}

export interface WorkerProcess {
  config: Config;
  store: Store;
  log: Logger;
  metrics: Metrics;
  outbox: Outbox;
  workflows: WorkflowService;
  /** Where /healthz, /readyz and /metrics answer, when `config.metricsPort` is set. */
  probeUrl?: string;
  /** Graceful stop: no new claims, SMTP transactions in flight finish, runs and leases are handed back. */
  stop(): Promise<void>;
}

/**
 * The composition root of `smtpflow worker`: delivery, workflow execution and trigger firing,
 * no API. Started at once; any number of them share one database.
 */
export async function createWorker(config: Config, options: AppOptions = {}): Promise<WorkerProcess> {
  const metrics = new Metrics();
  const { log, store, outbox, workflows } = await buildCore(config, options, metrics);
  let stopping = false;
  // Before any work starts: a port that is taken fails the start with nothing to undo.
  const probes =
    config.metricsPort === undefined
      ? undefined
      : await startProbeServer({
          host: config.host,
          port: config.metricsPort,
          registry: metrics.registry,
          ready: () => readiness(store, { workers: outbox.workerAlive() }, stopping),
        });
  outbox.start({ worker: true });
  workflows.start({ worker: true });
  return {
    config,
    store,
    log,
    metrics,
    outbox,
    workflows,
    probeUrl: probes?.url,
    async stop() {
      stopping = true;
      await workflows.stop();
      await outbox.stop();
      await probes?.close();
      await store.close();
    },
  };
}
