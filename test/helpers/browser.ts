/**
 * Headless Chromium for tests: Debian's `chromium` package (never a browser
 * downloaded by a test tool), driven by playwright-core, with a fresh profile
 * folder per launch that is removed afterwards.
 *
 * When the binary is missing, `chromiumMissing` says why, and tests skip
 * with that reason; under CI (`CI` set) it is `undefined`, so the tests run
 * and fail loudly instead, since `.ci/run` installs the package.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium launcher (`apt-get install chromium`). */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Headless, no sandbox (we run as root in a container), and nothing that reaches the network by itself. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Why browser tests must skip here, or `undefined` when they run (Chromium present, or CI, where its absence is a failure). */
export const chromiumMissing: string | undefined =
  existsSync(CHROMIUM_PATH) || process.env['CI'] ? undefined : `no Chromium at ${CHROMIUM_PATH} (install Debian's chromium package; .ci/run does)`;

/** Options for {@link withBrowser}. */
export interface WithBrowserOptions {
  /** How long a page action or wait may take, in ms. @defaultValue 15000 */
  readonly timeoutMs?: number;
}

/**
 * Launches Chromium with a fresh profile, hands a blank page (and its
 * context, for more pages) to `body`, then closes the browser and removes
 * the profile, whatever `body` did.
 * @example
 * ```ts
 * await withBrowser(async (page) => {
 *   await page.goto(verificationUriComplete);
 *   await page.getByRole('button', { name: 'Approve' }).click();
 * });
 * ```
 */
export async function withBrowser<T>(body: (page: Page, context: BrowserContext) => Promise<T>, options: WithBrowserOptions = {}): Promise<T> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`no Chromium at ${CHROMIUM_PATH}: install Debian's chromium package (.ci/run does when run as root)`);
  const profile = await mkdtemp(join(tmpdir(), 'tokenpoll-chromium-'));
  try {
    // launchPersistentContext passes our folder as --user-data-dir (launch() would not accept that argument).
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [...CHROMIUM_ARGS],
      timeout: 30_000,
    });
    // What the pages said went wrong, to explain a failure.
    const complaints: string[] = [];
    context.on('weberror', (error) => complaints.push(`uncaught: ${error.error().message}`));
    context.on('console', (message) => {
      if (message.type() === 'error') complaints.push(`console: ${message.text()}`);
    });
    try {
      context.setDefaultTimeout(options.timeoutMs ?? 15_000);
      const page = context.pages()[0] ?? (await context.newPage());
      return await body(page, context);
    } catch (error) {
      if (complaints.length === 0 || !(error instanceof Error)) throw error;
      error.message += `\nthe browser's pages reported:\n${complaints.join('\n')}`;
      throw error;
    } finally {
      await context.close();
    }
  } finally {
    await rm(profile, { recursive: true, force: true });
  }
}
