/**
 * The Logic Apps workflow definition language, as far as smtpflow runs it: types of the JSON
 * (kept loose where Logic Apps itself is loose) and helpers shared by validation and the engine.
 */

export const ACTION_STATUSES = ['Succeeded', 'Failed', 'Skipped', 'TimedOut'] as const;

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface RetryPolicyDef {
  type?: string;
  count?: number;
  interval?: string;
  minimumInterval?: string;
  maximumInterval?: string;
}

export interface ActionDef {
  type: string;
  kind?: string;
  inputs?: any;
  runAfter?: Record<string, string[]>;
  /** If, Foreach, Scope */
  actions?: Record<string, ActionDef>;
  /** If */
  else?: { actions?: Record<string, ActionDef> };
  expression?: unknown;
  /** Foreach */
  foreach?: unknown;
  runtimeConfiguration?: {
    concurrency?: { repetitions?: number };
    secureData?: { properties?: string[] };
  };
  operationOptions?: string;
  limit?: { timeout?: string };
  retryPolicy?: RetryPolicyDef;
  description?: string;
  metadata?: unknown;
  trackedProperties?: unknown;
}

export interface RecurrenceDef {
  frequency: string;
  interval: number;
  startTime?: string;
  endTime?: string;
  timeZone?: string;
  schedule?: { hours?: number[]; minutes?: number[]; weekDays?: string[]; monthDays?: number[] };
}

export interface TriggerDef {
  type: string;
  kind?: string;
  inputs?: any;
  recurrence?: RecurrenceDef;
  splitOn?: string;
  conditions?: unknown;
  runtimeConfiguration?: ActionDef['runtimeConfiguration'];
  description?: string;
  metadata?: unknown;
}

export interface WorkflowDefinition {
  $schema?: string;
  contentVersion?: string;
  parameters?: Record<string, { type?: string; defaultValue?: unknown; metadata?: unknown }>;
  triggers: Record<string, TriggerDef>;
  actions: Record<string, ActionDef>;
  outputs?: Record<string, unknown>;
  staticResults?: unknown;
}

export interface ConnectionRef {
  connectionName?: string;
  connectionId?: string;
  id?: string;
}

/** The resource's `parameters`: `$connections` plus values of the definition's own parameters. */
export type WorkflowParameters = Record<string, { value?: unknown }> & {
  $connections?: { value?: Record<string, ConnectionRef> };
};

export type ActionKind = 'SendEmail' | 'Compose' | 'If' | 'Foreach' | 'Response' | 'Scope';

/** Logic Apps treats type names case-insensitively; `ApiConnection` with a Send Email path is our SendEmail. */
export function actionKind(action: ActionDef): ActionKind | undefined {
  const type = typeof action?.type === 'string' ? action.type.toLowerCase() : '';
  switch (type) {
    case 'sendemail':
      return 'SendEmail';
    case 'apiconnection':
      return sendEmailPath(action) ? 'SendEmail' : undefined;
    case 'compose':
      return 'Compose';
    case 'if':
      return 'If';
    case 'foreach':
      return 'Foreach';
    case 'response':
      return 'Response';
    case 'scope':
      return 'Scope';
    default:
      return undefined;
  }
}

export type SendEmailPathName = 'SendEmail' | 'SendEmailV2' | 'SendEmailV3';
const PATHS: Record<string, SendEmailPathName> = { '/sendemail': 'SendEmail', '/sendemailv2': 'SendEmailV2', '/sendemailv3': 'SendEmailV3' };

/** Which Send Email operation an action calls (the native shorthand may name one in `inputs.path`). */
export function sendEmailPath(action: ActionDef): SendEmailPathName | undefined {
  const raw = action?.inputs?.path;
  if (typeof raw !== 'string') return action?.type?.toLowerCase() === 'sendemail' ? 'SendEmailV2' : undefined;
  return PATHS[raw.toLowerCase().replace(/\/+$/, '')];
}

/** The child scopes of a container action, with the JSON path segment that leads to each. */
export function childScopes(action: ActionDef): Array<{ key: string; actions: Record<string, ActionDef> }> {
  const scopes: Array<{ key: string; actions: Record<string, ActionDef> }> = [];
  const kind = actionKind(action);
  if (kind === 'If' || kind === 'Foreach' || kind === 'Scope') {
    if (isObject(action.actions)) scopes.push({ key: 'actions', actions: action.actions });
  }
  if (kind === 'If' && isObject(action.else) && isObject(action.else.actions)) scopes.push({ key: 'else.actions', actions: action.else.actions });
  return scopes;
}

