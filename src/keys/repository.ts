import crypto from 'node:crypto';
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

/**
 * How long a checked key is believed without asking the database again: the database lookup was
 * a tenth of the CPU of an accepted send. The process that revokes a key forgets it at once;
 * other processes sharing the database within this time, as with connection settings.
 */
export const KEY_RECHECK_MS = 1_000;
const CACHE_MAX = 10_000;

/** API keys are stored as SHA-256 hashes: high-entropy random secrets need no slow hash. */
export class KeyRepository {
  /** Keyed by key id and the presented secret's hash, never by the secret. */
  private readonly checked = new Map<string, { principal: Principal; until: number }>();

  constructor(private readonly store: Store) {}

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
    this.checked.clear();
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
    this.checked.clear();
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
    const cacheKey = `${id}:${hash}`;
    const now = Date.now();
    const cached = this.checked.get(cacheKey);
    if (cached && cached.until > now) return cached.principal;
    const row = await this.store.db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row || !crypto.timingSafeEqual(Buffer.from(row.hash, 'hex'), Buffer.from(hash, 'hex'))) {
      this.checked.delete(cacheKey);
      return undefined;
    }
    const principal: Principal = { keyId: row.id, scope: row.scope, connections: row.connections ? (JSON.parse(row.connections) as string[]) : null };
    if (this.checked.size >= CACHE_MAX) this.checked.clear();
    this.checked.set(cacheKey, { principal, until: now + KEY_RECHECK_MS });
    return principal;
  }
}

function toView(row: ApiKeysTable): ApiKeyView {
  const view: ApiKeyView = { id: row.id, name: row.name, scope: row.scope, createdAt: new Date(row.created_at).toISOString() };
  if (row.connections) view.connections = JSON.parse(row.connections) as string[];
  if (row.last_used_at) view.lastUsedAt = new Date(row.last_used_at).toISOString();
  return view;
}
