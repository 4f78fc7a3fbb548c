/**
 * Suite 7 (start-up): how long a command takes from the process's start to its
 * end, side by side in one run with bare Node and with the AWS CLI v2 doing the
 * same job, and how soon `npm run demo` prints its first line when dist/ is
 * current.
 *
 * - `node -e 0`: bare Node, the floor any Node CLI stands on.
 * - `tokenpoll --version`: the CLI with no command loaded.
 * - `tokenpoll aws credentials`, warm: a credential_process answered from the
 *   role-credential cache (~/.aws/cli/cache), no request.
 * - `aws configure export-credentials --format process`, warm: the AWS CLI v2
 *   (Debian's awscli, installed with apt-get when missing and running as root)
 *   answering the same job from the same cache file.
 * - `tokenpoll aws credentials`, cold: the cache file removed before each run,
 *   so GetRoleCredentials goes to the emulator on loopback (the whole portal
 *   and token-source code loads).
 *
 * Every alternative runs as a fresh process, round-robin (one run of each in
 * turn), after warm-up runs that are not counted; the time is from spawn to
 * exit, as seen by this process. Every run's output is checked.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { roleCredentialCachePath, writeRoleCredentialCache } from '../src/node/role-credentials.js';
import { startEmulator } from '../src/testing-emulator.js';
import { figure, median, quantile, ratio, ROOT, table, verdict } from './report.js';

export interface StartupSettings {
  /** Counted runs of each alternative. */
  readonly runs: number;
  /** Runs of `npm run demo` (each one to its first line). */
  readonly demoRuns: number;
}

export interface StartupRow {
  readonly name: string;
  readonly command: string;
  /** Wall time of each counted run, ms. */
  readonly samples: readonly number[];
}

export interface StartupMeasurement {
  readonly rows: readonly StartupRow[];
  /** Why the AWS CLI row is missing, when it is. */
  readonly awsMissing: string | undefined;
  readonly awsVersion: string | undefined;
  /** Time from starting `npm run demo` to the demo's first line, ms, dist/ current. */
  readonly demoFirstLine: readonly number[];
  /** The 1-minute load average when the suite started (the machine may be shared). */
  readonly loadAverage: number;
  /** When the suite ran, ISO 8601 (it may run alone, after the rest of RESULTS.md). */
  readonly measuredAt: string;
}

const START_URL = 'https://d-1234567890.awsapps.com/start';
const ACCOUNT = '111122223333';
const ROLE = 'ReadOnly';
const SESSION = 'bench';
/** The package's bin, as npm links it (package.json "bin"). */
const BIN = path.join(ROOT, 'dist', 'cli', 'bin.cjs');
const AWS = '/usr/bin/aws';

interface Alternative {
  readonly name: string;
  readonly command: string;
  readonly file: string;
  readonly args: readonly string[];
  /** Runs before each run, untimed. */
  readonly before?: () => Promise<void>;
  /** Throws when a run's output is wrong. */
  readonly check: (stdout: string) => void;
}

