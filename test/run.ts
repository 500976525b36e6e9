/**
 * Runs the whole suite on SQLite, then again on PostgreSQL every test file that touches the
 * database (those that start an app or open a store), against one real PostgreSQL server
 * started here. Node 20's test runner has no global setup, hence this small wrapper.
 * Extra arguments are test files to run instead of all of them.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startPostgres } from './helpers/postgres.js';

function findTests(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return findTests(full);
    return entry.name.endsWith('.test.ts') ? [full] : [];
  });
}

// NEEDS_POSTGRES: the scale tests (test/scale), which only run in the PostgreSQL pass.
const touchesDatabase = (file: string): boolean => /startTestApp|openStore|spawnServer|NEEDS_POSTGRES/.test(fs.readFileSync(file, 'utf8'));

interface Outcome {
  passed: number;
  failed: number;
  skipped: number;
  code: number;
}

async function runSuite(label: string, files: string[], env: NodeJS.ProcessEnv): Promise<Outcome> {
  const tap = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'smtpflow-run-')), 'report.tap');
  process.stdout.write(`\n=== ${label}: ${files.length} test files ===\n`);
  const args = [
    '--import', 'tsx', '--test', '--test-concurrency=2',
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    '--test-reporter=tap', `--test-reporter-destination=${tap}`,
    ...files,
  ];
  const code = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, args, { stdio: 'inherit', env: { ...process.env, ...env } });
    child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0)));
  });
  const report = fs.existsSync(tap) ? fs.readFileSync(tap, 'utf8') : '';
  const count = (name: string): number => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(report)?.[1] ?? 0);
  const outcome = { passed: count('pass'), failed: count('fail') + count('cancelled'), skipped: count('skipped'), code };
  if (code !== 0 && outcome.failed === 0) outcome.failed = 1; // a crash before any report still fails the run
  process.stdout.write(`=== ${label}: ${outcome.passed} passed, ${outcome.failed} failed, ${outcome.skipped} skipped ===\n`);
  return outcome;
}

const requested = process.argv.slice(2);
const files = (requested.length > 0 ? requested : findTests('test')).sort();
const outcomes: Outcome[] = [await runSuite('SQLite', files, { SMTPFLOW_TEST_DIALECT: 'sqlite' })];

const dbFiles = files.filter(touchesDatabase);
if (dbFiles.length > 0 && process.env.SMTPFLOW_TEST_SKIP_POSTGRES !== '1') {
  const pg = await startPostgres();
  try {
    outcomes.push(await runSuite('PostgreSQL', dbFiles, { SMTPFLOW_TEST_DIALECT: 'postgres', SMTPFLOW_TEST_PG_URL: pg.url }));
  } finally {
    await pg.stop();
  }
}

const passed = outcomes.reduce((n, o) => n + o.passed, 0);
const failed = outcomes.reduce((n, o) => n + o.failed, 0);
const skipped = outcomes.reduce((n, o) => n + o.skipped, 0);
process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
process.exit(failed > 0 ? 1 : 0);
