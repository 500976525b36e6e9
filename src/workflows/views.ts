import { allActions, isObject, type ActionDef, type WorkflowDefinition } from './definition.js';
import type { WorkflowRecord } from './repository.js';
import type { WorkflowView } from './schema.js';
import type { ActionRecord, RunError } from './runs.js';
import { parseJson, type WorkflowRunsTable } from './tables.js';

const iso = (ms: number | null | undefined): string | undefined => (ms ? new Date(ms).toISOString() : undefined);

/** Keys whose values are credentials wherever they appear in recorded inputs and outputs. */
const SECRET_KEY = /^(authorization|proxy-authorization|cookie|set-cookie|password|pass|secret|client_?secret|api[-_]?key|x-api-key|access_?token|refresh_?token|token|private_?key|sig)$/i;

export function redact(value: unknown, depth = 0): unknown {
  if (depth > 64) return '[truncated]';
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (!isObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) && v !== null && v !== undefined && v !== '' ? '[redacted]' : redact(v, depth + 1);
  return out;
}

export function workflowView(w: WorkflowRecord): WorkflowView {
  return {
    name: w.name,
    definition: w.definition,
    parameters: w.parameters,
    state: w.state,
    version: w.version,
    createdAt: new Date(w.createdAt).toISOString(),
    updatedAt: new Date(w.updatedAt).toISOString(),
  };
}

export function runSummary(run: WorkflowRunsTable): Record<string, unknown> {
  const error = parseJson<RunError>(run.error);
  return {
    id: run.id,
    workflow: run.workflow,
    trigger: { name: run.trigger },
    status: run.status,
    startTime: iso(run.created_at),
    endTime: iso(run.ended_at),
    ...(error ? { error } : {}),
    ...(run.resubmitted_from ? { resubmittedFrom: run.resubmitted_from } : {}),
  };
}

function actionView(r: ActionRecord, def: ActionDef | undefined): Record<string, unknown> {
  // Logic Apps' "secure inputs/outputs" setting hides them from the run history.
  const secure = new Set((def?.runtimeConfiguration?.secureData?.properties ?? []).map((p) => String(p).toLowerCase()));
  return {
    type: r.type,
    status: r.status,
    attempts: r.attempts,
    startTime: iso(r.startedAt),
    endTime: iso(r.endedAt),
    ...(r.inputs !== undefined ? { inputs: secure.has('inputs') ? '[secured]' : redact(r.inputs) } : {}),
    ...(r.outputs !== undefined ? { outputs: secure.has('outputs') ? '[secured]' : redact(r.outputs) } : {}),
    ...(r.error ? { error: r.error } : {}),
  };
}

const rank: Record<string, number> = { Failed: 4, TimedOut: 3, Running: 2, Succeeded: 1, Skipped: 0 };

/**
 * The whole run: trigger outputs and every action by name. An action inside a Foreach has one
 * result per iteration: it appears once with the worst status of its iterations, and each
 * iteration under `repetitions` with its index.
 */
export function runDetail(run: WorkflowRunsTable, records: ActionRecord[]): Record<string, unknown> {
  const definition = JSON.parse(run.definition) as WorkflowDefinition;
  const defs = new Map<string, ActionDef>();
  for (const { name, action } of allActions(definition.actions ?? {}, 'definition.actions')) defs.set(name, action);
  const actions: Record<string, any> = {};
  for (const r of records) {
    const view = actionView(r, defs.get(r.name));
    if (r.repetition === '') {
      actions[r.name] = { ...view, ...(actions[r.name]?.repetitions ? { repetitions: actions[r.name].repetitions } : {}) };
      continue;
    }
    const entry = (actions[r.name] ??= { type: r.type, status: r.status, attempts: 0, repetitions: [] });
    entry.repetitions ??= [];
    entry.repetitions.push({ index: r.repetition.split('.').map(Number), ...view });
    entry.attempts += r.attempts;
    if ((rank[r.status] ?? 0) > (rank[entry.status] ?? 0)) entry.status = r.status;
  }
  for (const entry of Object.values(actions)) entry.repetitions?.sort((a: { index: number[] }, b: { index: number[] }) => compareIndex(a.index, b.index));
  const response = parseJson(run.response);
  return {
    ...runSummary(run),
    trigger: { name: run.trigger, type: definition.triggers?.[run.trigger]?.type, outputs: redact(parseJson(run.trigger_outputs)) },
    actions,
    ...(response !== undefined ? { response: redact(response) } : {}),
  };
}

function compareIndex(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) if ((a[i] ?? -1) !== (b[i] ?? -1)) return (a[i] ?? -1) - (b[i] ?? -1);
  return 0;
}
