/**
 * The fleet across processes: 1,000 flows with mixed outcomes over two
 * worker processes, against the emulator and a Redis of the test's own. One
 * worker is killed with SIGKILL mid-run (once it has sent polls), and Redis
 * is paused (SIGSTOP) for a few seconds mid-run (once the other worker has
 * polled on after the kill): the faults follow what the workers did, not a
 * schedule, so a slow machine only makes the run longer. The worker is bundled with esbuild (bullmq and ioredis
 * left external, so the bundle sits under node_modules/.cache to find them).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FleetQueue, type FleetEvent, type FleetFlowView } from '../../src/bullmq.js';
import { requestDeviceAuthorization } from '../../src/index.js';
import { seededRandom } from '../../src/testing/seeded-random.js';
import { startEmulator, type Emulator } from '../../src/testing-emulator.js';
import { redisMissing, startRedis, type TestRedis } from '../helpers/redis.js';

const FLOWS = 1_000;
const INTERVAL_S = 1;
const EXPIRES_S = 10;

const root = join(import.meta.dirname, '../..');
const bundleDir = join(root, `node_modules/.cache/tokenpoll-fleet-test-${process.pid}`);
const workerScript = join(bundleDir, 'fleet-worker.mjs');

beforeAll(async () => {
  mkdirSync(bundleDir, { recursive: true });
  await build({
    entryPoints: [join(import.meta.dirname, 'fixtures/fleet-worker.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: workerScript,
    external: ['bullmq', 'ioredis'],
    logLevel: 'silent',
  });
});
afterAll(() => {
  rmSync(bundleDir, { recursive: true, force: true });
});

interface AuditLine {
  readonly type: 'send' | 'grant' | 'settled';
  readonly flowId: string;
  readonly pid: number;
  readonly at?: number;
  readonly status?: string;
  readonly error?: string;
}

/** What the user does with each code: approve or deny at a time after it is issued, or nothing (it expires). */
type Plan = { readonly kind: 'approve' | 'deny'; readonly afterMs: number } | { readonly kind: 'ignore' };

