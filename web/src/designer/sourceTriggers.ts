/* Connector triggers in Logic Apps' form (SPEC §4): Salesforce "When a record is created" (or
 * modified) and SQL "When an item is created". The watched object lives in the trigger's path as
 * @{encodeURIComponent(encodeURIComponent('Lead'))}; its connection in `$connections`. */
import type { ConnectionType } from '../types';

export type SourceKind = 'salesforce' | 'sql';

export interface SourceInfo {
  kind: SourceKind;
  /** The connection type its `$connections` entry must name. */
  connectionType: ConnectionType;
  /** 'onnewitems' or 'onupdateditems'. */
  operation: string;
  title: string;
  /** The watched object (sObject, table), once chosen. */
  object?: string;
  /** The `$connections` key its host names. */
  key?: string;
}

const SALESFORCE = /^\/datasets\/default\/tables\/(.*)\/(onnewitems|onupdateditems)\/?$/i;
const SQL = /^\/v2\/datasets\/(.*)\/tables\/(.*)\/(onnewitems)\/?$/i;
const ENCODED = /^@\{\s*encodeURIComponent\(\s*encodeURIComponent\(\s*'((?:[^']|'')*)'\s*\)\s*\)\s*\}$/;

/** `@{encodeURIComponent(encodeURIComponent('Lead'))}`: how Logic Apps writes a name into a path. */
export const encodedName = (name: string): string => `@{encodeURIComponent(encodeURIComponent('${name.replace(/'/g, "''")}'))}`;

function decodedName(segment: string): string | undefined {
  const m = ENCODED.exec(segment.trim());
  if (m) return m[1].replace(/''/g, "'");
  if (segment === '' || segment.includes('@')) return undefined;
  try {
    return decodeURIComponent(decodeURIComponent(segment));
  } catch {
    return segment;
  }
}

export const connectionKeyOf = (reference: unknown): string | undefined =>
  typeof reference === 'string' ? /\$connections'\s*\)\s*\??\[\s*'([^']+)'/.exec(reference)?.[1] : undefined;

export function sourceInfo(trigger: any): SourceInfo | undefined {
  if (String(trigger?.type ?? '').toLowerCase() !== 'apiconnection' || typeof trigger.inputs?.path !== 'string') return undefined;
  const path = trigger.inputs.path.trim();
  const key = connectionKeyOf(trigger.inputs?.host?.connection?.name);
  let m = SALESFORCE.exec(path);
  if (m) {
    const operation = m[2].toLowerCase();
    return { kind: 'salesforce', connectionType: 'salesforce', operation, title: operation === 'onnewitems' ? 'When a record is created' : 'When a record is modified', object: decodedName(m[1]), key };
  }
  m = SQL.exec(path);
  if (m) return { kind: 'sql', connectionType: 'postgres', operation: 'onnewitems', title: 'When an item is created', object: decodedName(m[2]), key };
  return undefined;
}

/** The trigger with another object in its path. */
export function withObject(trigger: any, object: string): any {
  const info = sourceInfo(trigger)!;
  const path =
    info.kind === 'salesforce'
      ? `/datasets/default/tables/${encodedName(object)}/${info.operation}`
      : `/v2/datasets/${encodedName('default')},${encodedName('default')}/tables/${encodedName(object)}/onnewitems`;
  return { ...trigger, inputs: { ...trigger.inputs, path } };
}

/** A new connector trigger, as Logic Apps' designer starts it: no object chosen yet, one run per item. */
export function newSourceTrigger(kind: SourceKind, operation: 'onnewitems' | 'onupdateditems' = 'onnewitems'): Record<string, unknown> {
  const key = kind === 'salesforce' ? 'salesforce' : 'sql';
  const path = kind === 'salesforce' ? `/datasets/default/tables/${encodedName('')}/${operation}` : `/v2/datasets/${encodedName('default')},${encodedName('default')}/tables/${encodedName('')}/onnewitems`;
  return {
    type: 'ApiConnection',
    inputs: { host: { connection: { name: `@parameters('$connections')['${key}']['connectionId']` } }, method: 'get', path },
    recurrence: { frequency: 'Minute', interval: 1 },
    splitOn: "@triggerBody()?['value']",
  };
}

/** The smtpflow connection a `$connections` entry names: connectionName, else the last segment of connectionId. */
export function connectionNameOf(parameters: Record<string, any>, key: string | undefined): string | undefined {
  const entry = key ? parameters?.$connections?.value?.[key] : undefined;
  if (!entry) return undefined;
  if (typeof entry.connectionName === 'string' && entry.connectionName) return entry.connectionName;
  return typeof entry.connectionId === 'string' ? entry.connectionId.split('/').filter(Boolean).pop() : undefined;
}
