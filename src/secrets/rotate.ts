import type { Kysely } from 'kysely';
import type { OAuthDatabase } from '../oauth/tables.js';
import type { Store } from '../store/db.js';
import type { SecretBox } from './secret-box.js';

/**
 * Re-seals every secret kept in the database with a new key, in one transaction, so a crash
 * halfway leaves all secrets under the old key. Answers how many values were re-sealed.
 * Every table column that holds SecretBox output must be listed here.
 */
export async function rotateSecrets(store: Store, from: SecretBox, to: SecretBox): Promise<number> {
  return store.db.transaction().execute(async (trx) => {
    const rows = await trx.selectFrom('connections').select(['name', 'secrets']).where('secrets', 'is not', null).execute();
    for (const row of rows) {
      await trx
        .updateTable('connections')
        .set({ secrets: to.seal(from.open(row.secrets as string)) })
        .where('name', '=', row.name)
        .execute();
    }
    // OAuth2 tokens of SMTP connections: a rotated refresh token may exist nowhere else
    const oauth = trx as unknown as Kysely<OAuthDatabase>;
    const tokens = await oauth.selectFrom('oauth_tokens').select(['key', 'sealed']).where('sealed', 'is not', null).execute();
    for (const row of tokens) {
      await oauth
        .updateTable('oauth_tokens')
        .set({ sealed: to.seal(from.open(row.sealed as string)) })
        .where('key', '=', row.key)
        .execute();
    }
    return rows.length + tokens.length;
  });
}
