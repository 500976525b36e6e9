import { isObject, type TriggerDef } from '../definition.js';
import { recurrenceProblems } from './recurrence.js';

export type TriggerKind = 'Request' | 'Recurrence' | 'HttpPoll';
const KINDS: Record<string, TriggerKind> = { request: 'Request', recurrence: 'Recurrence', httppoll: 'HttpPoll' };

export function triggerKind(trigger: TriggerDef): TriggerKind | undefined {
  return typeof trigger?.type === 'string' ? KINDS[trigger.type.toLowerCase()] : undefined;
}

/** Problems of one trigger, with the field (relative to the trigger) they concern. */
export function triggerProblems(trigger: TriggerDef): Array<{ field: string; message: string }> {
  const out: Array<{ field: string; message: string }> = [];
  const kind = triggerKind(trigger);
  if (!kind) {
    const hint = String(trigger.type).toLowerCase() === 'apiconnection' ? ' (connector triggers other than these are not available in this smtpflow)' : '';
    out.push({ field: 'type', message: `'${trigger.type}' is not a known trigger type; use Request, Recurrence or HttpPoll${hint}` });
    return out;
  }
  const inputs = trigger.inputs;
  if (kind === 'Request') {
    if (trigger.kind !== undefined && !['http', 'button'].includes(String(trigger.kind).toLowerCase())) out.push({ field: 'kind', message: 'must be "Http"' });
    if (inputs !== undefined && !isObject(inputs)) out.push({ field: 'inputs', message: 'must be an object { schema?, method? }' });
    if (isObject(inputs) && inputs.schema !== undefined && !isObject(inputs.schema)) out.push({ field: 'inputs.schema', message: 'must be a JSON Schema object' });
    if (isObject(inputs) && inputs.method !== undefined && String(inputs.method).toUpperCase() !== 'POST') out.push({ field: 'inputs.method', message: 'must be "POST": the callback URL is invoked with POST' });
  }
  if (kind === 'Recurrence' || kind === 'HttpPoll') {
    if (trigger.recurrence === undefined) out.push({ field: 'recurrence', message: 'is required: { "frequency": "Minute", "interval": 1 }' });
    else for (const [field, message] of recurrenceProblems(trigger.recurrence)) out.push({ field: field ? `recurrence.${field}` : 'recurrence', message });
  }
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