describe.skipIf(redisMissing)('the fleet across processes', () => {
  let redis: TestRedis;
  let emulator: Emulator;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await emulator?.close();
    await redis?.stop();
  });

  test('should end every flow as the user decided, never faster than the floor, never after the deadline, with a worker killed and Redis paused', async () => {
    emulator = await startEmulator({ intervalSeconds: INTERVAL_S, expiresInSeconds: EXPIRES_S });
    const random = seededRandom(12);
    // The emulator's own slow_down enforcer, watched from outside: a poll of a code sooner than the interval after its previous one.
    // (1 ms for the workers' whole-ms clock, as the enforcer allows. It holds however slow this process is: a poll's
    // next one is due an interval after the worker read its answer, so after this process answered it.)
    const lastPollAt = new Map<string, number>();
    let tooEarly = 0;
    // What the emulator answered each code, by its status when polled: the user's decision, as the flow must end.
    const decided = new Map<string, 'approved' | 'denied'>();
    emulator.onPoll(({ userCode, status }) => {
      if ((status === 'approved' || status === 'denied') && !decided.has(userCode)) decided.set(userCode, status);
      const now = performance.now();
      const last = lastPollAt.get(userCode);
      if (last !== undefined && now < last + INTERVAL_S * 1000 - 1) tooEarly += 1;
      lastPollAt.set(userCode, now);
    });

    const name = 'processes';
    const keyHex = randomBytes(32).toString('hex');
    const auditFiles = [0, 1].map((index) => join(bundleDir, `audit-${index}.jsonl`));
    const spawnWorker = (index: number): Promise<ChildProcess> => {
      const child = spawn(process.execPath, [workerScript, redis.host, String(redis.port), name, emulator.url, auditFiles[index]!, keyHex], { stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      let errors = '';
      child.stderr!.on('data', (chunk: Buffer) => (errors += chunk.toString()));
      return new Promise((resolve, reject) => {
        child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve(child));
        child.once('exit', (code) => reject(new Error(`worker exited with ${code}: ${errors}`)));
      });
    };
    const [doomed, survivor] = await Promise.all([spawnWorker(0), spawnWorker(1)]);

    const queue = new FleetQueue({ connection: { host: redis.host, port: redis.port }, name, sealKey: Uint8Array.from(Buffer.from(keyHex, 'hex')) });
    const events: FleetEvent[] = [];
    const stop = await queue.subscribe((event) => events.push(event));
    const timers: ReturnType<typeof setTimeout>[] = [];
    try {
      // Start the flows, each with its plan.
      const plans = new Map<string, Plan>();
      const flowIds: string[] = [];
      const userCodes = new Map<string, string>();
      for (let started = 0; started < FLOWS; started += 50) {
        await Promise.all(
          Array.from({ length: Math.min(50, FLOWS - started) }, async () => {
            const authorization = await requestDeviceAuthorization({ deviceAuthorizationEndpoint: `${emulator.url}/device_authorization`, clientId: 'tokenpoll-test' });
            const draw = random();
            const plan: Plan = draw < 0.6 ? { kind: 'approve', afterMs: 500 + random() * 5_000 } : draw < 0.8 ? { kind: 'deny', afterMs: 500 + random() * 5_000 } : { kind: 'ignore' };
            const flowId = await queue.start({ authorization });
            plans.set(flowId, plan);
            userCodes.set(flowId, authorization.userCode);
            flowIds.push(flowId);
            if (plan.kind !== 'ignore') {
              timers.push(setTimeout(() => (plan.kind === 'approve' ? emulator.approve(authorization.userCode) : emulator.deny(authorization.userCode)), plan.afterMs));
            }
          }),
        );
      }
      // Faults: slow_down answers and 5xx bursts, to whichever polls come next.
      let injectedSlowDowns = 0;
      for (const at of [800, 2_500, 4_500]) {
        timers.push(
          setTimeout(() => {
            emulator.inject({ type: 'github_200', error: 'slow_down' }, { count: 10 });
            injectedSlowDowns += 10;
            emulator.inject({ type: 'server_error', status: 503 }, { count: 40 });
          }, at),
        );
      }
      // Mid-run: kill one worker once it has sent polls; pause Redis for 3 s once the other has polled on after the kill.
      const sends = (index: number, since = 0): number =>
        existsSync(auditFiles[index]!) ? readFileSync(auditFiles[index]!, 'utf8').split('\n').filter((line) => line.includes('"send"') && sentAtOf(line) >= since).length : 0;
      // (At the earliest 2 s after the last start and 1.5 s after the kill: a busy machine only puts them off.)
      const startedAt = Date.now();
      await until(() => sends(0) >= 100 && Date.now() >= startedAt + 2_000, 30_000);
      doomed.kill('SIGKILL');
      const killedAt = Date.now();
      await until(() => sends(1, killedAt) >= 100 && Date.now() >= killedAt + 1_500, 30_000);
      redis.pause();
      const pausedAt = Date.now();
      await sleep(3_000);
      redis.resume();
      const resumedAt = Date.now();

      // Every flow settles (the last deadlines are ~EXPIRES_S after they started).
      const views = new Map<string, FleetFlowView>();
      const end = Date.now() + 60_000;
      while (views.size < FLOWS && Date.now() < end) {
        for (const flowId of flowIds) {
          if (views.has(flowId)) continue;
          const view = await queue.state(flowId);
          if (view && ['granted', 'denied', 'expired', 'failed', 'cancelled'].includes(view.status) && (view.status !== 'granted' || view.delivered)) views.set(flowId, view);
        }
        if (views.size < FLOWS) await sleep(250);
      }
      expect(views.size).toBe(FLOWS);

      console.log(`kill at ${killedAt}, pause ${pausedAt}..${resumedAt}`);
      const audit = auditFiles.filter((file) => existsSync(file)).flatMap((file) => readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as AuditLine));
      const killedPid = doomed.pid!;

      // 1. Each flow ends as the emulator answered it: granted after a poll found it approved, denied after one found
      // it denied, expired when no poll found a decision before the deadline; or in the spent-code case.
      const codes = new Map(emulator.codes.map((code) => [code.userCode, code.status]));
      const expectedStatus = { approved: 'granted', denied: 'denied', undefined: 'expired' } as Record<string, string>;
      const mismatches: string[] = [];
      let spentCodes = 0;
      let lostDenials = 0;
      for (const flowId of flowIds) {
        const view = views.get(flowId)!;
        const userCode = userCodes.get(flowId)!;
        const code = codes.get(userCode)!;
        if (view.status === expectedStatus[String(decided.get(userCode))]) continue;
        // The killed worker took the answer to its last poll with it. The one case no one can fix: that answer was the
        // grant (the code is spent), and the flow ends on the next poll's invalid_grant, or at its deadline when that
        // passed first (Redis was paused). A lost denial ends the same way at the deadline, when no later poll brought the
        // decision back before it (a transient fault injected into the survivor's next poll, then the backoff, can use up
        // the code's short lifetime).
        const sends = audit.filter((line) => line.type === 'send' && line.flowId === flowId).sort((a, b) => a.at! - b.at!);
        const lostWithKill = sends.some((line) => line.pid === killedPid);
        const lastByKilled = sends.at(-1)?.pid === killedPid;
        if (lostWithKill && code === 'consumed' && ((view.status === 'failed' && view.error?.code === 'invalid_grant') || (lastByKilled && view.source === 'deadline'))) {
          spentCodes += 1;
          continue;
        }
        if (lostWithKill && decided.get(userCode) === 'denied' && view.source === 'deadline') {
          lostDenials += 1;
          continue;
        }
        const trail = audit.filter((line) => line.flowId === flowId).map((line) => `${line.type}@${line.pid === killedPid ? 'killed' : 'survivor'}:${line.at ?? ''}:${line.status ?? ''}`);
        mismatches.push(`${flowId}: code ${code}, answered ${decided.get(userCode)}, plan ${JSON.stringify(plans.get(flowId))}, flow ${view.status}/${view.source ?? ''} attempt ${view.attempt} deadline ${view.deadlineAt}; ${trail.join(' ')}`);
      }
      expect(mismatches).toEqual([]);
      expect(spentCodes).toBeLessThanOrEqual(300); // at most the polls the killed worker had in flight

      // 2. Never polled faster than the floor: the emulator's enforcer had nothing to do, and by the workers' own
      // clock, no flow's poll went sooner than the interval after its previous one, whichever worker sent them.
      expect(tooEarly).toBe(0);
      expect(injectedSlowDowns).toBe(30);
      const sentAt = new Map<string, number[]>();
      for (const line of audit) if (line.type === 'send') sentAt.set(line.flowId, [...(sentAt.get(line.flowId) ?? []), line.at!]);
      const gaps = [...sentAt.values()].flatMap((times) => times.sort((a, b) => a - b).slice(1).map((at, index) => at - times[index]!));
      expect(gaps.length).toBeGreaterThan(FLOWS);
      expect(gaps.filter((gap) => gap < INTERVAL_S * 1000)).toEqual([]);

      // 3. No grant delivered twice, unless the killed worker delivered it first.
      const deliveries = new Map<string, AuditLine[]>();
      for (const line of audit.filter((entry) => entry.type === 'grant')) deliveries.set(line.flowId, [...(deliveries.get(line.flowId) ?? []), line]);
      const twice = [...deliveries.values()].filter((lines) => lines.length > 1 && !lines.some((line) => line.pid === killedPid));
      expect(twice).toEqual([]);
      expect(flowIds.filter((flowId) => views.get(flowId)!.status === 'granted' && !deliveries.has(flowId))).toEqual([]);

      // 4. No poll at or after a flow's deadline.
      const late = audit.filter((line) => line.type === 'send' && line.at! >= views.get(line.flowId)!.deadlineAt);
      expect(late).toEqual([]);

      // The run saw every kind of end, and both the kill and the pause happened mid-flight.
      const ends = new Set([...views.values()].map((view) => view.status));
      expect([...ends].filter((status) => status !== 'failed').sort()).toEqual(['denied', 'expired', 'granted']);
      expect(audit.some((line) => line.type === 'send' && line.pid === survivor.pid)).toBe(true);
      expect(audit.some((line) => line.type === 'send' && line.pid === killedPid)).toBe(true);
      console.log(
        `fleet processes: ${FLOWS} flows, ${audit.filter((line) => line.type === 'send').length} polls, ` +
          `${[...views.values()].filter((view) => view.status === 'granted').length} granted, spent codes ${spentCodes}, lost denials ${lostDenials}, ` +
          `grants delivered twice after the kill ${[...deliveries.values()].filter((lines) => lines.length > 1).length}, events ${events.length}`,
      );
    } finally {
      for (const timer of timers) clearTimeout(timer);
      await stop();
      await queue.close();
      for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await Promise.all(children.map((child) => (child.exitCode === null && child.signalCode === null ? new Promise((resolve) => child.once('exit', resolve)) : undefined)));
    }
  }, 180_000);
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The time on one audit line, or -1 for a line still being written. */
function sentAtOf(line: string): number {
  try {
    return (JSON.parse(line) as AuditLine).at ?? -1;
  } catch {
    return -1;
  }
}

/** Waits until `condition` holds (looking every 50 ms), or throws after `timeoutMs`. */
async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(50);
  }
}
