import crypto from 'node:crypto';
import type { CompiledQuery } from 'kysely';
import { AppError } from '../errors.js';
import type { Store } from '../store/db.js';
import { newId } from '../ids.js';
import type { ApiKeysTable } from '../store/schema.js';

export type Scope = ApiKeysTable['scope'];

export interface ApiKeyView {
  id: string;
  name: string;
  scope: Scope;
  /** For a `send` key: the connections it may use; absent means all. */
  connections?: string[];
  createdAt: string;
  lastUsedAt?: string;
}

/** The identity of a request, once its key has been checked. */
export interface Principal {
  keyId: string;
  scope: Scope;
  connections: string[] | null;
}

/** A key given in SMTPFLOW_ADMIN_KEY may have any form, so it lives under a fixed id. */
const ENV_ADMIN_ID = 'key_env_admin';
const KEY_PATTERN = /^sfk_(key_[a-z0-9]+)\.([A-Za-z0-9_-]{32,})$/;

const sha256 = (text: string): string => crypto.createHash('sha256').update(text).digest('hex');

/** API keys are stored as SHA-256 hashes: high-entropy random secrets need no slow hash. */
export class KeyRepository {
  /**
   * Every API request runs this lookup; built once, because Kysely's builder costs more than the
   * lookup itself (the id placeholder below is replaced by the parameter at each run).
   */
  private readonly byId;

  constructor(private readonly store: Store) {
    this.byId = store.db.selectFrom('api_keys').selectAll().where('id', '=', '').compile();
  }

  async create(name: string, scope: Scope, connections?: string[]): Promise<{ key: string; view: ApiKeyView }> {
    const id = newId('key');
    const secret = crypto.randomBytes(32).toString('base64url');
    const row: ApiKeysTable = {
      id,
      name,
      scope,
      connections: connections && connections.length > 0 ? JSON.stringify(connections) : null,
      hash: sha256(secret),
      created_at: Date.now(),
      last_used_at: null,
    };
    await this.store.db.insertInto('api_keys').values(row).execute();
    return { key: `sfk_${id}.${secret}`, view: toView(row) };
  }

  async list(): Promise<ApiKeyView[]> {
    const rows = await this.store.db.selectFrom('api_keys').selectAll().orderBy('id').execute();
    return rows.map(toView);
  }

  async remove(id: string): Promise<void> {
    const result = await this.store.db.deleteFrom('api_keys').where('id', '=', id).executeTakeFirst();
    if (Number(result.numDeletedRows) !== 1) {
      throw new AppError(404, 'NotFound', `No API key with id '${id}'. List them with GET /api/v1/keys.`);
    }
  }

  async hasAdmin(): Promise<boolean> {
    return !!(await this.store.db.selectFrom('api_keys').select('id').where('scope', '=', 'admin').executeTakeFirst());
  }

  /** Installs (or re-points) the admin key given by configuration. */
  async installEnvAdmin(key: string): Promise<void> {
    const hash = sha256(key);
    const existing = await this.store.db.selectFrom('api_keys').select('hash').where('id', '=', ENV_ADMIN_ID).executeTakeFirst();
    if (existing?.hash === hash) return;
    if (existing) await this.store.db.updateTable('api_keys').set({ hash }).where('id', '=', ENV_ADMIN_ID).execute();
    else {
      await this.store.db
        .insertInto('api_keys')
        .values({ id: ENV_ADMIN_ID, name: 'admin (SMTPFLOW_ADMIN_KEY)', scope: 'admin', connections: null, hash, created_at: Date.now(), last_used_at: null })
        // Processes starting at once against a fresh shared database all get here; one insert wins.
        .onConflict((oc) => oc.column('id').doUpdateSet({ hash }))
        .execute();
    }
  }

  async verify(presented: string): Promise<Principal | undefined> {
    const match = KEY_PATTERN.exec(presented);
    const id = match ? match[1] : ENV_ADMIN_ID;
    const hash = sha256(match ? match[2] : presented);
    const byId: CompiledQuery<ApiKeysTable> = { ...this.byId, parameters: [id] };
    const [row] = (await this.store.db.executeQuery(byId)).rows;
    if (!row || !crypto.timingSafeEqual(Buffer.from(row.hash, 'hex'), Buffer.from(hash, 'hex'))) return undefined;
    // Checked against the database on every request, so a revoked key stops working at once in every process.
    return { keyId: row.id, scope: row.scope, connections: row.connections ? (JSON.parse(row.connections) as string[]) : null };
  }
}

function toView(row: ApiKeysTable): ApiKeyView {
  const view: ApiKeyView = { id: row.id, name: row.name, scope: row.scope, createdAt: new Date(row.created_at).toISOString() };
  if (row.connections) view.connections = JSON.parse(row.connections) as string[];
  if (row.last_used_at) view.lastUsedAt = new Date(row.last_used_at).toISOString();
  return view;
}
