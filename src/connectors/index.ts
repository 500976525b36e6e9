/**
 * What each connection type can do beyond being stored: be tested, and (for trigger sources)
 * list the objects a trigger can watch. The stored form of each type (schema, secret paths)
 * lives in `src/connections`; the behaviour lives with the system it talks to (`src/smtp`,
 * …) and is wired here, so the API routes dispatch on `type` without knowing any of them.
 */
import { AppError } from '../errors.js';
import { asSmtpConnection, type StoredConnection } from '../connections/repository.js';
import type { OAuthTokens } from '../oauth/index.js';
import { testConnection, type ConnectionTestReport } from '../smtp/index.js';
import { salesforceFields, salesforceObjects, testSalesforce } from '../salesforce/connector.js';
import { asPgConnection, listPostgresTables, SqlSourceError, testPostgres } from '../sqlsource/index.js';

/** One object a trigger can watch: a Salesforce sObject, a SQL table. */
export interface WatchableObject {
  name: string;
  label?: string;
}

/** The same report shape for every type: steps in order, and the first problem with its fix. */
export interface ConnectionCheckReport {
  ok: boolean;
  steps: Array<{ step: string; ok: boolean; detail: string; durationMs: number }>;
  problem?: { code: string; message: string; fix: string };
}

/** One field of a watched object's items (a Salesforce field, a column): the trigger's dynamic content. */
export interface ObjectField {
  name: string;
  label?: string;
  type?: string;
}

/** What a connector may use besides the connection itself. */
export interface ConnectorContext {
  /** OAuth2 access tokens, shared by every process (ConnectionRepository.tokens). */
  tokens: OAuthTokens;
}

export interface Connector {
  test(conn: StoredConnection, context: ConnectorContext): Promise<ConnectionCheckReport>;
  objects?(conn: StoredConnection): Promise<WatchableObject[]>;
  fields?(conn: StoredConnection, object: string): Promise<ObjectField[]>;
}

export const CONNECTORS: Record<string, Connector> = {
  smtp: { test: (conn, context): Promise<ConnectionTestReport> => testConnection(asSmtpConnection(conn), { tokens: context.tokens }) },
  salesforce: { test: testSalesforce, objects: salesforceObjects, fields: salesforceFields },
  postgres: {
    test: (conn) => testPostgres(asPgConnection(conn)),
    // The database's own failure (unreachable, login refused) is a 502 naming its cause and fix.
    objects: (conn) => listPostgresTables(asPgConnection(conn)).catch((err: unknown) => {
      throw err instanceof SqlSourceError ? new AppError(502, err.problem.code, `${err.problem.message} ${err.problem.fix}`) : err;
    }),
  },
};

export function connectorFor(conn: StoredConnection): Connector {
  const connector = CONNECTORS[conn.type];
  if (!connector) throw new AppError(500, 'UnknownConnectionType', `Connection '${conn.name}' has type '${conn.type}', which this version of smtpflow does not know.`);
  return connector;
}

export async function listObjects(conn: StoredConnection): Promise<WatchableObject[]> {
  const { objects } = connectorFor(conn);
  if (!objects) {
    throw new AppError(400, 'NotATriggerSource', `Connection '${conn.name}' is of type '${conn.type}', which has no objects to watch; objects are listed for trigger sources (salesforce, postgres).`);
  }
  return objects(conn);
}

export async function listFields(conn: StoredConnection, object: string): Promise<ObjectField[]> {
  const { fields } = connectorFor(conn);
  if (!fields) {
    throw new AppError(400, 'NotATriggerSource', `Connection '${conn.name}' is of type '${conn.type}', which has no object fields to list; fields are listed for trigger sources (salesforce, postgres).`);
  }
  return fields(conn, object);
}
