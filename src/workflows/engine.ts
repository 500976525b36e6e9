/**
 * The workflow engine, hand-written: no maintained library runs Logic Apps workflow definitions
 * (the runtime is Microsoft's closed service), and the pieces that matter here — runAfter
 * graphs, repetitions, durable resumption, the outbox as the SMTP action — are ours anyway.
 *
 * A run is executed scope by scope: the actions of a scope start as soon as every action they
 * run after has finished (so independent branches run concurrently), and each result is written
 * to the database before anything depends on it, so that a run interrupted by a restart resumes
 * from its last finished action.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { evaluateValue, type EvaluationContext } from '../expressions/index.js';
import type { Logger } from '../log.js';
import { ActionFailure, evaluateInputs, runLeaf, type HttpResponse } from './actions.js';
import { actionKind, isObject, parseDuration, type ActionDef, type WorkflowDefinition, type WorkflowParameters } from './definition.js';
import type { WorkflowMailer } from './mail.js';
import { retryPlan } from './retry.js';
import type { ActionRecord, RunError, RunRepository } from './runs.js';
import { parseJson, type ActionStatus, type RunStatus, type WorkflowRunsTable } from './tables.js';

export interface EngineDeps {
  runs: RunRepository;
  mailer: WorkflowMailer;
  log: Logger;
  owner: string;
  /** A Response action ran: the Request trigger's caller may be answered. */
  onResponse(runId: string, response: HttpResponse): void;
}

interface Scope {
  /** Iteration indexes of the enclosing Foreach loops. */
  repetition: number[];
  loops: Array<{ name: string; item: unknown }>;
}

const FINISHED: ReadonlySet<ActionStatus> = new Set(['Succeeded', 'Failed', 'Skipped', 'TimedOut']);
const FOREACH_DEFAULT_CONCURRENCY = 20;
const keyOf = (name: string, repetition: string): string => `${name}\u0000${repetition}`;

export class RunExecution {
  private readonly results = new Map<string, ActionRecord>();
  private readonly definition: WorkflowDefinition;
  private readonly parameters: WorkflowParameters;
  private readonly triggerOutputs: any;

  constructor(
    private readonly run: WorkflowRunsTable,
    private readonly deps: EngineDeps,
    private readonly signal: AbortSignal,
  ) {
    this.definition = JSON.parse(run.definition) as WorkflowDefinition;
    this.parameters = JSON.parse(run.parameters) as WorkflowParameters;
    this.triggerOutputs = parseJson(run.trigger_outputs) ?? {};
  }

  /** Runs (or resumes) to the end; throws only when interrupted (abort) or when the database fails. */
  async execute(): Promise<RunStatus> {
    for (const record of await this.deps.runs.actions(this.run.id)) this.results.set(keyOf(record.name, record.repetition), record);
    const statuses = await this.runScope(this.definition.actions ?? {}, { repetition: [], loops: [] });
    // A failed or timed-out action fails the run even when a runAfter branch handled it: the
    // run history then shows that something went wrong (SPEC §4: "a failed send marks the run Failed").
    const failed = [...statuses.entries()].some(([, s]) => s === 'Failed' || s === 'TimedOut');
    const status: RunStatus = failed ? 'Failed' : 'Succeeded';
    await this.deps.runs.finish(this.run.id, this.deps.owner, status, failed ? this.firstError() : undefined);
    return status;
  }

  private firstError(): RunError | undefined {
    const failures = [...this.results.values()].filter((r) => (r.status === 'Failed' || r.status === 'TimedOut') && r.error);
    failures.sort((a, b) => (a.endedAt ?? 0) - (b.endedAt ?? 0));
    // The innermost failure says most (a Foreach fails because an email inside it failed).
    return failures.find((r) => r.error?.code !== 'ActionFailed')?.error ?? failures[0]?.error;
  }

  /** Starts each action once everything it runs after has finished; returns each action's status. */
  private async runScope(actions: Record<string, ActionDef>, scope: Scope): Promise<Map<string, ActionStatus>> {
    const status = new Map<string, ActionStatus>();
    const running = new Map<string, Promise<void>>();
    const names = Object.keys(actions);
    let fatal: unknown;
    while (status.size < names.length && fatal === undefined) {
      for (const name of names) {
        if (status.has(name) || running.has(name)) continue;
        const runAfter = Object.entries(actions[name].runAfter ?? {});
        if (!runAfter.every(([dep]) => status.has(dep))) continue;
        const allowed = runAfter.every(([dep, wanted]) => wanted.some((w) => w.toLowerCase() === status.get(dep)!.toLowerCase()));
        const task = (allowed ? this.runAction(name, actions[name], scope) : this.skip(name, actions[name], scope)).then(
          (s) => void status.set(name, s),
          (err: unknown) => void (fatal ??= err),
        );
        running.set(name, task.finally(() => running.delete(name)));
      }
      if (running.size === 0) break; // only a runAfter cycle gets here, and validation refuses those
      await Promise.race(running.values());
    }
    await Promise.all(running.values());
    if (fatal !== undefined) throw fatal;
    return status;
  }

