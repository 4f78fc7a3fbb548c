/**
 * The package as a user gets it. `npm pack` runs on a copy of the package
 * in the OS temp folder, as on a fresh clone, so the repo's dist/, which
 * other tests run meanwhile, is never rewritten; the tarball is shared with
 * test/runtimes (test/helpers/packed-package.ts). A fresh project installs
 * the tarball, with its dependencies from the npm registry (cache first), and
 * without fast-check, the optional peer that only
 * `tokenpoll/testing/arbitraries` needs, nor bullmq and ioredis, which only
 * `tokenpoll/bullmq` needs: a user who never installs them must still compile (strict, no skipLibCheck) and run everything else. The
 * project then imports the package as ESM, requires it from CommonJS (Node's
 * require(esm), unflagged since 20.19), compiles against its types with the
 * repo's TypeScript, bundles the browser-safe entry points for the browser
 * with esbuild, and runs its bin; publint and are-the-types-wrong check the
 * tarball. One install per run; nothing is written in the repo, and the
 * project is removed afterwards.
 *
 * are-the-types-wrong runs with its `esm-only` profile: tokenpoll is ESM
 * only, so the two resolutions that profile leaves out do not apply as attw
 * (which bundles TypeScript 5.6) sees them. `node16-cjs`: a CommonJS
 * `require` resolves to ESM, which attw calls an error, but Node >= 20.19
 * loads it and TypeScript >= 5.8 types it under `module: nodenext`; both are
 * proven below. `node10`: that resolution ignores `exports`, so subpaths
 * such as `tokenpoll/testing` cannot resolve there; it is a legacy mode that
 * cannot load an ESM-only package anyway.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { command, installTarball, mustRun, packTarball, repoRoot as root } from '../helpers/packed-package.js';

const tsc = join(root, 'node_modules/typescript/bin/tsc');
const toolBin = (name: string): string => join(root, 'node_modules/.bin', name);
const SETUP_TIMEOUT_MS = 300_000;

describe('package', () => {
  let work: string;
  let tarball: string;
  let unpacked: string;
  let app: string;
  /** The tarball's files, relative to its `package/` folder. */
  let files: string[];
  let manifest: { version: string; exports: Record<string, string | Record<string, string>>; bin: Record<string, string> };

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'tokenpoll-pack-'));
    tarball = await packTarball();
    files = (await mustRun('tar', ['tzf', tarball], work)).split('\n').filter((line) => line !== '' && !line.endsWith('/')).map((line) => line.replace(/^package\//, ''));
    unpacked = join(work, 'unpacked');
    await mkdir(unpacked);
    await mustRun('tar', ['xzf', tarball, '-C', unpacked], work);
    unpacked = join(unpacked, 'package');
    manifest = JSON.parse(await readFile(join(unpacked, 'package.json'), 'utf8')) as typeof manifest;

    app = join(work, 'app');
    await mkdir(app);
    for (const [name, text] of Object.entries(PROJECT_FILES)) await writeFile(join(app, name), text);
    await installTarball(tarball, app);
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  describe('should pack only what a user needs', () => {
    test('when the tarball is listed, it holds dist/, src/, README.md and package.json, and every entry point', () => {
      expect(files.filter((file) => !/^(dist|src)\/|^(README\.md|package\.json|LICENSE)$/.test(file))).toEqual([]);
      expect(files.filter((file) => /(^|\/)(tests?|__tests__|bench|node_modules)\/|\.(test|spec|bench)(-d)?\.[cm]?[jt]s$|\.tsbuildinfo$|(^|\/)\.(env|npmrc)/.test(file))).toEqual([]);
      const targets = [
        ...Object.values(manifest.exports).flatMap((target) => (typeof target === 'string' ? [target] : Object.values(target))),
        ...Object.values(manifest.bin),
      ].map((target) => posix.normalize(target));
      expect(targets).toEqual(
        expect.arrayContaining(['dist/index.js', 'dist/index.d.ts', 'dist/testing.js', 'dist/testing.d.ts', 'dist/testing-arbitraries.js', 'dist/testing-emulator.js', 'dist/node.js', 'dist/bullmq.js', 'dist/bullmq.d.ts', 'dist/cli/bin.cjs']),
      );
      // The bin (CommonJS) hands most commands to the CLI's ES module.
      expect(files).toEqual(expect.arrayContaining(['package.json', 'README.md', 'LICENSE', 'dist/cli/main.js', ...targets]));
      for (const js of files.filter((file) => file.startsWith('dist/') && file.endsWith('.js'))) expect(files, `${js} has types`).toContain(js.replace(/\.js$/, '.d.ts'));
    });

    test('when its source maps are read, every source they name is in the tarball', async () => {
      const maps = files.filter((file) => file.endsWith('.map'));
      expect(maps.length).toBeGreaterThan(0);
      const missing: string[] = [];
      for (const map of maps) {
        const { sources, sourceRoot = '' } = JSON.parse(await readFile(join(unpacked, map), 'utf8')) as { sources: string[]; sourceRoot?: string };
        for (const source of sources) {
          const resolved = posix.normalize(posix.join(posix.dirname(map), sourceRoot, source));
          if (!files.includes(resolved)) missing.push(`${map} -> ${resolved}`);
        }
      }
      expect(missing).toEqual([]);
    });

    test('when every file is scanned, none holds a key, a token or registry credentials', async () => {
      const found: string[] = [];
      for (const file of files) {
        const text = await readFile(join(unpacked, file), 'utf8');
        for (const [name, pattern] of SECRET_PATTERNS) if (pattern.test(text)) found.push(`${file}: ${name}`);
      }
      expect(found).toEqual([]);
    });
  });

  describe('should work when installed in a fresh project', () => {
    test('when imported as ESM, its three entry points load and a flow runs on the virtual clock', async () => {
      const result = await command(process.execPath, ['esm.mjs'], app);

      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(JSON.parse(result.stdout)).toEqual({ ...EXPECTED_FLOW, cacheKey: sha1('https://example.awsapps.com/start') });
    });

    test('when required from CommonJS (require(esm), Node >= 20.19), a flow runs with no warning', async () => {
      const result = await command(process.execPath, ['cjs.cjs'], app);

      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(JSON.parse(result.stdout)).toEqual({ ...EXPECTED_FLOW, requireModule: true });
    });

    test.each(['node16', 'nodenext', 'bundler'])('when TypeScript compiles an ESM file against it with moduleResolution %s, the types resolve', async (resolution) => {
      const result = await command(process.execPath, [tsc, '-p', `tsconfig.${resolution}.json`], app);

      expect(result.stdout + result.stderr).toBe('');
      expect(result.code).toBe(0);
    });

    test('when TypeScript compiles a CommonJS file that requires it (module nodenext), the types resolve', async () => {
      const result = await command(process.execPath, [tsc, '-p', 'tsconfig.cjs.json'], app);

      expect(result.stdout + result.stderr).toBe('');
      expect(result.code).toBe(0);
    });

    test('when fast-check is not installed, only tokenpoll/testing/arbitraries fails to compile, and for that reason alone', async () => {
      const result = await command(process.execPath, [tsc, '-p', 'tsconfig.arbitraries.json'], app);

      expect(existsSync(join(app, 'node_modules/fast-check'))).toBe(false);
      expect(result.code).not.toBe(0);
      const errors = (result.stdout + result.stderr).split('\n').filter((line) => /error TS/.test(line));
      expect(errors.length, errors.join('\n')).toBeGreaterThan(0);
      for (const error of errors) expect(error).toMatch(/TS2307: Cannot find module 'fast-check'/);
    });

    test('when bullmq and ioredis are not installed, tokenpoll/bullmq type-checks (its types name neither), and only loading it fails, for want of bullmq', async () => {
      const compiled = await command(process.execPath, [tsc, '-p', 'tsconfig.fleet.json'], app);
      const loaded = await command(process.execPath, ['--input-type=module', '-e', "await import('tokenpoll/bullmq')"], app);

      expect(existsSync(join(app, 'node_modules/bullmq'))).toBe(false);
      expect(compiled.stdout + compiled.stderr).toBe('');
      expect(compiled.code).toBe(0);
      expect(loaded.code).not.toBe(0);
      expect(loaded.stderr).toMatch(/Cannot find package 'bullmq'/);
    });

    test('when esbuild bundles tokenpoll and tokenpoll/testing for the browser, no Node module or optional peer is pulled in, and the bundle runs the flow', async () => {
      const result = await build({ absWorkingDir: app, entryPoints: ['browser.mjs'], bundle: true, platform: 'browser', format: 'esm', write: false, metafile: true, logLevel: 'silent' });

      const inputs = Object.keys(result.metafile.inputs);
      expect(inputs.filter((input) => /^node:|fast-check|bullmq|ioredis|testing-emulator|testing-arbitraries|\/dist\/(node|cli|testing\/emulator)\//.test(input))).toEqual([]);
      expect(inputs).toEqual(expect.arrayContaining(['node_modules/tokenpoll/dist/index.js', 'node_modules/tokenpoll/dist/testing.js']));
      const bundle = result.outputFiles[0]!.text;
      expect(bundle).not.toMatch(/\bfrom\s*["']node:|\bimport\(\s*["']node:|require\(\s*["']node:/);
      await writeFile(join(app, 'browser.bundle.mjs'), bundle);
      const run = await command(process.execPath, ['browser.bundle.mjs'], app);
      expect(run).toMatchObject({ code: 0, stderr: '' });
      expect(JSON.parse(run.stdout)).toEqual(EXPECTED_FLOW);
    });

    test('when esbuild bundles tokenpoll/testing/emulator for the browser, it fails on node:http (the check above can fail)', async () => {
      const bundling = build({ absWorkingDir: app, stdin: { contents: "export { startEmulator } from 'tokenpoll/testing/emulator';", resolveDir: app }, bundle: true, platform: 'browser', format: 'esm', write: false, logLevel: 'silent' });

      await expect(bundling).rejects.toThrow(/node:http/);
    });

    test('when its bin runs through npx, --help exits 0 and --version prints the packed version', async () => {
      const help = await command('npx', ['tokenpoll', '--help'], app);
      const version = await command('npx', ['tokenpoll', '--version'], app);

      expect(help.code, help.stderr).toBe(0);
      expect(help.stdout + help.stderr).toMatch(/Usage: tokenpoll/);
      expect(version.code, version.stderr).toBe(0);
      expect(version.stdout.trim()).toBe(manifest.version);
    });
  });

  describe('should satisfy the packaging linters', () => {
    test('when publint --strict checks the tarball, it finds nothing', async () => {
      const result = await command(toolBin('publint'), ['--strict', tarball], work);

      expect(result.code, result.stdout + result.stderr).toBe(0);
      expect(result.stdout).toContain('All good!');
    });

    test('when are-the-types-wrong checks the tarball (esm-only profile), it finds problems only in the resolutions it leaves out', async () => {
      const result = await command(toolBin('attw'), [tarball, '--profile', 'esm-only', '--format', 'json'], work);

      expect(result.code, result.stdout + result.stderr).toBe(0);
      const { problems } = JSON.parse(result.stdout) as { problems?: Record<string, { kind: string; entrypoint: string; resolutionKind?: string }[]> };
      const outside = Object.values(problems ?? {}).flat().filter((problem) => problem.resolutionKind !== 'node10' && problem.resolutionKind !== 'node16-cjs');
      expect(outside).toEqual([]);
    });
  });
});

// Helpers

const sha1 = (text: string): string => createHash('sha1').update(text).digest('hex');

/** What both flow scripts print: pending, slow_down (+5 s), then the token, on a virtual clock. */
const EXPECTED_FLOW = {
  status: 'fulfilled',
  accessToken: 'packed-token',
  events: ['pending', 'slowDown', 'granted'],
  requestsAt: [5_000, 10_000, 20_000],
  pendingTimers: 0,
};

/** One flow, written once for both module systems: `tokenpoll` and `tokenpoll/testing` are in scope. */
const FLOW = `
  const clock = new ManualClock();
  const transport = scriptedTransport(
    [{ type: 'authorization_pending' }, { type: 'slow_down' }, { type: 'success', token: { accessToken: 'packed-token', tokenType: 'Bearer' } }],
    { clock },
  );
  const poll = pollToken({ transport, clock, intervalSeconds: 5, expiresInSeconds: 900 });
  const events = [];
  for (const name of ['pending', 'slowDown', 'granted', 'failed']) poll.on(name, () => events.push(name));
  const settled = await clock.runUntilSettled(poll.result);
  const flow = {
    status: settled.status,
    accessToken: settled.status === 'fulfilled' ? settled.value.accessToken : String(settled.reason),
    events,
    requestsAt: transport.requests.map((request) => request.at),
    pendingTimers: clock.pendingTimers,
  };
`;

/** The fresh project's files. */
const PROJECT_FILES: Record<string, string> = {
  'package.json': JSON.stringify({ name: 'tokenpoll-consumer', version: '1.0.0', private: true, type: 'module' }, null, 2),
  'esm.mjs': `import { pollToken } from 'tokenpoll';
import { ManualClock, scriptedTransport } from 'tokenpoll/testing';
import { ssoCacheKey } from 'tokenpoll/node';
${FLOW}
console.log(JSON.stringify({ ...flow, cacheKey: ssoCacheKey({ startUrl: 'https://example.awsapps.com/start' }) }));
`,
  'cjs.cjs': `const { pollToken } = require('tokenpoll');
const { ManualClock, scriptedTransport } = require('tokenpoll/testing');
(async () => {
${FLOW}
  console.log(JSON.stringify({ ...flow, requireModule: process.features.require_module === true }));
})().catch((error) => { console.error(error); process.exitCode = 1; });
`,
  'check.ts': `import { pollToken, isTokenPollError, type PollHandle, type TokenSet } from 'tokenpoll';
import { ManualClock, scriptedTransport, simulateFlow, seededRandom, type ScriptStep } from 'tokenpoll/testing';
import { startEmulator, type Emulator } from 'tokenpoll/testing/emulator';
import { ssoCacheKey } from 'tokenpoll/node';

const clock = new ManualClock();
const poll: PollHandle<TokenSet> = pollToken({ transport: scriptedTransport([], { clock }), clock, intervalSeconds: 5, expiresInSeconds: 900 });
export const accessToken: Promise<string> = poll.result.then((token) => token.accessToken);
export const failed = (error: unknown): boolean => isTokenPollError(error);
export const emulator: Promise<Emulator> = startEmulator({ intervalSeconds: 1 });
export const key: string = ssoCacheKey({ startUrl: 'https://example.awsapps.com/start' });
export const steps: readonly ScriptStep[] = [{ type: 'authorization_pending' }];
export const random: () => number = seededRandom(1);
export const simulated: string = simulateFlow({ config: { interval: 5, expiresIn: 900 }, script: [{ type: 'authorization_pending' }] }).state.status;
// @ts-expect-error a poll needs a transport: the types are real, not any
pollToken({ clock, expiresInSeconds: 900 });
`,
  'browser.mjs': `import { pollToken } from 'tokenpoll';
import { ManualClock, scriptedTransport } from 'tokenpoll/testing';
${FLOW}
console.log(JSON.stringify(flow));
`,
  'fleet.ts': `import { FleetQueue } from 'tokenpoll/bullmq';

export const Fleet: typeof FleetQueue = FleetQueue;
`,
  'arbitraries.ts': `import { deviceFlowArbitraries } from 'tokenpoll/testing/arbitraries';

export const build: typeof deviceFlowArbitraries = deviceFlowArbitraries;
`,
  'check.cts': `import tokenpoll = require('tokenpoll');
import testing = require('tokenpoll/testing');

const clock = new testing.ManualClock();
export const poll: tokenpoll.PollHandle<tokenpoll.TokenSet> = tokenpoll.pollToken({ transport: testing.scriptedTransport([]), clock, expiresInSeconds: 900 });
// @ts-expect-error a poll needs a transport: the types are real, not any
tokenpoll.pollToken({ clock, expiresInSeconds: 900 });
`,
  ...Object.fromEntries(
    [
      ['node16', 'node16', 'check.ts'],
      ['nodenext', 'nodenext', 'check.ts'],
      ['bundler', 'esnext', 'check.ts'],
      ['cjs', 'nodenext', 'check.cts'],
      ['arbitraries', 'nodenext', 'arbitraries.ts'],
      ['fleet', 'nodenext', 'fleet.ts'],
    ].map(([name, module, file]) => [
      `tsconfig.${name}.json`,
      JSON.stringify({
        compilerOptions: {
          module,
          moduleResolution: name === 'cjs' || name === 'arbitraries' || name === 'fleet' ? 'nodenext' : name,
          target: 'es2022',
          lib: ['es2022', 'dom'],
          types: [],
          strict: true,
          exactOptionalPropertyTypes: true,
          noUncheckedIndexedAccess: true,
          skipLibCheck: false,
          noEmit: true,
        },
        files: [file],
      }),
    ]),
  ),
};

/** Things that must never ship: private keys, cloud and registry credentials, tokens of well-known services. */
const SECRET_PATTERNS: readonly (readonly [string, RegExp])[] = [
  ['private key', /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
  ['AWS access key id', /\b(AKIA|ASIA)[0-9A-Z]{16}\b/],
  ['AWS secret access key', /aws_secret_access_key\s*[=:]\s*\S{20,}/i],
  ['GitHub token', /\b(gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{40,})\b/],
  ['npm token', /\bnpm_[A-Za-z0-9]{36}\b|_authToken\s*=/],
  ['Slack token', /\bxox[abprs]-[A-Za-z0-9-]{10,}/],
  ['Google API key', /\bAIza[0-9A-Za-z_-]{35}\b/],
];