export async function runStartup(settings: StartupSettings, log: (line: string) => void): Promise<StartupMeasurement> {
  const loadAverage = loadavg()[0]!;
  const measuredAt = new Date().toISOString();
  buildIfStale(log);
  const awsMissing = ensureAwsCli(log);
  const home = await mkdtemp(path.join(tmpdir(), 'tokenpoll-bench-startup-'));
  const emulator = await startEmulator({ intervalSeconds: 0.05, autoApproveAfterMs: 50, accounts: [{ accountId: ACCOUNT, accountName: 'Bench', roles: [ROLE] }] });
  try {
    const env = { PATH: process.env['PATH'] ?? '', HOME: home, AWS_EC2_METADATA_DISABLED: 'true', AWS_PAGER: '' };
    const common = ['--start-url', START_URL, '--region', 'eu-west-1', '--session-name', SESSION, '--endpoint', emulator.awsEndpoint];
    // A logged-in session (for the cold rows) and a warm role-credential cache (for the warm rows).
    const login = await timed(process.execPath, [BIN, 'login', '--aws', ...common, '--no-qr'], env);
    if (login.code !== 0) throw new Error(`login --aws failed: ${login.stderr}`);
    const cacheDir = path.join(home, '.aws', 'cli', 'cache');
    const cacheFile = roleCredentialCachePath({ startUrl: START_URL, sessionName: SESSION, accountId: ACCOUNT, roleName: ROLE, cacheDir });
    const warmCache = (): Promise<void> => writeRoleCredentialCache(cacheFile, { accessKeyId: 'ASIABENCHWARM', secretAccessKey: 'bench-secret', sessionToken: 'bench-session-token', expiration: Date.now() + 3_600_000 });
    await warmCache();
    await mkdir(path.join(home, '.aws'), { recursive: true });
    await writeFile(path.join(home, '.aws', 'config'), [`[profile ${SESSION}]`, `sso_session = ${SESSION}`, `sso_account_id = ${ACCOUNT}`, `sso_role_name = ${ROLE}`, 'region = eu-west-1', '', `[sso-session ${SESSION}]`, `sso_start_url = ${START_URL}`, 'sso_region = eu-west-1', ''].join('\n'));

    const credentialArgs = ['aws', 'credentials', ...common, '--portal-endpoint', emulator.awsPortalEndpoint, '--account-id', ACCOUNT, '--role-name', ROLE];
    const warmKey = (stdout: string): void => {
      if ((JSON.parse(stdout) as { AccessKeyId?: string }).AccessKeyId !== 'ASIABENCHWARM') throw new Error(`not the cached credentials: ${stdout}`);
    };
    const alternatives: Alternative[] = [
      { name: 'bare Node', command: '`node -e 0`', file: process.execPath, args: ['-e', '0'], check: () => {} },
      {
        name: 'tokenpoll --version',
        command: '`tokenpoll --version`',
        file: process.execPath,
        args: [BIN, '--version'],
        check: (stdout) => {
          if (!/^\d+\.\d+\.\d+/.test(stdout)) throw new Error(`no version: ${stdout}`);
        },
      },
      {
        name: 'tokenpoll --help',
        command: '`tokenpoll --help` (the ES module CLI, no command loaded)',
        file: process.execPath,
        args: [BIN, '--help'],
        check: () => {},
      },
      { name: 'tokenpoll, warm cache', command: '`tokenpoll aws credentials …`', file: process.execPath, args: [BIN, ...credentialArgs], check: warmKey },
      ...(awsMissing === undefined ? [{ name: 'AWS CLI v2, warm cache', command: `\`aws configure export-credentials --profile ${SESSION} --format process\``, file: AWS, args: ['configure', 'export-credentials', '--profile', SESSION, '--format', 'process'], check: warmKey }] : []),
      {
        name: 'tokenpoll, cold (GetRoleCredentials on loopback)',
        command: '`tokenpoll aws credentials …`, cache file removed first',
        file: process.execPath,
        args: [BIN, ...credentialArgs],
        before: () => unlink(cacheFile).catch(() => undefined),
        check: (stdout) => {
          if (!/^ASIA/.test((JSON.parse(stdout) as { AccessKeyId?: string }).AccessKeyId ?? '')) throw new Error(`no credentials: ${stdout}`);
        },
      },
    ];
    const samples = alternatives.map((): number[] => []);
    const warmUp = 2;
    for (let round = 0; round < warmUp + settings.runs; round++) {
      for (const [index, alternative] of alternatives.entries()) {
        await alternative.before?.();
        const ms = await timeRun(alternative, env);
        if (round >= warmUp) samples[index]!.push(ms);
      }
      // The cold row removed the cache: the warm rows of the next round find it warm again.
      await warmCache();
      if (round === warmUp + settings.runs - 1 || round % 5 === 0) log(`  startup: round ${round + 1}/${warmUp + settings.runs}`);
    }
    const rows = alternatives.map((alternative, index) => ({ name: alternative.name, command: alternative.command, samples: samples[index]! }));
    const demoFirstLine: number[] = [];
    for (let run = 0; run < settings.demoRuns; run++) {
      buildIfStale(log);
      demoFirstLine.push(await demoFirstLineMs());
    }
    return { rows, awsMissing, awsVersion: awsMissing === undefined ? awsVersion() : undefined, demoFirstLine, loadAverage, measuredAt };
  } finally {
    await emulator.close();
    await rm(home, { recursive: true, force: true });
  }
}

