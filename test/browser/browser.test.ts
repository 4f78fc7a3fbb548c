/**
 * The core and the RFC 8628 transport run in a browser: `src/index.ts` (the
 * whole public API) bundles for the browser with no Node module, and the
 * bundle performs a real device login in headless Chromium against the
 * emulator. The page comes from a small server of this test's own, so the
 * login's requests to the emulator are cross-origin, as a web app's would
 * be; the user approves on the emulator's approval page in a second tab.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startEmulator, type Emulator } from '../../src/testing-emulator.js';
import { chromiumMissing, withBrowser } from '../helpers/browser.js';
import type { BrowserLoginOutcome } from './app.js';

const root = join(import.meta.dirname, '../..');
const CLIENT_ID = 'tokenpoll-test';
/** The app's page: it loads the bundle as a module and hands it to the test as `window.app`. */
const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tokenpoll in a browser</title></head>
<body><script type="module">import * as app from '/app.js'; window.app = app;</script></body></html>`;

/** The bundle's exports, on the page's `window` (a function the test runs in the page reads it from there). */
type AppWindow = { readonly app: typeof import('./app.js') };

describe('browser', () => {
  let bundle: string;
  let metafile: Metafile;

  beforeAll(async () => {
    const result = await build({
      entryPoints: [join(import.meta.dirname, 'app.ts')],
      absWorkingDir: root,
      bundle: true,
      platform: 'browser',
      format: 'esm',
      target: 'es2022',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    bundle = result.outputFiles[0]!.text;
    metafile = result.metafile;
  });

  describe('should bundle src/index.ts for the browser', () => {
    test('when esbuild bundles it, no Node module is among its inputs or imports', () => {
      const inputs = Object.keys(metafile.inputs);
      expect(inputs).toContain('src/index.ts');
      expect(inputs).toContain('src/transports/rfc8628/token-transport.ts');
      expect(inputs.filter((input) => input.startsWith('node:') || input.startsWith('src/testing/'))).toEqual([]);
      const imported = Object.values(metafile.inputs).flatMap((input) => input.imports.map((entry) => entry.path));
      expect(imported.filter((path) => path.startsWith('node:'))).toEqual([]);
      const outputs = Object.values(metafile.outputs);
      expect(outputs.flatMap((output) => output.imports)).toEqual([]); // nothing left external
    });

    test('when the bundle is read, it names no Node module and requires nothing', () => {
      expect(bundle).not.toMatch(/["']node:/);
      expect(bundle).not.toMatch(/\brequire\s*\(\s*["'`]/);
    });
  });

  describe('should log in from headless Chromium', () => {
    let emulator: Emulator;
    let site: Server;
    let siteUrl: string;

    beforeAll(async () => {
      emulator = await startEmulator({ intervalSeconds: 0.05, slowDownIncrementSeconds: 0.05 });
      site = createServer((req, res) => {
        if (req.url === '/') res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
        else if (req.url === '/app.js') res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(bundle);
        else res.writeHead(404).end();
      });
      await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
      siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
    });

    afterAll(async () => {
      site?.closeAllConnections();
      await new Promise((resolve) => site?.close(resolve));
      await emulator?.close();
    });

    test('when the user approves on the approval page, the page gets the token the emulator issued', async ({ skip }) => {
      skip(chromiumMissing !== undefined, chromiumMissing);

      // Arrange
      await withBrowser(async (app, context) => {
        await app.goto(siteUrl);
        // The grant the emulator sends, as it crosses the wire (read here: Chromium may drop a body from its buffer once used).
        const grants: string[] = [];
        await app.route(`${emulator.url}/token`, async (route) => {
          const response = await route.fetch();
          const body = await response.text();
          if (response.status() === 200) grants.push(body);
          await route.fulfill({ response, body });
        });

        // Act: the app starts the login and shows the code...
        const code = await app.evaluate(([issuer, clientId]) => (window as unknown as AppWindow).app.startLogin(issuer, clientId), [emulator.url, CLIENT_ID] as const);
        // ...it polls at least once while the user has not yet decided...
        await expect.poll(() => emulator.requests.filter((request) => request.path === '/token').length, { timeout: 10_000 }).toBeGreaterThan(0);
        // ...and the user types the code on the verification page and approves.
        const approver = await context.newPage();
        await approver.goto(code.verificationUri);
        await approver.getByLabel('Enter the code shown on your device').fill(code.userCode);
        await approver.getByRole('button', { name: 'Approve' }).click();
        await approver.getByRole('heading', { name: 'Device approved' }).waitFor();
        const outcome = await app.evaluate(() => (window as unknown as AppWindow).app.loginOutcome());

        // Assert
        expect(grants).toHaveLength(1);
        const wire = JSON.parse(grants[0]!) as { access_token: string; token_type: string };
        expect(outcome).toEqual<BrowserLoginOutcome>({
          status: 'granted',
          accessToken: wire.access_token,
          tokenType: wire.token_type,
          events: expect.arrayContaining(['code', 'attempt', 'pending', 'granted']),
        });
        expect(outcome.accessToken).toMatch(/^at-[0-9a-f-]{36}$/);
        expect(outcome.events.at(-1)).toBe('granted');
        expect(code.verificationUri).toBe(`${emulator.url}/device`);
        expect(emulator.codes).toEqual([expect.objectContaining({ userCode: code.userCode, status: 'consumed', side: 'rfc' })]);
      });
    });
  });
});
