import type { StoredConnection } from '../connections/repository.js';
import { SendEmailInput } from '../email/index.js';
import { findExpressionProblems } from '../expressions/index.js';
import {
  ACTION_STATUSES,
  actionConnection,
  actionKind,
  allActions,
  childScopes,
  isObject,
  parseDuration,
  sendEmailPath,
  seg,
  type ActionDef,
  type TriggerDef,
  type WorkflowDefinition,
  type WorkflowParameters,
} from './definition.js';
import { retryPolicyProblems } from './retry.js';
import { connectorTriggerFor, triggerProblems } from './triggers/index.js';

export interface Problem {
  path: string;
  message: string;
}

export interface WorkflowInput {
  name: string;
  definition: WorkflowDefinition;
  parameters: WorkflowParameters;
  state: 'Enabled' | 'Disabled';
}

export interface ValidationDeps {
  /** The type of the named connection ('smtp', …), or undefined when there is none. */
  connectionType(name: string): Promise<string | undefined>;
  /** A connection with its secrets, for connector triggers that check their source at save (a table's primary key). */
  resolveConnection?(name: string): Promise<StoredConnection>;
}

export const WORKFLOW_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/;

/** Send Email fields (SPEC §1, V3 and extensions): a typo in a field name is caught on save. */
const EMAIL_FIELDS = new Set(Object.keys(SendEmailInput.properties));
const COMMON_ACTION_KEYS = new Set(['type', 'kind', 'inputs', 'runAfter', 'runtimeConfiguration', 'operationOptions', 'limit', 'retryPolicy', 'description', 'metadata', 'trackedProperties']);

/**
 * Checks a workflow resource completely and reports every problem with its JSON path, so that a
 * definition pasted from Logic Apps' code view can be fixed in one round trip.
 */
export async function validateWorkflow(body: unknown, deps: ValidationDeps, nameFromPath?: string): Promise<{ problems: Problem[]; workflow: WorkflowInput }> {
  const problems: Problem[] = [];
  const add = (path: string, message: string): void => void problems.push({ path, message });
  const input: Record<string, any> = isObject(body) ? unwrapResource(body) : {};
  if (!isObject(body)) add('', 'the body must be a JSON object { name, definition, parameters?, state? }');

  for (const key of Object.keys(input)) if (!['name', 'definition', 'parameters', 'state', 'location', 'tags', 'id', 'type'].includes(key)) add(key, 'is not a property of a workflow; use name, definition, parameters and state');
  const name = input.name ?? nameFromPath;
  if (typeof name !== 'string' || !WORKFLOW_NAME.test(name)) add('name', 'must be 1–80 letters, digits, ".", "_" or "-", starting with a letter or digit');
  else if (nameFromPath !== undefined && name !== nameFromPath) add('name', `must match the name in the path ('${nameFromPath}'); a workflow cannot be renamed`);
  const state = input.state ?? 'Enabled';
  if (state !== 'Enabled' && state !== 'Disabled') add('state', 'must be "Enabled" or "Disabled"');

  const parameters: WorkflowParameters = isObject(input.parameters) ? input.parameters : {};
  if (input.parameters !== undefined && !isObject(input.parameters)) add('parameters', 'must be an object such as { "$connections": { "value": { … } } }');
  checkParameters(parameters, add);

  const definition = input.definition as WorkflowDefinition;
  if (!isObject(definition)) {
    add('definition', 'is required: the Logic Apps workflow definition { triggers, actions }');
  } else {
    if (!isObject(definition.triggers)) add('definition.triggers', 'must be an object of named triggers');
    if (!isObject(definition.actions)) add('definition.actions', 'must be an object of named actions (it may be empty)');
    if (definition.parameters !== undefined && !isObject(definition.parameters)) add('definition.parameters', 'must be an object of parameter declarations');
    const hasRequestTrigger = isObject(definition.triggers) && Object.values(definition.triggers).some((t) => isObject(t) && String(t.type).toLowerCase() === 'request');
    if (isObject(definition.triggers)) {
      const triggerNames = Object.keys(definition.triggers);
      if (triggerNames.length > 10) add('definition.triggers', 'may hold at most 10 triggers');
      for (const [triggerName, trigger] of Object.entries(definition.triggers)) {
        checkTrigger(triggerName, trigger, add);
        const connector = isObject(trigger) ? connectorTriggerFor(trigger) : undefined;
        if (!connector) continue;
        const base = `definition.triggers${seg(triggerName)}`;
        const connection = await checkConnection(trigger as ActionDef, `${base}.inputs.host.connection.name`, connector.connectionType, parameters, deps, add);
        // A connector's own check talks to its system: only for a trigger that is sound so far.
        if (connection && connector.check && deps.resolveConnection && !problems.some((p) => p.path.startsWith(`${base}.`))) {
          for (const p of await connector.check(trigger, { connection: await deps.resolveConnection(connection), parameters })) add(`${base}.${p.field}`, p.message);
        }
      }
    }
    if (isObject(definition.actions)) {
      const seen = new Map<string, string>();
      for (const { name: actionName, path } of allActions(definition.actions, 'definition.actions')) {
        const first = seen.get(actionName);
        if (first) add(path, `repeats the action name '${actionName}' (also at ${first}); names must be unique in the whole workflow`);
        else seen.set(actionName, path);
      }
      checkScope(definition.actions, 'definition.actions', add);
      for (const { name: actionName, action, path } of allActions(definition.actions, 'definition.actions')) {
        await checkAction(actionName, action, path, parameters, deps, hasRequestTrigger, add);
      }
    }
  }
  return { problems, workflow: { name, definition, parameters, state } as WorkflowInput };
}