/**
 * One run, spawn to exit, in ms; throws when it fails or prints the wrong thing. Asynchronous, never
 * spawnSync: the emulator the cold row calls runs in this process.
 */
async function timeRun(alternative: Alternative, env: NodeJS.ProcessEnv): Promise<number> {
  const { ms, code, stdout, stderr } = await timed(alternative.file, alternative.args, env);
  if (code !== 0) throw new Error(`${alternative.name} exited with ${code}: ${stderr}`);
  alternative.check(stdout);
  return ms;
}

function timed(file: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ ms: number; code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => resolve({ ms: Number(process.hrtime.bigint() - start) / 1e6, code, stdout, stderr }));
  });
}

/** `npm run demo` from its start to the demo's first line on stderr; then the demo is interrupted. */
function demoFirstLineMs(): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    // Its own process group, so that the interrupt reaches npm's child (the demo) too.
    const child = spawn('npm', ['run', 'demo', '--', '--no-qr'], { cwd: ROOT, detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    let text = '';
    let elapsed: number | undefined;
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk;
      if (elapsed !== undefined || !/tokenpoll demo:/.test(text)) return;
      elapsed = Number(process.hrtime.bigint() - start) / 1e6;
      if (/Building dist\//.test(text)) elapsed = Number.NaN; // dist/ changed under the bench: not a current-build figure
      process.kill(-child.pid!, 'SIGINT');
    });
    child.once('error', reject);
    child.once('close', () => (elapsed === undefined ? reject(new Error(`npm run demo printed no first line:\n${text}`)) : resolve(elapsed)));
  });
}

function buildIfStale(log: (line: string) => void): void {
  const result = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'build-if-stale.mjs')], { cwd: ROOT, encoding: 'utf8' });
  if (result.stderr) log(`  startup: ${result.stderr.trim()}`);
  // tsc emits dist/ even when it reports type errors: what is measured is start-up, not the type-check.
  if (result.status !== 0) log(`  startup: tsc reported errors (dist/ was built anyway):\n${result.stdout}`);
  if (!existsSync(BIN)) throw new Error(`the build failed: ${result.stdout}${result.stderr}`);
}

/** Installs Debian's awscli when it is missing and this runs as root; says why there is no AWS CLI row otherwise. */
function ensureAwsCli(log: (line: string) => void): string | undefined {
  if (existsSync(AWS)) return undefined;
  if (process.getuid?.() !== 0) return 'the AWS CLI is not installed (/usr/bin/aws), and the bench is not root to install it';
  log('  startup: installing awscli with apt-get');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update'], { stdio: 'ignore', env });
  const install = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'awscli'], { encoding: 'utf8', env });
  return existsSync(AWS) ? undefined : `apt-get install awscli failed: ${(install.stderr ?? '').trim().split('\n').pop() ?? ''}`;
}

function awsVersion(): string | undefined {
  const result = spawnSync(AWS, ['--version'], { encoding: 'utf8' });
  return result.stdout.trim().split(' ')[0];
}

