import { isObject, type TriggerDef } from '../definition.js';
import type { ConnectorTrigger } from './connector.js';
import { recurrenceProblems } from './recurrence.js';
import { salesforceTrigger } from './salesforce.js';
import { sqlNewItemsTrigger } from './sql-new-items.js';

export type TriggerKind = 'Request' | 'Recurrence' | 'HttpPoll' | 'ApiConnection';
const KINDS: Record<string, TriggerKind> = { request: 'Request', recurrence: 'Recurrence', httppoll: 'HttpPoll', apiconnection: 'ApiConnection' };

/** Connector triggers (Logic Apps' ApiConnection form), each recognised by its operation path. */
export const CONNECTOR_TRIGGERS: ConnectorTrigger[] = [sqlNewItemsTrigger, salesforceTrigger];

/** The connector trigger an ApiConnection trigger calls, by its `inputs.path`. */
export function connectorTriggerFor(trigger: TriggerDef): ConnectorTrigger | undefined {
  const path = trigger?.inputs?.path;
  return typeof path === 'string' ? CONNECTOR_TRIGGERS.find((c) => c.matches(path)) : undefined;
}

export function triggerKind(trigger: TriggerDef): TriggerKind | undefined {
  const kind = typeof trigger?.type === 'string' ? KINDS[trigger.type.toLowerCase()] : undefined;
  return kind === 'ApiConnection' && !connectorTriggerFor(trigger) ? undefined : kind;
}

/** Triggers that fire by themselves at their `recurrence`, which the scheduler polls. */
export const isScheduled = (kind: TriggerKind | undefined): boolean => kind === 'Recurrence' || kind === 'HttpPoll' || kind === 'ApiConnection';

/** Problems of one trigger, with the field (relative to the trigger) they concern. */
export function triggerProblems(trigger: TriggerDef): Array<{ field: string; message: string }> {
  const out: Array<{ field: string; message: string }> = [];
  const kind = triggerKind(trigger);
  if (!kind) {
    if (String(trigger.type).toLowerCase() === 'apiconnection') {
      out.push({ field: 'inputs.path', message: `'${trigger.inputs?.path}' is not a connector trigger smtpflow runs; it runs Salesforce "/datasets/default/tables/{object}/onnewitems" (and onupdateditems) and SQL "/v2/datasets/{server},{database}/tables/{table}/onnewitems"` });
    } else out.push({ field: 'type', message: `'${trigger.type}' is not a known trigger type; use Request, Recurrence, HttpPoll or ApiConnection (a connector trigger)` });
    return out;
  }
  const inputs = trigger.inputs;
  if (kind === 'Request') {
    if (trigger.kind !== undefined && !['http', 'button'].includes(String(trigger.kind).toLowerCase())) out.push({ field: 'kind', message: 'must be "Http"' });
    if (inputs !== undefined && !isObject(inputs)) out.push({ field: 'inputs', message: 'must be an object { schema?, method? }' });
    if (isObject(inputs) && inputs.schema !== undefined && !isObject(inputs.schema)) out.push({ field: 'inputs.schema', message: 'must be a JSON Schema object' });
    if (isObject(inputs) && inputs.method !== undefined && String(inputs.method).toUpperCase() !== 'POST') out.push({ field: 'inputs.method', message: 'must be "POST": the callback URL is invoked with POST' });
  }
  if (kind === 'Recurrence' || kind === 'HttpPoll' || kind === 'ApiConnection') {
    if (trigger.recurrence === undefined) out.push({ field: 'recurrence', message: 'is required: { "frequency": "Minute", "interval": 1 }' });
    else for (const [field, message] of recurrenceProblems(trigger.recurrence)) out.push({ field: field ? `recurrence.${field}` : 'recurrence', message });
  }
  if (kind === 'ApiConnection') out.push(...connectorTriggerFor(trigger)!.problems(trigger));
  if (kind === 'HttpPoll') {
    if (!isObject(inputs)) {
      out.push({ field: 'inputs', message: 'must be { uri, method?, headers?, itemsPath?, idField | watermarkField, fireOnExisting? }' });
      return out;
    }
    if (typeof inputs.uri !== 'string' || !/^https?:\/\//i.test(inputs.uri)) out.push({ field: 'inputs.uri', message: 'must be an http:// or https:// URL' });
    if (inputs.method !== undefined && !['GET', 'POST'].includes(String(inputs.method).toUpperCase())) out.push({ field: 'inputs.method', message: 'must be GET or POST' });
    if (inputs.headers !== undefined && !(isObject(inputs.headers) && Object.values(inputs.headers).every((v) => typeof v === 'string'))) out.push({ field: 'inputs.headers', message: 'must be an object of header names and string values' });
    if (inputs.itemsPath !== undefined && typeof inputs.itemsPath !== 'string') out.push({ field: 'inputs.itemsPath', message: 'must be a dotted path to the array of items in the response, e.g. "data.items"' });
    const hasId = typeof inputs.idField === 'string' && inputs.idField !== '';
    const hasMark = typeof inputs.watermarkField === 'string' && inputs.watermarkField !== '';
    if (hasId === hasMark) out.push({ field: 'inputs', message: 'needs exactly one of idField (remember item ids) or watermarkField (remember the highest value seen)' });
    if (inputs.fireOnExisting !== undefined && typeof inputs.fireOnExisting !== 'boolean') out.push({ field: 'inputs.fireOnExisting', message: 'must be true or false' });
    for (const key of Object.keys(inputs)) {
      if (!['uri', 'method', 'headers', 'body', 'itemsPath', 'idField', 'watermarkField', 'fireOnExisting', 'retryPolicy'].includes(key)) out.push({ field: `inputs.${key}`, message: 'is not an input of an HttpPoll trigger' });
    }
  }
  return out;
}
