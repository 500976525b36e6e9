import { EventEmitter } from 'node:events';
import type { TSchema } from '@sinclair/typebox';
import { Value, ValueErrorType } from '@sinclair/typebox/value';
import { AppError, notFound } from '../errors.js';
import { OAuthTokens } from '../oauth/index.js';
import type { SecretBox } from '../secrets/secret-box.js';
import type { Store } from '../store/db.js';
import type { ConnectionsTable } from '../store/schema.js';
import { deletePath, getPath, mergePatch, setPath } from './paths.js';
import { PostgresConnectionInput } from './postgres.js';
import { SalesforceConnectionInput } from './salesforce.js';
import { SECRET_PATHS, SmtpConnectionInput, type ConnectionView, type SmtpConnection } from './schema.js';
import { normalizeSmtpSettings } from './smtp-settings.js';

/** The schema of each connection type; other types (trigger sources) register here. */
export const CONNECTION_SCHEMAS: Record<string, TSchema> = { smtp: SmtpConnectionInput, salesforce: SalesforceConnectionInput, postgres: PostgresConnectionInput };

/** After the schema: checks across fields and the defaults they imply (SMTP provider presets); they throw a 400 AppError. */
export const CONNECTION_CHECKS: Record<string, (settings: Record<string, unknown>) => Record<string, unknown>> = { smtp: normalizeSmtpSettings };

export interface StoredConnection {
  name: string;
  type: string;
  version: number;
  /** Settings with secrets put back in: internal only, never an API answer. */
  settings: Record<string, unknown>;
}

/** A stored connection of type smtp, as the SMTP code takes it. */
export const asSmtpConnection = (conn: StoredConnection): SmtpConnection => ({
  ...(conn.settings as Omit<SmtpConnection, 'type' | 'version'>),
  type: 'smtp',
  version: conn.version,
});

const HINT = 'List them with GET /api/v1/connections, or create it with POST /api/v1/connections.';

/**
 * Connections, with their secret fields sealed by the SecretBox before they reach the database.
 * Emits `changed` (name) after an update or removal so that cached transports are rebuilt.
 */
export class ConnectionRepository extends EventEmitter {
  /** OAuth2 access tokens of the connections, sealed with the same box and shared through the same database. */
  readonly tokens: OAuthTokens;

  constructor(
    private readonly store: Store,
    private readonly box: SecretBox,
  ) {
    super();
    this.tokens = new OAuthTokens(store, box);
  }

  async create(input: Record<string, unknown>): Promise<ConnectionView> {
    const type = typeof input.type === 'string' ? input.type : 'smtp';
    const settings = this.validate(type, input);
    const name = settings.name as string;
    const now = Date.now();
    const row: ConnectionsTable = { name, type, version: 1, created_at: now, updated_at: now, ...this.split(type, settings) };
    const existing = await this.store.db.selectFrom('connections').select('name').where('name', '=', name).executeTakeFirst();
    if (existing) {
      throw new AppError(409, 'ConnectionExists', `A connection named '${name}' already exists. Change it with PATCH /api/v1/connections/${name}, or pick another name.`, { field: 'name' });
    }
    await this.store.db.insertInto('connections').values(row).execute();
    return this.toView(row);
  }

  async list(): Promise<ConnectionView[]> {
    const rows = await this.store.db.selectFrom('connections').selectAll().orderBy('name').execute();
    return rows.map((row) => this.toView(row));
  }

  async view(name: string): Promise<ConnectionView> {
    return this.toView(await this.row(name));
  }

  async exists(name: string): Promise<boolean> {
    return !!(await this.store.db.selectFrom('connections').select('name').where('name', '=', name).executeTakeFirst());
  }

  async resolve(name: string): Promise<StoredConnection> {
    const row = await this.row(name);
    const settings = JSON.parse(row.config) as Record<string, unknown>;
    if (row.secrets) {
      for (const [path, value] of Object.entries(this.box.openJson<Record<string, unknown>>(row.secrets))) {
        setPath(settings, path, value);
      }
    }
    return { name: row.name, type: row.type, version: row.version, settings };
  }

  /** The connection as an SMTP connection; 400 when it is of another type. */
  async resolveSmtp(name: string): Promise<SmtpConnection> {
    const conn = await this.resolve(name);
    if (conn.type !== 'smtp') {
      throw new AppError(400, 'NotAnSmtpConnection', `Connection '${name}' is of type '${conn.type}'; emails can only be sent through an SMTP connection.`);
    }
    return asSmtpConnection(conn);
  }

