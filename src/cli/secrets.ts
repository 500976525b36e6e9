import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config.js';

interface RotateFlags {
  dataDir?: string;
  databaseUrl?: string;
  newKeyFile?: string;
}

export function registerSecrets(program: Command): void {
  const secrets = program.command('secrets').description('manage the key that encrypts secrets at rest');
  secrets
    .command('rotate')
    .description(
      're-encrypt every stored secret with a new key. Stop all smtpflow processes first; afterwards start them with the new key.\n' +
        'The current key comes from SMTPFLOW_SECRET_KEY or <data dir>/secret.key. The new key is read from --new-key-file\n' +
        '(or SMTPFLOW_NEW_SECRET_KEY); without either, a new key is generated and written to <data dir>/secret.key.',
    )
    .option('--data-dir <dir>', 'data directory (SMTPFLOW_DATA_DIR)')
    .option('--database-url <url>', 'database (SMTPFLOW_DATABASE_URL)')
    .option('--new-key-file <file>', 'file holding the new 32-byte key, hex or base64')
    .action(async (flags: RotateFlags) => {
      // Loaded on use: the database drivers would slow every other command's start.
      const [{ rotateSecrets }, { loadOrCreateKey, parseKey, SecretBox }, { openStore }] = await Promise.all([
        import('../secrets/rotate.js'),
        import('../secrets/secret-box.js'),
        import('../store/db.js'),
      ]);
      const config = loadConfig({ ...(flags.dataDir ? { dataDir: flags.dataDir } : {}), ...(flags.databaseUrl ? { databaseUrl: flags.databaseUrl } : {}) });
      const oldKey = loadOrCreateKey(config.secretKey, config.dataDir);
      const given = flags.newKeyFile ? fs.readFileSync(flags.newKeyFile, 'utf8') : process.env.SMTPFLOW_NEW_SECRET_KEY;
      const newKey = given ? parseKey(given) : crypto.randomBytes(32);
      const store = await openStore(config.databaseUrl);
      try {
        const count = await rotateSecrets(store, new SecretBox(oldKey), new SecretBox(newKey));
        if (!given) {
          const keyFile = path.join(config.dataDir, 'secret.key');
          fs.writeFileSync(keyFile, newKey.toString('hex') + '\n', { mode: 0o600 });
          process.stdout.write(`Re-encrypted ${count} stored secret(s); the new key is in ${keyFile}.\n`);
          if (config.secretKey) process.stdout.write('SMTPFLOW_SECRET_KEY is set: unset it, or set it to the new key from that file, before starting smtpflow.\n');
        } else {
          process.stdout.write(`Re-encrypted ${count} stored secret(s). Start every smtpflow process with the new SMTPFLOW_SECRET_KEY.\n`);
        }
      } finally {
        await store.close();
      }
    });
}