  private record(name: string, scope: Scope): ActionRecord | undefined {
    return this.results.get(keyOf(name, scope.repetition.join('.')));
  }

  private async save(record: ActionRecord): Promise<void> {
    this.results.set(keyOf(record.name, record.repetition), record);
    await this.deps.runs.saveAction(this.run.id, record);
  }

  private async skip(name: string, action: ActionDef, scope: Scope): Promise<ActionStatus> {
    const done = this.record(name, scope);
    if (done && FINISHED.has(done.status)) return done.status;
    const now = Date.now();
    await this.save({ name, repetition: scope.repetition.join('.'), type: action.type, status: 'Skipped', attempts: 0, startedAt: now, endedAt: now, error: { code: 'ActionConditionFailed', message: `'${name}' did not run: the runAfter conditions were not met.` } });
    return 'Skipped';
  }

  private async runAction(name: string, action: ActionDef, scope: Scope): Promise<ActionStatus> {
    const done = this.record(name, scope);
    if (done && FINISHED.has(done.status)) return done.status;
    const kind = actionKind(action);
    switch (kind) {
      case 'If':
        return this.runIf(name, action, scope, done);
      case 'Foreach':
        return this.runForeach(name, action, scope, done);
      case 'Scope':
        return this.runContainer(name, action, scope, done, async () => this.worst(await this.runScope(action.actions ?? {}, scope)));
      default:
        return this.runLeafAction(name, action, kind ?? action.type, scope, done);
    }
  }

  private worst(statuses: Map<string, ActionStatus>): 'Succeeded' | 'Failed' {
    return [...statuses.values()].some((s) => s === 'Failed' || s === 'TimedOut') ? 'Failed' : 'Succeeded';
  }

  private async runContainer(name: string, action: ActionDef, scope: Scope, done: ActionRecord | undefined, body: (record: ActionRecord) => Promise<'Succeeded' | 'Failed'>, inputs?: () => unknown): Promise<ActionStatus> {
    let record = done;
    if (!record) {
      record = { name, repetition: scope.repetition.join('.'), type: action.type, status: 'Running', attempts: 1, startedAt: Date.now() };
      try {
        if (inputs) record.inputs = inputs();
      } catch (err) {
        return this.fail(record, toFailure(err));
      }
      await this.save(record);
    }
    let status: 'Succeeded' | 'Failed';
    try {
      status = await body(record);
    } catch (err) {
      if (err instanceof ActionFailure) return this.fail(record, err);
      throw err;
    }
    const error = status === 'Failed' ? { code: 'ActionFailed', message: `An action inside '${name}' failed.`, action: name } : undefined;
    await this.save({ ...record, status, error, endedAt: Date.now() });
    return status;
  }

  private runIf(name: string, action: ActionDef, scope: Scope, done: ActionRecord | undefined): Promise<ActionStatus> {
    return this.runContainer(
      name,
      action,
      scope,
      done,
      async (record) => {
        const result = Boolean((record.inputs as { expression: boolean }).expression);
        const taken = result ? action.actions ?? {} : action.else?.actions ?? {};
        const other = result ? action.else?.actions ?? {} : action.actions ?? {};
        for (const [skipped, def] of Object.entries(other)) if (!this.record(skipped, scope)) await this.skip(skipped, def, scope);
        record.outputs = { expression: result };
        return this.worst(await this.runScope(taken, scope));
      },
      () => ({ expression: evaluateCondition(action.expression, this.context(scope)) }),
    );
  }

