import type { Kysely } from 'kysely';
import type { Store } from '../store/db.js';
import type { Database } from '../store/schema.js';

/** Row types of the tables of migration 003 (kept here, in the workflows room that owns them). */
export interface WorkflowsTable {
  name: string;
  /** JSON of the Logic Apps `definition`. */
  definition: string;
  /** JSON of the resource's `parameters` (with `$connections`). */
  parameters: string;
  state: 'Enabled' | 'Disabled';
  version: number;
  created_at: number;
  updated_at: number;
}

export interface WorkflowTriggersTable {
  workflow: string;
  trigger: string;
  type: string;
  /** Hash of the trigger's definition: a changed trigger starts over (schedule, seen items). */
  config_hash: string;
  /** When a polling or recurring trigger fires next; null when it never fires by itself (Request, disabled). */
  next_due_at: number | null;
  /** JSON of what the trigger remembers (anchor time, watermark, whether it has polled once). */
  state: string;
  updated_at: number;
}

export interface WorkflowTriggerSeenTable {
  workflow: string;
  trigger: string;
  item_id: string;
  seen_at: number;
}

export type RunStatus = 'Running' | 'Succeeded' | 'Failed' | 'Cancelled';
export type ActionStatus = 'Running' | 'Succeeded' | 'Failed' | 'Skipped' | 'TimedOut';

export interface WorkflowRunsTable {
  id: string;
  workflow: string;
  trigger: string;
  status: RunStatus;
  definition: string;
  parameters: string;
  trigger_outputs: string;
  response: string | null;
  error: string | null;
  resubmitted_from: string | null;
  lease_owner: string | null;
  lease_until: number;
  created_at: number;
  ended_at: number | null;
}

export interface WorkflowRunActionsTable {
  run_id: string;
  name: string;
  repetition: string;
  type: string;
  status: ActionStatus;
  inputs: string | null;
  outputs: string | null;
  body: string | null;
  error: string | null;
  tracking: string | null;
  attempts: number;
  started_at: number;
  ended_at: number | null;
}

export interface WorkflowDatabase extends Database {
  workflows: WorkflowsTable;
  workflow_triggers: WorkflowTriggersTable;
  workflow_trigger_seen: WorkflowTriggerSeenTable;
  workflow_runs: WorkflowRunsTable;
  workflow_run_actions: WorkflowRunActionsTable;
}

/** The store's Kysely seen with this room's tables (the shared Database type lists only the core ones). */
export const wfdb = (store: Store): Kysely<WorkflowDatabase> => store.db as unknown as Kysely<WorkflowDatabase>;

export const parseJson = <T = unknown>(text: string | null | undefined): T | undefined => (text == null ? undefined : (JSON.parse(text) as T));