export function startupSection(measured: StartupMeasurement, settings: StartupSettings): string {
  const byName = new Map(measured.rows.map((row) => [row.name, median(row.samples)]));
  const node = byName.get('bare Node');
  const warm = byName.get('tokenpoll, warm cache');
  const awsCli = byName.get('AWS CLI v2, warm cache');
  const rows = measured.rows.map((row) => {
    const sorted = [...row.samples].sort((a, b) => a - b);
    const mid = median(row.samples);
    return [row.name, row.command, figure(mid), figure(quantile(sorted, 0.9)), figure(sorted[0]!), ratio(mid, node), ratio(mid, warm)];
  });
  const demo = measured.demoFirstLine.filter((ms) => !Number.isNaN(ms));
  const demoMedian = demo.length > 0 ? median(demo) : undefined;
  return [
    '## 7. Start-up: a command from spawn to exit, beside bare Node and the AWS CLI v2',
    '',
    `Measured ${measured.measuredAt}. Each alternative runs as a fresh process, ${settings.runs} counted runs each after 2 warm-up runs, round-robin (one run of each in turn); the time is from spawn to exit as the bench sees it (bench/startup.ts). The warm rows answer from the same role-credential cache file (\`~/.aws/cli/cache/<key>.json\`, written in the AWS CLI's format), with no request; the cold row removes that file before each run, so GetRoleCredentials goes to the emulator on loopback. \`tokenpoll\` is the package's bin, \`node dist/cli/bin.cjs\`: it answers \`--version\` and a warm \`aws credentials\` itself (CommonJS, Node's built-ins only) and hands the rest (\`--help\`, the cold row) to the ES module CLI. ${measured.awsVersion === undefined ? '' : `AWS CLI: ${measured.awsVersion} (Debian's awscli).`} The 1-minute load average was ${measured.loadAverage.toFixed(2)} when the suite started: on a busy machine, compare the rows with one another rather than with another run.`,
    '',
    table(['alternative', 'command', 'median ms', 'p90 ms', 'min ms', 'vs `node -e 0`', 'vs tokenpoll warm'], rows, [1]),
    '',
    ...(measured.awsMissing === undefined ? [] : [`No AWS CLI row: ${measured.awsMissing}.`, '']),
    `- **\`tokenpoll aws credentials\` from a warm cache within 1.3× of \`node -e 0\`**: ${ratio(warm, node)}: ${verdict(warm !== undefined && node !== undefined && warm <= 1.3 * node)}.`,
    `- **at most 0.2× of the AWS CLI v2 doing the same job**: ${awsCli === undefined ? 'not measured (no AWS CLI)' : `${ratio(warm, awsCli)}: ${verdict(warm !== undefined && warm <= 0.2 * awsCli)}`}.`,
    `- **\`npm run demo\` prints its first line in under 3 s when the build is current**: ${demoMedian === undefined ? 'not measured' : `median ${figure(demoMedian)} ms over ${demo.length} runs (max ${figure(Math.max(...demo))} ms): ${verdict(Math.max(...demo) < 3000)}`}. Measured from starting \`npm run demo -- --no-qr\` (npm itself, then scripts/build-if-stale.mjs, which finds dist/ current, then the demo) to the demo's first line on stderr.`,
  ].join('\n');
}

/**
 * Puts suite 7's section into an existing RESULTS.md (for `TOKENPOLL_BENCH_ONLY=startup`): it replaces the
 * section from its `## 7.` heading to the next `## ` heading, or is appended when there is none. The other
 * sections, and the header's date and machine, stay those of the last full run.
 */
export async function replaceSection(file: string, section: string): Promise<void> {
  const text = existsSync(file) ? await readFile(file, 'utf8') : '';
  const start = text.search(/^## 7\. /m);
  if (start < 0) {
    await writeFile(file, `${text.replace(/\n*$/, '\n\n')}${section}\n`);
    return;
  }
  const rest = text.slice(start + 1);
  const next = rest.search(/^## /m);
  const end = next < 0 ? text.length : start + 1 + next;
  await writeFile(file, `${text.slice(0, start)}${section}\n${next < 0 ? '' : `\n${text.slice(end)}`}`);
}