/** An ARM export wraps the properties: `{ "properties": { "definition", … } }`. */
function unwrapResource(body: Record<string, any>): Record<string, any> {
  if (body.definition === undefined && isObject(body.properties)) {
    const { definition, parameters, state } = body.properties;
    return { name: body.name, definition, parameters, state };
  }
  return body;
}

function checkParameters(parameters: WorkflowParameters, add: (path: string, message: string) => void): void {
  const connections = parameters.$connections;
  if (connections === undefined) return;
  if (!isObject(connections) || !isObject(connections.value)) {
    add('parameters.$connections', 'must be { "value": { "<key>": { "connectionName": "<smtpflow connection>" } } }');
    return;
  }
  for (const [key, ref] of Object.entries(connections.value)) {
    const path = `parameters.$connections.value${seg(key)}`;
    if (!isObject(ref)) add(path, 'must be an object with connectionName or connectionId');
    else if (typeof ref.connectionName !== 'string' && typeof ref.connectionId !== 'string') add(path, 'needs connectionName (an smtpflow connection) or connectionId (whose last path segment names one)');
  }
}

function checkTrigger(name: string, trigger: TriggerDef, add: (path: string, message: string) => void): void {
  const path = `definition.triggers${seg(name)}`;
  if (!isObject(trigger)) return add(path, 'must be an object with a type');
  for (const p of triggerProblems(trigger)) add(p.field ? `${path}.${p.field}` : path, p.message);
  if (trigger.inputs !== undefined) for (const p of findExpressionProblems(trigger.inputs, `${path}.inputs`)) add(p.path, p.message);
}

