import type { StoredConnection } from '../connections/repository.js';
import { AppError, notFound } from '../errors.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/db.js';
import { newId } from '../ids.js';
import type { HttpResponse } from './actions.js';
import { actionConnection, hasResponseAction, type ActionDef } from './definition.js';
import { RunExecution } from './engine.js';
import type { WorkflowMailer } from './mail.js';
import { WorkflowRepository, type TriggerState, type WorkflowRecord } from './repository.js';
import { CHANNELS } from '../store/notify.js';
import { RunRepository } from './runs.js';
import type { WorkflowView } from './schema.js';
import { AddressGuard } from './triggers/address-guard.js';
import { connectorTriggerFor, triggerKind } from './triggers/index.js';
import { validateJsonSchema } from './triggers/json-schema.js';
import { CallbackSigner, invokePath, requestOutputs } from './triggers/request.js';
import { TriggerScheduler } from './triggers/scheduler.js';
import { validateWorkflow, type Problem } from './validate.js';
import { runDetail, runSummary, workflowView } from './views.js';

/** A 400 that lists every problem with its JSON path, beside the usual error fields. */
export class WorkflowValidationError extends AppError {
  constructor(
    readonly problems: Problem[],
    code = 'InvalidWorkflow',
    what = 'The workflow',
  ) {
    const list = problems.slice(0, 20).map((p) => `${p.path || '(body)'}: ${p.message}`).join('; ');
    super(400, code, `${what} has ${problems.length} problem${problems.length === 1 ? '' : 's'}: ${list}${problems.length > 20 ? '; …' : ''}. Fix them and send it again.`, { field: problems[0]?.path || undefined });
  }

  override toBody(): { error: { code: string; message: string; field?: string; problems: Problem[] } } {
    const body = super.toBody();
    return { error: { ...body.error, problems: this.problems } };
  }
}

export interface WorkflowServiceDeps {
  store: Store;
  log: Logger;
  mailer: WorkflowMailer;
  /** The type of a connection, or undefined when it does not exist. */
  connectionType(name: string): Promise<string | undefined>;
  /** A connection with its secrets, which connector triggers poll through. */
  resolveConnection(name: string): Promise<StoredConnection>;
  leaseMs?: number;
  /** How long a Request trigger's caller waits for the Response action (Logic Apps: 120 s). */
  responseTimeoutMs?: number;
  /** Link-local or metadata addresses HttpPoll may reach anyway (SMTPFLOW_HTTP_POLL_ALLOW). */
  httpPollAllow?: string[];
}

export interface InvokeResult {
  statusCode: number;
  headers: Record<string, string>;
  body: unknown;
}

/** Workflows as the API and CLI use them; also owns run execution, resumption and the trigger scheduler. */
export class WorkflowService {
  readonly repo: WorkflowRepository;
  readonly runs: RunRepository;
  readonly signer: CallbackSigner;
  private readonly scheduler: TriggerScheduler;
  private readonly owner = newId('proc');
  private readonly leaseMs: number;
  private readonly active = new Map<string, { controller: AbortController; done: Promise<void> }>();
  private readonly responders = new Map<string, (response: HttpResponse | undefined) => void>();
  private timers: NodeJS.Timeout[] = [];
  private readonly releasing = new Set<Promise<void>>();
  private stopping = false;
  /** Whether this process executes runs and fires triggers (false: API only, workers do it). */
  private executes = true;
  /** Ends remote waits for a Response when the process stops. */
  private halt = new AbortController();
  private unlisten?: Promise<() => void>;
  private sweeping?: Promise<void>;
  private sweepAgain = false;

  constructor(private readonly deps: WorkflowServiceDeps) {
    this.repo = new WorkflowRepository(deps.store);
    this.runs = new RunRepository(deps.store);
    this.signer = new CallbackSigner(deps.store);
    this.leaseMs = deps.leaseMs ?? 30_000;
    this.scheduler = new TriggerScheduler({ db: this.repo.db, runs: this.runs, log: deps.log, owner: this.owner, leaseMs: this.leaseMs, started: (id) => this.execute(id), dialect: deps.store.dialect, resolveConnection: deps.resolveConnection, guard: new AddressGuard(deps.httpPollAllow) });
  }

