import type { Definition } from '../types';

export type Actions = Record<string, any>;

export const SCHEMA_URL = 'https://schema.management.azure.com/providers/Microsoft.Logic/schemas/2016-06-01/workflowdefinition.json#';

export function emptyDefinition(): Definition {
  return { $schema: SCHEMA_URL, contentVersion: '1.0.0.0', triggers: {}, actions: {}, outputs: {} };
}

/** A JSON path segment as the server writes it in validation problems (src/workflows/definition.ts). */
export const seg = (name: string): string => (/^[A-Za-z_$][\w$]*$/.test(name) ? `.${name}` : `['${name.replace(/'/g, "\\'")}']`);

/** Does a problem at `problemPath` concern the field at `fieldPath` (itself or something inside it)? */
export function concerns(fieldPath: string, problemPath: string): boolean {
  return problemPath === fieldPath || problemPath.startsWith(`${fieldPath}.`) || problemPath.startsWith(`${fieldPath}[`);
}

/** Actions of one scope in run order: each after the ones its runAfter names (ties by name order in the object). */
export function ordered(actions: Actions): string[] {
  const names = Object.keys(actions);
  const done = new Set<string>();
  const out: string[] = [];
  const visit = (name: string, trail: Set<string>): void => {
    if (done.has(name) || trail.has(name)) return;
    trail.add(name);
    for (const dep of Object.keys(actions[name]?.runAfter ?? {})) if (names.includes(dep)) visit(dep, trail);
    done.add(name);
    out.push(name);
  };
  for (const name of names) visit(name, new Set());
  return out;
}

export function uniqueName(base: string, taken: Set<string>): string {
  if (!taken.has(base)) return base;
  for (let i = 2; ; i++) if (!taken.has(`${base}_${i}`)) return `${base}_${i}`;
}

/** Every action name in the definition, nested scopes included: names are unique workflow-wide. */
export function allNames(actions: Actions, into = new Set<string>()): Set<string> {
  for (const [name, action] of Object.entries(actions ?? {})) {
    into.add(name);
    for (const child of childScopes(action)) allNames(child.actions, into);
  }
  return into;
}

export function childScopes(action: any): Array<{ key: string; actions: Actions }> {
  if (!action || typeof action !== 'object') return [];
  const out: Array<{ key: string; actions: Actions }> = [];
  if (action.actions && typeof action.actions === 'object') out.push({ key: 'actions', actions: action.actions });
  if (action.else?.actions && typeof action.else.actions === 'object') out.push({ key: 'else.actions', actions: action.else.actions });
  return out;
}

/** Appends an action that runs after the current last one (Logic Apps' "+ New step"). */
export function appendAction(actions: Actions, name: string, action: any): Actions {
  const order = ordered(actions);
  const last = order[order.length - 1];
  return { ...actions, [name]: { ...action, runAfter: last ? { [last]: ['Succeeded'] } : {} } };
}

/** Removes an action; whatever ran after it now runs after what it ran after, so the chain stays whole. */
export function removeAction(actions: Actions, name: string): Actions {
  const { [name]: removed, ...rest } = actions;
  const inherited = removed?.runAfter ?? {};
  const out: Actions = {};
  for (const [n, a] of Object.entries(rest)) {
    if (a?.runAfter && name in a.runAfter) {
      const { [name]: _gone, ...others } = a.runAfter;
      out[n] = { ...a, runAfter: { ...inherited, ...others } };
    } else out[n] = a;
  }
  return out;
}

/** Renames an action within its scope, keeping the key order and the runAfter references. */
export function renameAction(actions: Actions, from: string, to: string): Actions {
  const out: Actions = {};
  for (const [n, a] of Object.entries(actions)) {
    const renamedDeps = a?.runAfter && from in a.runAfter ? Object.fromEntries(Object.entries(a.runAfter).map(([k, v]) => [k === from ? to : k, v])) : a?.runAfter;
    out[n === from ? to : n] = a && typeof a === 'object' ? { ...a, ...(renamedDeps ? { runAfter: renamedDeps } : {}) } : a;
  }
  return out;
}

/** A JSON Schema for a sample payload, as Logic Apps' "Use sample payload to generate schema" does. */
export function schemaFromSample(sample: unknown): Record<string, unknown> {
  if (Array.isArray(sample)) return { type: 'array', items: sample.length ? schemaFromSample(sample[0]) : {} };
  if (sample === null) return { type: 'null' };
  switch (typeof sample) {
    case 'string':
      return { type: 'string' };
    case 'number':
      return { type: Number.isInteger(sample) ? 'integer' : 'number' };
    case 'boolean':
      return { type: 'boolean' };
    case 'object': {
      const properties: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(sample as Record<string, unknown>)) properties[k] = schemaFromSample(v);
      return { type: 'object', properties };
    }
    default:
      return {};
  }
}

/** The action's display title: Logic Apps stores spaces as underscores in names. */
export const title = (name: string): string => name.replace(/_/g, ' ');
export const toName = (text: string): string => text.trim().replace(/\s+/g, '_');