  private runForeach(name: string, action: ActionDef, scope: Scope, done: ActionRecord | undefined): Promise<ActionStatus> {
    return this.runContainer(
      name,
      action,
      scope,
      done,
      async (record) => {
        const items = (record.inputs as { foreach: unknown[] }).foreach;
        const sequential = String(action.operationOptions ?? '').toLowerCase().includes('sequential');
        const limit = sequential ? 1 : action.runtimeConfiguration?.concurrency?.repetitions ?? FOREACH_DEFAULT_CONCURRENCY;
        const outcomes: Array<'Succeeded' | 'Failed'> = [];
        let next = 0;
        const worker = async (): Promise<void> => {
          while (next < items.length) {
            const i = next++;
            const inner: Scope = { repetition: [...scope.repetition, i], loops: [...scope.loops, { name, item: items[i] }] };
            outcomes[i] = this.worst(await this.runScope(action.actions ?? {}, inner));
          }
        };
        await Promise.all(Array.from({ length: Math.min(limit, Math.max(items.length, 1)) }, worker));
        record.outputs = { iterations: items.length };
        return outcomes.includes('Failed') ? 'Failed' : 'Succeeded';
      },
      () => {
        const items = evaluateValue(action.foreach as never, this.context(scope));
        if (!Array.isArray(items)) throw new ActionFailure('InvalidTemplate', `The foreach of '${name}' must evaluate to an array, not ${items === null ? 'null' : typeof items}.`);
        return { foreach: items };
      },
    );
  }

  private async runLeafAction(name: string, action: ActionDef, kind: string, scope: Scope, done: ActionRecord | undefined): Promise<ActionStatus> {
    let record: ActionRecord = done ?? { name, repetition: scope.repetition.join('.'), type: action.type, status: 'Running', attempts: 0, startedAt: Date.now() };
    if (!done) {
      try {
        record.inputs = evaluateInputs(kind, action, this.parameters, this.context(scope));
      } catch (err) {
        return this.fail(record, toFailure(err));
      }
      await this.save(record);
    }
    const plan = retryPlan(action.retryPolicy ?? action.inputs?.retryPolicy);
    const timeout = parseDuration(action.limit?.timeout);
    for (;;) {
      // A resumed action whose attempt was under way continues that attempt (it may have enqueued a message).
      const resuming = done !== undefined && record.attempts > 0 && record === done;
      const attempt = resuming ? record.attempts : record.attempts + 1;
      if (!resuming) {
        record = { ...record, attempts: attempt, tracking: undefined };
        await this.save(record);
      }
      done = undefined;
      try {
        const result = await this.withTimeout(timeout, (signal) =>
          runLeaf(kind, record.inputs, {
            runId: this.run.id,
            key: `${name}@${record.repetition}`,
            attempt,
            signal,
            parameters: this.parameters,
            mailer: this.deps.mailer,
            tracking: record.tracking,
            saveTracking: async (tracking) => {
              record = { ...record, tracking };
              await this.save(record);
            },
            respond: async (response) => {
              await this.deps.runs.setResponse(this.run.id, response);
              this.deps.onResponse(this.run.id, response);
            },
          }),
        );
        await this.save({ ...record, status: 'Succeeded', outputs: result.outputs, body: result.body, error: undefined, endedAt: Date.now() });
        return 'Succeeded';
      } catch (err) {
        if (this.signal.aborted) throw err;
        const failure = toFailure(err);
        if (!failure.retryable || attempt > plan.count) return this.fail(record, failure);
        this.deps.log.info({ run: this.run.id, action: name, attempt, code: failure.code }, 'workflow action failed; retrying under its retry policy');
        await sleep(plan.delay(attempt), undefined, { signal: this.signal });
      }
    }
  }