  /** With `worker` false (an API-only process), runs are left to worker processes and triggers are not fired here. */
  start(options: { worker?: boolean } = {}): void {
    this.stopping = false;
    this.halt = new AbortController();
    this.executes = options.worker ?? true;
    if (!this.executes) return;
    this.unlisten = this.deps.store.notifications.on(CHANNELS.runs, () => void this.sweep());
    this.scheduler.start();
    const sweep = setInterval(() => void this.sweep(), 1000);
    const heartbeat = setInterval(() => void this.runs.renew([...this.active.keys()], this.owner, this.leaseMs).catch(() => undefined), Math.max(1000, this.leaseMs / 3));
    this.timers = [sweep, heartbeat];
    for (const t of this.timers) t.unref();
    void this.sweep();
  }

  /** Stops firing triggers, interrupts running runs (they resume on the next start) and releases them. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.halt.abort();
    (await this.unlisten)?.();
    for (const t of this.timers) clearInterval(t);
    await this.scheduler.stop();
    const ids = [...this.active.keys()];
    for (const { controller } of this.active.values()) controller.abort(new Error('smtpflow is stopping'));
    await Promise.allSettled([...this.active.values()].map((a) => a.done));
    await this.runs.release(ids, this.owner).catch(() => undefined);
    await Promise.allSettled([...this.releasing]);
  }

  // ---- definitions ----

  async save(body: unknown, mode: 'create' | 'upsert', nameFromPath?: string): Promise<{ view: WorkflowView; created: boolean }> {
    const { problems, workflow } = await validateWorkflow(body, { connectionType: this.deps.connectionType, resolveConnection: this.deps.resolveConnection }, nameFromPath);
    if (problems.length > 0) throw new WorkflowValidationError(problems);
    const { record, created } = await this.repo.save(workflow, mode);
    return { view: workflowView(record), created };
  }

  async list(): Promise<WorkflowView[]> {
    return (await this.repo.list()).map(workflowView);
  }

  async view(name: string): Promise<WorkflowView> {
    return workflowView(await this.repo.require(name));
  }

  async setState(name: string, state: 'Enabled' | 'Disabled'): Promise<WorkflowView> {
    return workflowView(await this.repo.setState(name, state));
  }

  async remove(name: string): Promise<void> {
    for (const [id, a] of this.active) if ((await this.runs.get(id))?.workflow === name) a.controller.abort(new Error('workflow deleted'));
    const removed = await this.repo.remove(name, (db) => this.runs.deleteForWorkflow(name, db));
    this.releaseTriggers(removed.workflow, removed.triggers);
  }

  /**
   * Gives back what the deleted workflow's connector triggers held at their sources (an insert
   * trigger on a watched table), after the answer: a source that is away must not hold up the
   * deletion. A failure is logged with what to run by hand.
   */
  private releaseTriggers(workflow: WorkflowRecord, states: Map<string, TriggerState>): void {
    for (const [trigger, def] of Object.entries(workflow.definition.triggers ?? {})) {
      const connector = connectorTriggerFor(def);
      const state = states.get(trigger);
      if (!connector?.release || !state) continue;
      const where = { workflow: workflow.name, trigger };
      const release = (async () => {
        const ref = actionConnection(def as ActionDef, workflow.parameters);
        if (!ref.name) return;
        const connection = await this.deps.resolveConnection(ref.name);
        const done = await connector.release!(def, { connection, parameters: workflow.parameters, state });
        if (done) this.deps.log.info(where, `deleted workflow's trigger released at its source: ${done}`);
      })().catch((err: unknown) => this.deps.log.warn({ ...where, reason: err instanceof Error ? err.message : String(err) }, "could not release what the deleted workflow's trigger held at its source"));
      this.releasing.add(release);
      void release.finally(() => this.releasing.delete(release));
    }
  }

  // ---- Request triggers ----

  async callbackUrl(name: string, trigger: string, baseUrl: string): Promise<{ value: string; method: 'POST' }> {
    const workflow = await this.repo.require(name);
    this.requestTrigger(workflow, trigger);
    const sig = await this.signer.sign(name, trigger);
    return { value: `${baseUrl.replace(/\/+$/, '')}${invokePath(name, trigger)}?sig=${sig}`, method: 'POST' };
  }

  async rotateCallbackKey(): Promise<void> {
    await this.signer.rotate();
  }