  async update(name: string, patch: Record<string, unknown>): Promise<ConnectionView> {
    if (patch.name !== undefined && patch.name !== name) {
      throw new AppError(400, 'RenameNotSupported', 'A connection cannot be renamed: create a new one and delete the old one.', { field: 'name' });
    }
    const current = await this.resolve(name);
    if (patch.type !== undefined && patch.type !== current.type) {
      throw new AppError(400, 'TypeChangeNotSupported', `Connection '${name}' is of type '${current.type}'; its type cannot be changed.`, { field: 'type' });
    }
    const merged = mergePatch(current.settings, patch);
    const settings = this.validate(current.type, { ...merged, name });
    const parts = this.split(current.type, settings);
    const result = await this.store.db
      .updateTable('connections')
      .set({ ...parts, version: current.version + 1, updated_at: Date.now() })
      .where('name', '=', name)
      .where('version', '=', current.version)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) {
      throw new AppError(409, 'ConcurrentChange', `Connection '${name}' was changed by someone else at the same time; read it again and retry.`);
    }
    this.emit('changed', name);
    return this.view(name);
  }

  async remove(name: string): Promise<void> {
    const result = await this.store.db.deleteFrom('connections').where('name', '=', name).executeTakeFirst();
    if (Number(result.numDeletedRows) !== 1) throw notFound('connection', name, HINT);
    await this.tokens.forget(name);
    this.emit('changed', name);
  }

  /** Which secrets are set, never their values (the sealed JSON is opened just to list its keys). */
  private toView(row: ConnectionsTable): ConnectionView {
    const secretsSet = row.secrets ? Object.keys(this.box.openJson<Record<string, unknown>>(row.secrets)) : [];
    return toView(row, secretsSet);
  }

  private async row(name: string): Promise<ConnectionsTable> {
    const row = await this.store.db.selectFrom('connections').selectAll().where('name', '=', name).executeTakeFirst();
    if (!row) throw notFound('connection', name, HINT);
    return row;
  }

  private validate(type: string, input: Record<string, unknown>): Record<string, unknown> {
    const schema = CONNECTION_SCHEMAS[type];
    if (!schema) {
      throw new AppError(400, 'UnknownConnectionType', `Connection type '${type}' is not known; use one of: ${Object.keys(CONNECTION_SCHEMAS).join(', ')}.`, { field: 'type' });
    }
    const candidate = { ...input };
    if (type === 'smtp') delete candidate.type;
    let error = Value.Errors(schema, candidate).First();
    // A union (such as `auth`) only says "Expected union value": report the first error of the variant whose `type` matched.
    while (error?.type === ValueErrorType.Union) {
      const variants = error.errors.map((variant) => [...variant]);
      error = (variants.find((errors) => !errors.some((e) => e.path === `${error!.path}/type`)) ?? variants[0])[0];
    }
    if (error) {
      const field = error.path.replace(/^\//, '').replace(/\//g, '.') || undefined;
      if (error.type === ValueErrorType.ObjectAdditionalProperties) {
        throw new AppError(400, 'UnknownProperty', `'${field}' is not a setting of a ${type} connection; remove it or check its spelling (names are case-sensitive).`, { field });
      }
      throw new AppError(400, 'InvalidConnection', `${field ? `'${field}': ` : ''}${error.message}. Fix this field of the connection and send it again.`, { field });
    }
    return CONNECTION_CHECKS[type]?.(candidate) ?? candidate;
  }

  private split(type: string, settings: Record<string, unknown>): Pick<ConnectionsTable, 'config' | 'secrets'> {
    const config = structuredClone(settings);
    const secrets: Record<string, unknown> = {};
    for (const path of SECRET_PATHS[type] ?? []) {
      const value = getPath(config, path);
      if (value !== undefined) {
        secrets[path] = value;
        deletePath(config, path);
      }
    }
    return {
      config: JSON.stringify(config),
      secrets: Object.keys(secrets).length > 0 ? this.box.sealJson(secrets) : null,
    };
  }
}

function toView(this: void, row: ConnectionsTable, secretsSet: string[]): ConnectionView {
  const config = JSON.parse(row.config) as Record<string, unknown>;
  return {
    ...config,
    name: row.name,
    type: row.type,
    secretsSet,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}
