import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * The built CLI. Tests that run smtpflow as a child process use `dist/`, which `npm test`
 * compiles first: a process starts in well under half the time it takes under tsx, and the
 * suite starts hundreds of them.
 */
export const SMTPFLOW_BIN = path.join(ROOT, 'dist/cli/main.js');

function newestSource(dir: string): number {
  return Math.max(
    0,
    ...fs.readdirSync(dir, { withFileTypes: true }).map((e) => {
      const full = path.join(dir, e.name);
      return e.isDirectory() ? newestSource(full) : fs.statSync(full).mtimeMs;
    }),
  );
}

const built = fs.existsSync(SMTPFLOW_BIN) ? fs.statSync(SMTPFLOW_BIN).mtimeMs : 0;
if (built < newestSource(path.join(ROOT, 'src'))) {
  throw new Error('dist/ is older than src/: run `npx tsc -p tsconfig.json` (npm test does it for you) before running this test file on its own.');
}
