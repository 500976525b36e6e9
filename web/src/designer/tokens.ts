import type { ObjectField } from '../types';
import type { Token } from './context';
import { childScopes, title } from './model';
import { sourceInfo } from './sourceTriggers';

const quote = (k: string): string => `'${k.replace(/'/g, "''")}'`;

/** Tokens for every property of a JSON schema, below `base` (an expression such as `triggerBody()`). */
export function schemaTokens(schema: any, base: string, group: string, prefix = '', depth = 0): Token[] {
  if (!schema || typeof schema !== 'object' || depth > 3) return [];
  const out: Token[] = [];
  for (const [key, sub] of Object.entries<any>(schema.properties ?? {})) {
    const expression = `${base}?[${quote(key)}]`;
    const label = prefix ? `${prefix} ${key}` : key;
    out.push({ group, label, expression, hint: sub?.type ? String(sub.type) : undefined });
    if (sub?.type === 'object') out.push(...schemaTokens(sub, expression, group, label, depth + 1));
  }
  return out;
}

/** The JSON schema of what a trigger hands to the run as `triggerBody()`, when known. */
export function triggerSchema(trigger: any): any {
  const type = String(trigger?.type ?? '').toLowerCase();
  if (type === 'request') return trigger.inputs?.schema;
  if (type === 'httppoll') return trigger.metadata?.itemSchema;
  return undefined;
}

const TRIGGER_TITLE: Record<string, string> = { request: 'When a HTTP request is received', recurrence: 'Recurrence', httppoll: 'When an item is created' };

/** The trigger's dynamic content; `fields` are those of the object a connector trigger watches. */
export function triggerTokens(name: string, trigger: any, fields?: ObjectField[]): Token[] {
  if (!trigger) return [];
  const type = String(trigger.type ?? '').toLowerCase();
  const source = sourceInfo(trigger);
  const group = source?.title ?? TRIGGER_TITLE[type] ?? title(name);
  const out: Token[] = [];
  if (source) {
    for (const f of fields ?? []) out.push({ group, label: f.label ?? f.name, expression: `triggerBody()?[${quote(f.name)}]`, hint: f.type });
    out.push({ group, label: source.kind === 'salesforce' ? 'Record' : 'Row', expression: 'triggerBody()', hint: 'the whole item' });
  }
  if (type === 'request' || type === 'httppoll') {
    out.push(...schemaTokens(triggerSchema(trigger), 'triggerBody()', group));
    out.push({ group, label: type === 'request' ? 'Body' : 'Item', expression: 'triggerBody()', hint: 'the whole JSON' });
  }
  if (type === 'request') out.push({ group, label: 'Headers', expression: "triggerOutputs()?['headers']", hint: 'object' });
  if (type === 'recurrence') out.push({ group, label: 'Scheduled time', expression: "trigger()?['scheduledTime']", hint: 'string' });
  out.push({ group: 'Expressions', label: 'Current time (UTC)', expression: 'utcNow()', hint: 'string' });
  out.push({ group: 'Expressions', label: 'Run id', expression: "workflow()?['run']?['name']", hint: 'string' });
  return out;
}

/** Outputs of the workflow's other actions (any of them: runAfter decides whether they ran). */
export function actionTokens(actions: Record<string, any>, except: string): Token[] {
  const out: Token[] = [];
  const walk = (scope: Record<string, any>): void => {
    for (const [name, action] of Object.entries(scope ?? {})) {
      const type = String(action?.type ?? '').toLowerCase();
      const group = title(name);
      if (name !== except) {
        if (type === 'compose') out.push({ group, label: 'Outputs', expression: `outputs(${quote(name)})` });
        if (type === 'sendemail' || type === 'apiconnection') {
          out.push({ group, label: 'Message-ID', expression: `body(${quote(name)})?['messageId']`, hint: 'string' });
          out.push({ group, label: 'Status', expression: `body(${quote(name)})?['status']`, hint: 'string' });
        }
      }
      for (const child of childScopes(action)) walk(child.actions);
    }
  };
  walk(actions);
  return out;
}

/** `item()` inside a Foreach, with the item's fields when the looped array's schema is known. */
export function itemTokens(foreach: string, trigger: any, loopName: string): Token[] {
  const group = `Current item of ${title(loopName)}`;
  const out: Token[] = [{ group, label: 'Current item', expression: 'item()' }];
  const m = /^@\{?\s*triggerBody\(\)((?:\?\['[^']*'\])+)\s*\}?$/.exec(foreach.trim());
  if (m) {
    let schema = triggerSchema(trigger);
    for (const key of [...m[1].matchAll(/'([^']*)'/g)].map((x) => x[1])) schema = schema?.properties?.[key];
    if (schema?.type === 'array') out.push(...schemaTokens(schema.items, 'item()', group));
  }
  return out;
}

