import { Redis } from 'ioredis';
import { describe, expect, test } from 'vitest';
import { WORKER_LOST_MESSAGE } from '../../src/bullmq/poll-job.js';
import { redisMissing } from '../helpers/redis.js';
import { until, useFleet, useRedis, type TestFleet } from './harness.js';

/** Leaves a flow as a worker that died right after sending request 1 would: phase 'polling', sent at `sentAt`; and its lease, if `leaseMs`. */
async function killedMidPoll(fleet: TestFleet, flowId: string, sentAt: number, leaseMs?: number): Promise<void> {
  const client = new Redis({ host: fleet.connection.host, port: fleet.connection.port });
  const key = `tokenpoll:${fleet.name}:flow:${flowId}`;
  const record = JSON.parse((await client.hget(key, 'data'))!) as { state: Record<string, unknown>; authorization: { issuedAt: number } };
  record.state = {
    status: 'pending', phase: 'polling', intervalMs: 400, at: sentAt, deadlineAt: record.authorization.issuedAt + 5_000, timeoutAt: null, dueAt: sentAt + 30_000, attempt: 1,
    lastRequestAt: sentAt, lastWaitMs: 400, faults: 0, backoffMs: 0, compliantSlowDowns: 0, pendingErrors: 0, driftWarned: false,
  };
  await client.hset(key, 'data', JSON.stringify(record));
  if (leaseMs !== undefined) await client.set(`${key}:lease`, '1', 'PX', leaseMs);
  await client.quit();
}

describe.skipIf(redisMissing)('the fleet runner, picking up a flow whose worker died mid-poll', () => {
  const redis = useRedis();
  const fleet = useFleet(redis);

  test('should count the lost poll as a transient fault, and poll again no sooner than the floor after it', async () => {
    const testFleet = await fleet({ emulator: { approveOnPoll: 1, intervalSeconds: 0.4 }, workers: 0 });
    const { emulator, events, start, settledOf, addWorker } = testFleet;
    const { flowId } = await start();
    const sentAt = Date.now();
    await killedMidPoll(testFleet, flowId, sentAt);
    await addWorker({ backoff: () => 0 });
    expect((await settledOf(flowId)).state).toMatchObject({ status: 'granted', attempt: 2 });
    await until(() => events.some((event) => event.flowId === flowId && event.name === 'granted'));
    const retry = events.find((event) => event.flowId === flowId && event.name === 'retry')!;
    expect(retry.payload).toMatchObject({ attempt: 1, faults: 1, fault: { type: 'network_error', message: WORKER_LOST_MESSAGE } });
    expect(emulator.requests.filter((request) => request.path === '/token')).toHaveLength(1);
    const resumedAt = events.find((event) => event.flowId === flowId && event.name === 'attempt')!.payload['at'] as number;
    expect(resumedAt - sentAt).toBeGreaterThanOrEqual(400);
  });

  test('should leave the flow alone while the lease of the worker polling it lives', async () => {
    const testFleet = await fleet({ emulator: { approveOnPoll: 1, intervalSeconds: 0.4 }, workers: 0, worker: { lockDurationMs: 600 } });
    const { events, start, settledOf, addWorker } = testFleet;
    const { flowId } = await start();
    const sentAt = Date.now();
    await killedMidPoll(testFleet, flowId, sentAt, 1_500);
    await addWorker({ backoff: () => 0 });
    expect((await settledOf(flowId)).state).toMatchObject({ status: 'granted', attempt: 2 });
    await until(() => events.some((event) => event.flowId === flowId && event.name === 'granted'));
    const resumedAt = events.find((event) => event.flowId === flowId && event.name === 'attempt')!.payload['at'] as number;
    expect(resumedAt - sentAt).toBeGreaterThanOrEqual(1_500 + 400);
  });
});
