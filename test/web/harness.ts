/**
 * Browser tests of the designer: Debian's Chromium driven by playwright-core against a real
 * app started in-process, serving the built designer from web/dist.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { startTestApp, TEST_ADMIN_KEY, type TestApp } from '../helpers/app.js';
import { waitFor } from '../helpers/wait.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const DIST_INDEX = path.join(ROOT, 'web/dist/index.html');
const LOCK = path.join(ROOT, 'test-output/.web-build.lock');
export const SCREENSHOTS = path.join(ROOT, 'test-output/screenshots');
export const CHROMIUM = process.env.SMTPFLOW_CHROMIUM ?? '/usr/bin/chromium';
/** Generous: the suite shares two cores with other test files. */
export const TIMEOUT = 20_000;

function newestMtime(entry: string): number {
  if (!fs.existsSync(entry)) return 0;
  const stat = fs.statSync(entry);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...fs.readdirSync(entry).map((name) => newestMtime(path.join(entry, name))));
}

const stale = (): boolean =>
  !fs.existsSync(DIST_INDEX) ||
  fs.statSync(DIST_INDEX).mtimeMs < Math.max(newestMtime(path.join(ROOT, 'web/src')), newestMtime(path.join(ROOT, 'web/index.html')), newestMtime(path.join(ROOT, 'vite.config.ts')));

/**
 * Builds web/dist when it is missing or older than its sources. Test files run in parallel,
 * so one of them builds (under a lock directory) and the others wait for it.
 */
export async function ensureDesignerBuilt(): Promise<void> {
  if (!stale()) return;
  fs.mkdirSync(path.dirname(LOCK), { recursive: true });
  let mine = false;
  try {
    fs.mkdirSync(LOCK);
    mine = true;
  } catch {
    // Someone else is building; a lock older than two minutes is from a crashed run.
    if (Date.now() - fs.statSync(LOCK).mtimeMs > 120_000) {
      fs.rmSync(LOCK, { recursive: true, force: true });
      return ensureDesignerBuilt();
    }
  }
  if (!mine) {
    await waitFor(() => !fs.existsSync(LOCK), { timeoutMs: 120_000, intervalMs: 200, message: 'the designer build by another test file' });
    if (stale()) throw new Error('web/dist is still stale after another test file built it; run `npm run build` and look at its errors.');
    return;
  }
  try {
    execFileSync(process.execPath, [path.join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], { cwd: ROOT, stdio: 'pipe' });
  } catch (err) {
    const output = (err as { stderr?: Buffer; stdout?: Buffer }).stderr?.toString() || (err as { stdout?: Buffer }).stdout?.toString() || String(err);
    throw new Error(`Building the designer (vite build) failed; fix it or run \`npm run build\` to see why:\n${output}`);
  } finally {
    fs.rmSync(LOCK, { recursive: true, force: true });
  }
}

export async function launchBrowser(): Promise<Browser> {
  // Chromium may still be being installed by the environment's setup.
  await waitFor(() => fs.existsSync(CHROMIUM), { timeoutMs: 300_000, intervalMs: 500, message: `${CHROMIUM} to exist (apt-get install chromium)` });
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface DesignerEnv {
  app: TestApp;
  browser: Browser;
  devSmtpPort: number;
  close(): Promise<void>;
}

export async function startDesigner(): Promise<DesignerEnv> {
  await ensureDesignerBuilt();
  const devSmtpPort = await freePort();
  const app = await startTestApp({ devSmtpPort });
  const browser = await launchBrowser();
  return {
    app,
    browser,
    devSmtpPort,
    async close() {
      await browser.close();
      await app.close();
    },
  };
}

/** A fresh page logged in through `#key=`, as the URL printed on first start does it. */
export async function loggedInPage(env: DesignerEnv, pathname = '/', width = 1280): Promise<Page> {
  const context = await env.browser.newContext({ viewport: { width, height: 900 } });
  context.setDefaultTimeout(TIMEOUT);
  const page = await context.newPage();
  await page.goto(`${env.app.url}${pathname}#key=${TEST_ADMIN_KEY}`);
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
  return page;
}

/** Full-page screenshots at desktop and phone widths, into test-output/screenshots (not committed). */
export async function screenshots(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const before = page.viewportSize();
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: width === 390 ? 844 : 900 });
    // Let the relayout at the new width paint before capturing (a full-page shot can catch it half done).
    await page.evaluate('new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))');
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-${width}.png`), fullPage: true });
  }
  if (before) await page.setViewportSize(before);
}

/** Waits until the locator's text contains `text` (Playwright auto-waits for visibility, not content). */
export async function waitForText(locator: Locator, text: string | RegExp): Promise<void> {
  await locator.filter({ hasText: text }).first().waitFor({ timeout: TIMEOUT });
}