  /** Races the action against its `limit.timeout`; the action's own work is told to stop. */
  private async withTimeout<T>(timeoutMs: number | undefined, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (timeoutMs === undefined) return work(this.signal);
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(this.signal.reason);
    this.signal.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => controller.abort(new ActionFailure('ActionTimedOut', `The action did not finish within its limit of ${timeoutMs / 1000} s.`, false, undefined, 'TimedOut')), timeoutMs);
    try {
      return await work(controller.signal);
    } catch (err) {
      if (!this.signal.aborted && controller.signal.reason instanceof ActionFailure) throw controller.signal.reason;
      throw err;
    } finally {
      clearTimeout(timer);
      this.signal.removeEventListener('abort', onAbort);
    }
  }

  private async fail(record: ActionRecord, failure: ActionFailure): Promise<ActionStatus> {
    await this.save({ ...record, status: failure.status, error: failure.toError(record.name), endedAt: Date.now() });
    return failure.status;
  }

  /** What expressions see; inside a loop, `body('X')` is X of the same iteration when X is in the loop too. */
  private context(scope: Scope): EvaluationContext {
    const lookup = (name: string): ActionRecord | undefined => {
      for (let i = scope.repetition.length; i >= 0; i--) {
        const found = this.results.get(keyOf(name, scope.repetition.slice(0, i).join('.')));
        if (found) return found;
      }
      return undefined;
    };
    const loops = scope.loops;
    return {
      triggerBody: () => this.triggerOutputs?.body,
      triggerOutputs: () => this.triggerOutputs,
      actionOutputs: (name: string) => {
        const r = lookup(name);
        return r ? { body: r.body, outputs: r.outputs, status: r.status, inputs: r.inputs } : undefined;
      },
      item: () => {
        if (loops.length === 0) throw new Error('item() is only available inside a Foreach loop');
        return loops[loops.length - 1].item;
      },
      items: (loop: string) => {
        const found = [...loops].reverse().find((l) => l.name === loop);
        if (!found) throw new Error(`items('${loop}') names no enclosing Foreach loop`);
        return found.item;
      },
      parameters: (name: string) => this.parameter(name),
      variables: (name: string) => {
        throw new Error(`there is no variable '${name}' (this smtpflow has no InitializeVariable action)`);
      },
      workflow: () => ({ id: this.run.workflow, name: this.run.workflow, run: { id: this.run.id, name: this.run.id }, trigger: { name: this.run.trigger } }),
    };
  }

  private parameter(name: string): unknown {
    if (name === '$connections') return this.parameters.$connections?.value ?? {};
    const given = this.parameters[name];
    if (isObject(given) && 'value' in given) return given.value;
    return this.definition.parameters?.[name]?.defaultValue;
  }
}

/** A condition is an expression string or the designer's object form `{ "and": [ { "equals": [a, b] } ] }`. */
export function evaluateCondition(condition: unknown, ctx: EvaluationContext): boolean {
  if (!isObject(condition)) return truthy(evaluateValue(condition as never, ctx));
  const entries = Object.entries(condition);
  if (entries.length !== 1) throw new ActionFailure('InvalidTemplate', 'A condition object must have exactly one operator, such as "and", "or" or "equals".');
  const [op, args] = entries[0];
  const list = Array.isArray(args) ? args : [args];
  const value = (v: unknown): unknown => evaluateValue(v as never, ctx);
  switch (op.toLowerCase()) {
    case 'and':
      return list.every((c) => evaluateCondition(c, ctx));
    case 'or':
      return list.some((c) => evaluateCondition(c, ctx));
    case 'not':
      return !evaluateCondition(list[0], ctx);
    case 'equals':
      return looseEquals(value(list[0]), value(list[1]));
    case 'greater':
      return compare(value(list[0]), value(list[1])) > 0;
    case 'greaterorequals':
      return compare(value(list[0]), value(list[1])) >= 0;
    case 'less':
      return compare(value(list[0]), value(list[1])) < 0;
    case 'lessorequals':
      return compare(value(list[0]), value(list[1])) <= 0;
    case 'contains': {
      const [hay, needle] = [value(list[0]), value(list[1])];
      if (typeof hay === 'string') return hay.includes(String(needle));
      if (Array.isArray(hay)) return hay.some((x) => looseEquals(x, needle));
      if (isObject(hay)) return String(needle) in hay;
      return false;
    }
    case 'startswith':
      return String(value(list[0]) ?? '').toLowerCase().startsWith(String(value(list[1]) ?? '').toLowerCase());
    case 'endswith':
      return String(value(list[0]) ?? '').toLowerCase().endsWith(String(value(list[1]) ?? '').toLowerCase());
    default:
      throw new ActionFailure('InvalidTemplate', `'${op}' is not a condition operator (use and, or, not, equals, greater, greaterOrEquals, less, lessOrEquals, contains, startsWith, endsWith).`);
  }
}

const truthy = (v: unknown): boolean => (typeof v === 'string' ? v.toLowerCase() === 'true' : Boolean(v));
const looseEquals = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
function compare(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b));
}

function toFailure(err: unknown): ActionFailure {
  if (err instanceof ActionFailure) return err;
  if (err instanceof Error && err.name === 'ExpressionError') return new ActionFailure('InvalidTemplate', `Unable to process template language expressions: ${err.message}`);
  if (err instanceof Error && (err as { status?: number }).status !== undefined) {
    const e = err as Error & { status: number; code?: string; smtp?: ActionFailure['smtp'] };
    return new ActionFailure(e.code ?? 'ActionFailed', e.message, e.status === 429 || e.status >= 500, e.smtp);
  }
  return new ActionFailure('ActionFailed', err instanceof Error ? err.message : String(err), true);
}