  /** Fires a Request trigger; the answer is the Response action's, else 202 with the run id. */
  async invoke(name: string, trigger: string, sig: unknown, request: { headers: Record<string, unknown>; body: unknown; query: Record<string, unknown> }): Promise<InvokeResult> {
    // The signature is checked before anything else is revealed, not even whether the workflow exists.
    if (!(await this.signer.verify(name, trigger, sig))) {
      throw new AppError(401, 'InvalidSignature', 'The callback URL signature (sig) is missing or wrong, or the key was rotated; get the current URL from GET /api/v1/workflows/{name}/triggers/{trigger}/callback-url.');
    }
    const workflow = await this.repo.require(name);
    const def = this.requestTrigger(workflow, trigger);
    if (workflow.state !== 'Enabled') throw new AppError(409, 'WorkflowDisabled', `Workflow '${name}' is disabled; enable it with POST /api/v1/workflows/${name}/enable.`);
    const schema = def.inputs?.schema;
    if (schema && Object.keys(schema).length > 0) {
      const problems = validateJsonSchema(schema, request.body ?? null, 'body');
      if (problems.length > 0) throw new WorkflowValidationError(problems, 'InvalidTriggerBody', 'The request body does not match the trigger schema and');
    }
    const runId = await this.runs.create({
      workflow: name,
      trigger,
      definition: workflow.definition,
      parameters: workflow.parameters,
      triggerOutputs: requestOutputs(request.headers, request.body, request.query),
      owner: this.executes ? this.owner : null,
      leaseMs: this.leaseMs,
    });
    const accepted = (): InvokeResult => ({
      statusCode: 202,
      headers: { 'x-ms-workflow-run-id': runId, location: `/api/v1/workflows/${encodeURIComponent(name)}/runs/${runId}` },
      body: { runId, workflow: name, status: 'Running' },
    });
    if (!hasResponseAction(workflow.definition)) {
      void this.dispatch(runId);
      return accepted();
    }
    const timeoutMs = this.deps.responseTimeoutMs ?? 120_000;
    let response: HttpResponse | undefined | 'timeout';
    if (this.executes) {
      response = await new Promise<HttpResponse | undefined | 'timeout'>((resolve) => {
        const timer = setTimeout(() => resolve('timeout'), timeoutMs);
        this.responders.set(runId, (r) => {
          clearTimeout(timer);
          resolve(r);
        });
        this.execute(runId);
      });
    } else {
      // API only: a worker runs it; its Response comes back through the database.
      await this.dispatch(runId);
      response = (await this.runs.awaitResponse(runId, timeoutMs, this.halt.signal)) as HttpResponse | undefined | 'timeout';
    }
    this.responders.delete(runId);
    if (response === 'timeout') {
      throw new AppError(504, 'ResponseTimeout', `Run ${runId} did not reach its Response action in time; it goes on running (see GET /api/v1/workflows/${name}/runs/${runId}).`);
    }
    if (!response) {
      if (this.stopping) return accepted();
      const run = await this.runs.get(runId);
      throw new AppError(502, 'NoResponse', `Run ${runId} ended (${run?.status ?? 'unknown'}) without running its Response action; see GET /api/v1/workflows/${name}/runs/${runId}.`);
    }
    return { statusCode: response.statusCode, headers: { ...response.headers, 'x-ms-workflow-run-id': runId }, body: response.body };
  }

  private requestTrigger(workflow: WorkflowRecord, trigger: string): NonNullable<WorkflowRecord['definition']['triggers']>[string] {
    const def = workflow.definition.triggers?.[trigger];
    if (!def) throw notFound('trigger', trigger, `Workflow '${workflow.name}' has the triggers: ${Object.keys(workflow.definition.triggers ?? {}).join(', ') || 'none'}.`);
    if (triggerKind(def) !== 'Request') throw new AppError(400, 'NotARequestTrigger', `Trigger '${trigger}' is a ${def.type} trigger; only Request triggers have a callback URL.`);
    return def;
  }

  // ---- runs ----

  async listRuns(name: string, options: { limit?: number; before?: string; status?: string }): Promise<{ runs: Array<Record<string, unknown>> }> {
    await this.repo.require(name);
    const rows = await this.runs.list(name, { limit: options.limit ?? 50, before: options.before, status: options.status });
    return { runs: rows.map(runSummary) };
  }

