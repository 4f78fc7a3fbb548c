/**
 * One poll job at a time, driven by hand against a real Redis and the real
 * FlowStore, with a stand-in for BullMQ's queue (it only records the next
 * job). `Date` is faked (timers are not): the time a Redis write takes is
 * whatever the test says, with no real waiting.
 */
import { randomBytes } from 'node:crypto';
import { DelayedError, type Job, type Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test, vi } from 'vitest';
import type { PollJobData } from '../../src/bullmq/jobs.js';
import { runPollJob, type JobContext } from '../../src/bullmq/poll-job.js';
import type { FlowRecord } from '../../src/bullmq/record.js';
import { seal } from '../../src/bullmq/seal.js';
import { FlowStore } from '../../src/bullmq/store.js';
import type { FleetGrant, FleetPollSettings, FleetWorkerOptions } from '../../src/bullmq/types.js';
import type { TokenOutcome, TokenSet } from '../../src/index.js';
import { redisMissing, startRedis, type TestRedis } from '../helpers/redis.js';

const T0 = 1_700_000_000_000;
const INTERVAL_MS = 5_000;
const sealKey = randomBytes(32);

describe.skipIf(redisMissing)('a fleet poll job, step by step', () => {
  let redis: TestRedis;
  let admin: Redis;
  const stores: FlowStore[] = [];
  let flows = 0;

  beforeAll(async () => {
    redis = await startRedis();
    admin = new Redis({ host: redis.host, port: redis.port });
  });
  afterAll(async () => {
    await admin?.quit();
    await redis?.stop();
  });
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(T0);
  });
  afterEach(async () => {
    vi.useRealTimers();
    for (const store of stores.splice(0)) await store.close();
  });

  /** A worker's job context: the given transport answers and classifier outcomes, a queue that records the next job's delay. */
  function worker(options: { outcome: () => TokenOutcome; onSend?: () => void | Promise<void>; grants?: FleetGrant[] }): { context: JobContext<TokenSet>; store: FlowStore; sends: number[]; delays: number[] } {
    const connection = { host: redis.host, port: redis.port };
    const store = new FlowStore({ connection, name: 'steps' });
    stores.push(store);
    const sends: number[] = [];
    const delays: number[] = [];
    const queue = { add: async (_name: string, _data: PollJobData, jobOptions: { delay: number }) => void delays.push(jobOptions.delay) } as unknown as Queue<PollJobData>;
    const workerOptions: FleetWorkerOptions<TokenSet> = {
      connection,
      name: 'steps',
      sealKey,
      backoff: () => 0,
      transport: () => async () => {
        sends.push(Date.now());
        await options.onSend?.();
        return { status: 200 };
      },
      onGranted: (grant) => void options.grants?.push(grant),
    };
    const context: JobContext<TokenSet> = { store, queue, options: workerOptions, classify: () => options.outcome() as TokenOutcome<TokenSet>, random: () => 0.5, running: new Set<string>() };
    return { context, store, sends, delays };
  }

  /** Writes a new flow record (device code sealed), in `state`; returns its id. */
  async function createFlow(store: FlowStore, settings: FleetPollSettings, state: FlowRecord['state'] = { status: 'idle' }, seq = 0): Promise<string> {
    const id = `flow-${(flows += 1)}`;
    const record: FlowRecord = {
      format: 1,
      id,
      seq,
      state,
      authorization: { userCode: 'ABCD-EFGH', verificationUri: 'https://example.test/device', expiresInSeconds: 600, intervalSeconds: INTERVAL_MS / 1000, issuedAt: T0 },
      settings,
      deviceCode: await seal(sealKey, id, 'deviceCode', 'device-code-secret'),
      metadata: {},
      createdAt: T0,
    };
    expect(await store.create(record, 3_600_000, [])).toBe(true);
    return id;
  }

  const job = (flowId: string, seq: number): Job<PollJobData> => ({ data: { flowId, seq } }) as Job<PollJobData>;

  async function stored(flowId: string): Promise<FlowRecord> {
    return JSON.parse((await admin.hget(`tokenpoll:steps:flow:${flowId}`, 'data'))!) as FlowRecord;
  }

  test("should count intervalFrom 'request' from when the request really went, not from before a slow write", async () => {
    const { context, store, sends, delays } = worker({ outcome: () => ({ type: 'authorization_pending' }) });
    const flowId = await createFlow(store, { intervalFrom: 'request' });
    await runPollJob(context, job(flowId, 0), undefined); // start: the first poll is due one interval after issue
    expect(delays).toEqual([INTERVAL_MS]);
    vi.setSystemTime(T0 + INTERVAL_MS);
    // Redis takes 3 s to answer the write that records the poll (paused, or far away).
    const commit = store.commit.bind(store);
    store.commit = async (v, record, options) => {
      if (options.leaseMs) vi.setSystemTime(Date.now() + 3_000);
      return commit(v, record, options);
    };
    await runPollJob(context, job(flowId, 1), undefined);
    expect(sends).toEqual([T0 + INTERVAL_MS + 3_000]);
    const record = await stored(flowId);
    expect(record.state).toMatchObject({ status: 'pending', phase: 'waiting', lastRequestAt: sends[0] });
    const next = record.state as { dueAt: number };
    expect(next.dueAt - sends[0]!).toBeGreaterThanOrEqual(INTERVAL_MS);
    expect(delays[1]).toBeGreaterThanOrEqual(INTERVAL_MS);
  });

  test("should wait the floor from now after a dead worker's lost request, with intervalFrom 'request' and an early request time in Redis", async () => {
    const { context, store, sends } = worker({ outcome: () => ({ type: 'authorization_pending' }) });
    // The dead worker's machine took its request's time 8 s ago; when the request really went, no one knows.
    const takenAt = T0 + 2_000;
    const state = {
      status: 'pending', phase: 'polling', intervalMs: INTERVAL_MS, at: takenAt, deadlineAt: T0 + 600_000, timeoutAt: null, dueAt: takenAt + 30_000, attempt: 1,
      lastRequestAt: takenAt, lastWaitMs: INTERVAL_MS, faults: 0, backoffMs: 0, compliantSlowDowns: 0, pendingErrors: 0, driftWarned: false,
    } as unknown as FlowRecord['state'];
    const flowId = await createFlow(store, { intervalFrom: 'request' }, state, 1);
    vi.setSystemTime(takenAt + 8_000);
    await runPollJob(context, job(flowId, 1), undefined);
    expect(sends).toEqual([]);
    const record = await stored(flowId);
    expect(record.state).toMatchObject({ phase: 'waiting', faults: 1 });
    expect((record.state as { dueAt: number }).dueAt).toBeGreaterThanOrEqual(takenAt + 8_000 + INTERVAL_MS);
  });

  test('should deliver no grant over a record another worker moved on when a cancel was asked for meanwhile', async () => {
    const grants: FleetGrant[] = [];
    let flowId = '';
    const { context, store, sends } = worker({
      outcome: () => ({ type: 'success', token: { accessToken: 'at-1', tokenType: 'Bearer' } as TokenSet }),
      grants,
      // While the request is out, another worker takes this one for dead and moves the record on, and the user cancels.
      onSend: async () => {
        await admin.hincrby(`tokenpoll:steps:flow:${flowId}`, 'v', 1);
        await admin.hset(`tokenpoll:steps:flow:${flowId}`, 'cancel', 'the user went away');
      },
    });
    flowId = await createFlow(store, { firstPoll: 'immediate' });
    await runPollJob(context, job(flowId, 0), undefined);
    expect(sends).toHaveLength(1);
    expect(grants).toEqual([]);
    expect((await stored(flowId)).state.status).not.toBe('granted');
  });

  test('should still win with a grant over a record another worker moved on when no cancel was asked for', async () => {
    const grants: FleetGrant[] = [];
    let flowId = '';
    const { context, store } = worker({
      outcome: () => ({ type: 'success', token: { accessToken: 'at-1', tokenType: 'Bearer' } as TokenSet }),
      grants,
      onSend: async () => void (await admin.hincrby(`tokenpoll:steps:flow:${flowId}`, 'v', 1)),
    });
    flowId = await createFlow(store, { firstPoll: 'immediate' });
    await runPollJob(context, job(flowId, 0), undefined);
    expect(grants.map((grant) => grant.flowId)).toEqual([flowId]);
    expect((await stored(flowId)).state.status).toBe('granted');
  });

  test('should put off a job of a flow this worker runs a job of already (BullMQ handed it out again after its lock lapsed)', async () => {
    const grants: FleetGrant[] = [];
    const { context, store, sends } = worker({ outcome: () => ({ type: 'success', token: { accessToken: 'at-1', tokenType: 'Bearer' } as TokenSet }), grants });
    const flowId = await createFlow(store, { firstPoll: 'immediate' });
    context.running.add(flowId); // the first run is still delivering
    const delayedTo: number[] = [];
    const again = { data: { flowId, seq: 0 }, moveToDelayed: async (at: number) => void delayedTo.push(at) } as unknown as Job<PollJobData>;
    await expect(runPollJob(context, again, 'lock')).rejects.toThrow(DelayedError);
    expect(delayedTo).toHaveLength(1);
    expect(sends).toEqual([]);
    expect(grants).toEqual([]);
    context.running.delete(flowId);
    await runPollJob(context, job(flowId, 0), undefined);
    expect(grants).toHaveLength(1);
    expect(context.running.size).toBe(0);
  });

  test("should take the lease with the poll's own token, and never renew or drop another worker's", async () => {
    let flowId = '';
    let leaseDuringSend: string | null = null;
    const { context, store } = worker({
      outcome: () => ({ type: 'authorization_pending' }),
      onSend: async () => void (leaseDuringSend = await admin.get(`tokenpoll:steps:flow:${flowId}:lease`)),
    });
    flowId = await createFlow(store, { firstPoll: 'immediate' });
    await runPollJob(context, job(flowId, 0), undefined);
    expect(leaseDuringSend).toMatch(/^[0-9a-f-]{36}$/); // a token of that poll's own, not a flag
    expect(await admin.exists(`tokenpoll:steps:flow:${flowId}:lease`)).toBe(0); // dropped with the answer

    // Worker "a" was taken for dead; worker "b" took the flow over and holds the lease now.
    const leaseKey = `tokenpoll:steps:flow:${flowId}:lease`;
    await admin.set(leaseKey, 'b', 'PX', 1_000);
    expect(await store.renewLease(flowId, 60_000, 'a')).toBe(false);
    expect(await admin.pttl(leaseKey)).toBeLessThanOrEqual(1_000);
    const loaded = (await store.load(flowId))!;
    expect(await store.commit(loaded.v, loaded.record, { checkCancel: false, ttlMs: 60_000, events: [], leaseToken: 'a' })).toMatchObject({ ok: true });
    expect(await admin.get(leaseKey)).toBe('b'); // a's write did not drop b's lease
    expect(await store.renewLease(flowId, 60_000, 'b')).toBe(true);
    expect(await admin.pttl(leaseKey)).toBeGreaterThan(1_000);
  });
});