/** runAfter must name siblings in the same scope, with known statuses, and must not form a cycle. */
function checkScope(actions: Record<string, ActionDef>, path: string, add: (path: string, message: string) => void): void {
  const names = new Set(Object.keys(actions));
  const edges = new Map<string, string[]>();
  for (const [name, action] of Object.entries(actions)) {
    if (!isObject(action)) continue;
    const here = `${path}${seg(name)}.runAfter`;
    const runAfter = action.runAfter ?? {};
    if (!isObject(runAfter)) {
      add(here, 'must be an object { "<action>": ["Succeeded", …] }');
      continue;
    }
    const deps: string[] = [];
    for (const [dep, statuses] of Object.entries(runAfter)) {
      if (!names.has(dep)) add(`${here}${seg(dep)}`, `names '${dep}', which is not an action in the same scope${names.size ? ` (there: ${[...names].join(', ')})` : ''}`);
      else if (dep === name) add(`${here}${seg(dep)}`, 'an action cannot run after itself');
      else deps.push(dep);
      if (!Array.isArray(statuses) || statuses.length === 0 || !statuses.every((s) => ACTION_STATUSES.some((k) => k.toLowerCase() === String(s).toLowerCase()))) {
        add(`${here}${seg(dep)}`, `must be a non-empty array of ${ACTION_STATUSES.join(', ')}`);
      }
    }
    edges.set(name, deps);
  }
  // Depth-first search; a back edge is a cycle, reported once with its members.
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const reported = new Set<string>();
  const visit = (node: string): void => {
    state.set(node, 'visiting');
    stack.push(node);
    for (const dep of edges.get(node) ?? []) {
      if (state.get(dep) === 'visiting') {
        const cycle = stack.slice(stack.indexOf(dep));
        const key = [...cycle].sort().join('|');
        if (!reported.has(key)) {
          reported.add(key);
          add(`${path}${seg(node)}.runAfter${seg(dep)}`, `forms a cycle: ${[...cycle, dep].join(' → ')}`);
        }
      } else if (!state.has(dep)) visit(dep);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const name of edges.keys()) if (!state.has(name)) visit(name);
}

async function checkAction(
  name: string,
  action: ActionDef,
  path: string,
  parameters: WorkflowParameters,
  deps: ValidationDeps,
  hasRequestTrigger: boolean,
  add: (path: string, message: string) => void,
): Promise<void> {
  if (!isObject(action)) return add(path, 'must be an object with a type');
  const kind = actionKind(action);
  if (!kind) {
    if (typeof action.type === 'string' && action.type.toLowerCase() === 'apiconnection') {
      return add(`${path}.inputs.path`, `'${action.inputs?.path}' is not an operation smtpflow runs; an ApiConnection action must call /SendEmail, /SendEmailV2 or /SendEmailV3`);
    }
    return add(`${path}.type`, `'${action.type}' is not a known action type; use ApiConnection (SMTP Send Email), SendEmail, Compose, If, Foreach, Response or Scope`);
  }
  const extra = kind === 'If' ? ['expression', 'actions', 'else'] : kind === 'Foreach' ? ['foreach', 'actions'] : kind === 'Scope' ? ['actions'] : [];
  for (const key of Object.keys(action)) if (!COMMON_ACTION_KEYS.has(key) && !extra.includes(key)) add(`${path}.${key}`, `is not a property of a ${kind} action`);
  if (action.inputs !== undefined) for (const p of findExpressionProblems(action.inputs, `${path}.inputs`)) add(p.path, p.message);
  const retryPolicy = action.retryPolicy ?? action.inputs?.retryPolicy;
  if (retryPolicy !== undefined) {
    const where = action.retryPolicy !== undefined ? `${path}.retryPolicy` : `${path}.inputs.retryPolicy`;
    for (const message of retryPolicyProblems(retryPolicy)) add(where, message);
  }
  if (action.limit?.timeout !== undefined && parseDuration(action.limit.timeout) === undefined) add(`${path}.limit.timeout`, 'must be an ISO 8601 duration such as "PT1H"');

  switch (kind) {
    case 'SendEmail':
      await checkSendEmail(action, path, parameters, deps, add);
      break;
    case 'If':
      if (action.expression === undefined) add(`${path}.expression`, 'is required: a boolean expression ("@equals(…)") or a condition object ({ "and": [ … ] })');
      else for (const p of findExpressionProblems(action.expression, `${path}.expression`)) add(p.path, p.message);
      if (!isObject(action.actions) && action.actions !== undefined) add(`${path}.actions`, 'must be an object of named actions');
      if (action.else !== undefined && !(isObject(action.else) && (action.else.actions === undefined || isObject(action.else.actions)))) add(`${path}.else`, 'must be { "actions": { … } }');
      break;
    case 'Foreach': {
      if (action.foreach === undefined) add(`${path}.foreach`, "is required: the array to loop over, e.g. \"@triggerBody()?['items']\"");
      else for (const p of findExpressionProblems(action.foreach, `${path}.foreach`)) add(p.path, p.message);
      if (!isObject(action.actions)) add(`${path}.actions`, 'must be an object of named actions');
      const repetitions = action.runtimeConfiguration?.concurrency?.repetitions;
      if (repetitions !== undefined && !(Number.isInteger(repetitions) && repetitions >= 1 && repetitions <= 50)) add(`${path}.runtimeConfiguration.concurrency.repetitions`, 'must be a whole number from 1 to 50');
      break;
    }
    case 'Scope':
      if (!isObject(action.actions)) add(`${path}.actions`, 'must be an object of named actions');
      break;
    case 'Response': {
      if (!hasRequestTrigger) add(path, 'a Response action needs a Request trigger to answer');
      const inputs = action.inputs;
      if (!isObject(inputs)) add(`${path}.inputs`, 'must be { statusCode, headers?, body? }');
      else {
        const code = inputs.statusCode;
        if (!(typeof code === 'string' && code.startsWith('@')) && !(Number.isInteger(Number(code)) && Number(code) >= 100 && Number(code) <= 599)) {
          add(`${path}.inputs.statusCode`, 'must be an HTTP status code from 100 to 599 (or an expression)');
        }
        if (inputs.headers !== undefined && !isObject(inputs.headers) && !(typeof inputs.headers === 'string' && inputs.headers.startsWith('@'))) add(`${path}.inputs.headers`, 'must be an object of header names and values');
      }
      break;
    }
    default:
      break;
  }
  for (const scope of childScopes(action)) checkScope(scope.actions, `${path}.${scope.key}`, add);
}

const TYPE_NAMES: Record<string, string> = { smtp: 'an SMTP', salesforce: 'a Salesforce', postgres: 'a PostgreSQL' };

/** The connection an action or connector trigger names must exist and be of the type it needs; answers its name when so. */
async function checkConnection(step: ActionDef, connectionPath: string, wanted: string, parameters: WorkflowParameters, deps: ValidationDeps, add: (path: string, message: string) => void): Promise<string | undefined> {
  const connection = actionConnection(step, parameters);
  if (connection.problem) add(connectionPath, connection.problem);
  else if (connection.name) {
    const type = await deps.connectionType(connection.name);
    const via = connection.key ? ` (from $connections entry '${connection.key}')` : '';
    if (type === undefined) add(connectionPath, `names the connection '${connection.name}'${via}, which does not exist; create it with POST /api/v1/connections or fix the name`);
    else if (type !== wanted) add(connectionPath, `names the connection '${connection.name}'${via}, which is a ${type} connection, not ${TYPE_NAMES[wanted] ?? `a ${wanted}`} one`);
    else return connection.name;
  }
  return undefined;
}

async function checkSendEmail(action: ActionDef, path: string, parameters: WorkflowParameters, deps: ValidationDeps, add: (path: string, message: string) => void): Promise<void> {
  const inputs = action.inputs;
  if (!isObject(inputs)) return add(`${path}.inputs`, 'must be an object');
  const native = action.type.toLowerCase() === 'sendemail';
  await checkConnection(action, native ? `${path}.inputs.connection` : `${path}.inputs.host.connection.name`, 'smtp', parameters, deps, add);
  if (native) {
    if (inputs.path !== undefined && !sendEmailPath(action)) add(`${path}.inputs.path`, 'must be /SendEmail, /SendEmailV2 or /SendEmailV3');
    for (const key of Object.keys(inputs)) {
      if (key !== 'connection' && key !== 'path' && key !== 'retryPolicy' && !EMAIL_FIELDS.has(key)) add(`${path}.inputs.${key}`, `is not a Send Email field (${[...EMAIL_FIELDS].join(', ')})`);
    }
    return;
  }
  if (typeof inputs.method === 'string' && inputs.method.toLowerCase() !== 'post') add(`${path}.inputs.method`, 'must be "post" for Send Email');
  if (isObject(inputs.body)) {
    for (const key of Object.keys(inputs.body)) if (!EMAIL_FIELDS.has(key)) add(`${path}.inputs.body.${key}`, `is not a Send Email field (${[...EMAIL_FIELDS].join(', ')})`);
  } else if (!(typeof inputs.body === 'string' && inputs.body.startsWith('@'))) {
    add(`${path}.inputs.body`, 'must be the Send Email fields { To, Subject, Body, … }');
  }
}