  async getRun(name: string, id: string): Promise<Record<string, unknown>> {
    const run = await this.runs.get(id);
    if (!run || run.workflow !== name) throw notFound('run', id, `List the runs of '${name}' with GET /api/v1/workflows/${name}/runs.`);
    return runDetail(run, await this.runs.actions(id));
  }

  /** Runs the current definition again with the trigger outputs of an earlier run. */
  async resubmit(name: string, id: string): Promise<{ runId: string; workflow: string; status: string; resubmittedFrom: string }> {
    const workflow = await this.repo.require(name);
    const run = await this.runs.get(id);
    if (!run || run.workflow !== name) throw notFound('run', id, `List the runs of '${name}' with GET /api/v1/workflows/${name}/runs.`);
    if (!workflow.definition.triggers?.[run.trigger]) throw new AppError(409, 'TriggerRemoved', `The workflow no longer has the trigger '${run.trigger}' that started run ${id}.`);
    const runId = await this.runs.create({
      workflow: name,
      trigger: run.trigger,
      definition: workflow.definition,
      parameters: workflow.parameters,
      triggerOutputs: JSON.parse(run.trigger_outputs),
      resubmittedFrom: id,
      owner: this.executes ? this.owner : null,
      leaseMs: this.leaseMs,
    });
    void this.dispatch(runId);
    return { runId, workflow: name, status: 'Running', resubmittedFrom: id };
  }

  /** Resolves once the run has ended (tests and the CLI use it). */
  async waitForRun(id: string, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const run = await this.runs.get(id);
      if (run && run.status !== 'Running') return run.status;
      if (Date.now() > deadline) throw new Error(`run ${id} still running after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  // ---- execution ----

  /** A new run: executed here, or, in an API-only process, announced to the workers (who claim it). */
  private async dispatch(runId: string): Promise<void> {
    if (this.executes) return this.execute(runId);
    await this.runs.announce(runId).catch((err: unknown) => this.deps.log.warn({ err, run: runId }, 'could not wake the workers; one claims the run at its next sweep'));
  }

  private execute(runId: string): void {
    if (this.active.has(runId) || this.stopping) {
      if (this.stopping) this.settle(runId);
      return;
    }
    const controller = new AbortController();
    const done = (async () => {
      const run = await this.runs.get(runId);
      if (!run || run.status !== 'Running') return;
      const execution = new RunExecution(run, { runs: this.runs, mailer: this.deps.mailer, log: this.deps.log, owner: this.owner, onResponse: (id, r) => this.settle(id, r) }, controller.signal);
      const status = await execution.execute();
      this.deps.log.info({ run: runId, workflow: run.workflow, status }, 'workflow run ended');
    })()
      .catch((err: unknown) => {
        if (!controller.signal.aborted) this.deps.log.error({ err, run: runId }, 'workflow run interrupted by an error; it resumes when its lease runs out');
      })
      .finally(() => {
        this.active.delete(runId);
        this.settle(runId);
      });
    this.active.set(runId, { controller, done });
  }

  private settle(runId: string, response?: HttpResponse): void {
    const responder = this.responders.get(runId);
    if (!responder) return;
    this.responders.delete(runId);
    responder(response);
  }

  /**
   * Takes the runs no live process holds — interrupted ones, and new ones an API-only process
   * left to the workers — so that they finish. Woken by NOTIFY, and every second in any case.
   */
  private sweep(): Promise<void> {
    if (this.sweeping) {
      this.sweepAgain = true;
      return this.sweeping;
    }
    this.sweeping = (async () => {
      do {
        this.sweepAgain = false;
        if (this.stopping) return;
        try {
          const claimed = await this.runs.claimOrphans(this.owner, this.leaseMs, 20);
          for (const id of claimed) {
            this.deps.log.info({ run: id }, 'taking over a workflow run (interrupted, or started by an API-only process)');
            this.execute(id);
          }
          if (claimed.length === 20) this.sweepAgain = true;
        } catch (err) {
          this.deps.log.warn({ err }, 'looking for workflow runs to take over failed');
        }
      } while (this.sweepAgain);
    })().finally(() => (this.sweeping = undefined));
    return this.sweeping;
  }
}