/** Every action of the definition, at any depth, with its JSON path. */
export function* allActions(actions: Record<string, ActionDef>, path: string): Generator<{ name: string; action: ActionDef; path: string }> {
  if (!isObject(actions)) return;
  for (const [name, action] of Object.entries(actions)) {
    const here = path + seg(name);
    yield { name, action, path: here };
    if (!isObject(action)) continue;
    for (const scope of childScopes(action)) yield* allActions(scope.actions, `${here}.${scope.key}`);
  }
}

/** A JSON path segment: `.name` when the name is an identifier, `['name']` otherwise. */
export const seg = (name: string): string => (/^[A-Za-z_$][\w$]*$/.test(name) ? `.${name}` : `['${name.replace(/'/g, "\\'")}']`);

export const isObject = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `@parameters('$connections')['smtp']['connectionId']` → `smtp` (the form Logic Apps' code view writes). */
export function connectionKeyOf(expression: unknown): string | undefined {
  if (typeof expression !== 'string') return undefined;
  const m = /^@\{?\s*parameters\(\s*'\$connections'\s*\)\s*(?:\?)?\[\s*'([^']+)'\s*\]/i.exec(expression.trim());
  return m?.[1];
}

const lastSegment = (id: string | undefined): string | undefined => (typeof id === 'string' && id ? id.split('/').filter(Boolean).pop() : undefined);

/** The smtpflow connection a `$connections` entry names: `connectionName`, else the last segment of `connectionId`. */
export function connectionNameOf(ref: ConnectionRef | undefined): string | undefined {
  if (!ref) return undefined;
  if (typeof ref.connectionName === 'string' && ref.connectionName) return ref.connectionName;
  return lastSegment(ref.connectionId);
}

/**
 * The connection an action sends through, found without evaluating anything: the native
 * `inputs.connection`, or the `$connections` entry that `inputs.host.connection.name` refers to.
 * `expression` is set when the connection is only known at run time.
 */
export function actionConnection(action: ActionDef, parameters: WorkflowParameters): { name?: string; key?: string; expression?: string; problem?: string } {
  const inputs = action.inputs ?? {};
  if (action.type.toLowerCase() === 'sendemail') {
    const c = inputs.connection;
    if (typeof c !== 'string' || c === '') return { problem: "names no connection: set 'inputs.connection' to the name of an smtpflow connection" };
    if (c.startsWith('@') && !c.startsWith('@@')) return { expression: c };
    return { name: c.startsWith('@@') ? c.slice(1) : c };
  }
  const ref = inputs.host?.connection?.name;
  if (typeof ref !== 'string') return { problem: "names no connection: set 'inputs.host.connection.name' to \"@parameters('$connections')['smtp']['connectionId']\"" };
  const key = connectionKeyOf(ref);
  if (!key) {
    if (ref.startsWith('@')) return { expression: ref };
    return { name: lastSegment(ref) };
  }
  const entry = parameters.$connections?.value?.[key];
  if (!entry) return { key, problem: `refers to '$connections' entry '${key}', which 'parameters.$connections.value' does not define` };
  const name = connectionNameOf(entry);
  if (!name) return { key, problem: `'$connections' entry '${key}' has neither 'connectionName' nor 'connectionId'` };
  return { key, name };
}

/** Does the definition contain a Response action (then a Request trigger's caller waits for it)? */
export function hasResponseAction(definition: WorkflowDefinition): boolean {
  for (const { action } of allActions(definition.actions, 'definition.actions')) if (actionKind(action) === 'Response') return true;
  return false;
}

/** ISO 8601 duration (`PT7.5S`, `P1DT2H`, `PT1M`) in milliseconds; undefined when not one. */
export function parseDuration(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  const m = /^P(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(text.trim());
  if (!m || text.trim().toUpperCase() === 'P' || /T$/i.test(text.trim())) return undefined;
  const [y, mo, w, d, h, mi, s] = m.slice(1).map((v) => (v ? Number(v) : 0));
  return Math.round(((((y * 365 + mo * 30 + w * 7 + d) * 24 + h) * 60 + mi) * 60 + s) * 1000);
}
