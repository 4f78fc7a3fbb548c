import { Queue } from 'bullmq';
import { describe, expect, test } from 'vitest';
import { tokenTransport } from '../../src/index.js';
import { redisMissing } from '../helpers/redis.js';
import { eventNames, until, useFleet, useRedis } from './harness.js';

describe.skipIf(redisMissing)('the fleet runner, one worker, against the emulator', () => {
  const redis = useRedis();
  const fleet = useFleet(redis);

  test('should deliver a grant once, in the worker, and record the flow granted without its token', async () => {
    const { emulator, queue, grants, events, start, settledOf } = await fleet({ emulator: { approveOnPoll: 3 } });
    const { flowId } = await start();
    const end = await settledOf(flowId);
    expect(end.state.status).toBe('granted');
    expect(grants.map((grant) => grant.flowId)).toEqual([flowId]);
    expect(grants[0]!.token.accessToken).toMatch(/^at-/);
    await until(() => eventNames(events, flowId).includes('granted'));
    expect(eventNames(events, flowId).filter((name) => name === 'attempt')).toHaveLength(3);
    expect(eventNames(events, flowId)[0]).toBe('code');
    const view = await queue.state(flowId);
    expect(view).toMatchObject({ status: 'granted', attempt: 3, delivered: true, userCode: emulator.codes[0]!.userCode });
    expect(JSON.stringify(view)).not.toContain(grants[0]!.token.accessToken);
    expect(JSON.stringify(events)).not.toContain(grants[0]!.token.accessToken);
    expect(emulator.codes[0]!.status).toBe('consumed');
  });

  test('should end denied when the user refuses', async () => {
    const { queue, grants, start, settledOf } = await fleet({ emulator: { denyOnPoll: 2 } });
    const { flowId } = await start();
    expect((await settledOf(flowId)).state).toMatchObject({ status: 'denied', attempt: 2, error: { code: 'access_denied' } });
    expect(grants).toEqual([]);
    expect(await queue.state(flowId)).toMatchObject({ status: 'denied', error: { code: 'access_denied' } });
  });

  test('should end expired at the deadline, with no poll at or after it', async () => {
    const { emulator, queue, start, settledOf, addWorker } = await fleet({ emulator: { expiresInSeconds: 0.6, intervalSeconds: 0.1 }, workers: 0 });
    // When the worker hands each poll to the network (the emulator sees it a little later).
    const sentAt: number[] = [];
    await addWorker({
      transport: (flow) => {
        const transport = tokenTransport({ tokenEndpoint: `${emulator.url}/token`, clientId: 'tokenpoll-test', deviceCode: flow.deviceCode });
        return (context) => {
          sentAt.push(Date.now());
          return transport(context);
        };
      },
    });
    const { flowId } = await start();
    const end = await settledOf(flowId);
    expect(end.state).toMatchObject({ status: 'expired', source: 'deadline' });
    const view = (await queue.state(flowId))!;
    expect(sentAt.length).toBeGreaterThan(1);
    expect(emulator.requests.filter((request) => request.path === '/token')).toHaveLength(sentAt.length);
    expect(sentAt.filter((at) => at >= view.deadlineAt)).toEqual([]);
    expect(end.state.at).toBeGreaterThanOrEqual(view.deadlineAt);
  });

  test("should follow the server's slow_down: the floor rises by 5 s and the emulator never has to enforce it", async () => {
    const { emulator, events, start, settledOf } = await fleet({ emulator: { approveOnPoll: 1, expiresInSeconds: 20 } });
    emulator.inject({ type: 'github_200', error: 'slow_down' }, { count: 1 });
    const { flowId } = await start();
    const end = await settledOf(flowId);
    expect(end.state).toMatchObject({ status: 'granted', attempt: 2 });
    await until(() => eventNames(events, flowId).includes('granted'));
    const slowDowns = events.filter((event) => event.flowId === flowId && event.name === 'slowDown');
    expect(slowDowns).toHaveLength(1); // the injected one: the emulator's own enforcer answered none
    expect(slowDowns[0]!.payload).toMatchObject({ previousIntervalMs: 50, intervalMs: 5050 });
    const times = emulator.requests.filter((request) => request.path === '/token').map((request) => request.at);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(5050 - 2);
  }, 30_000);

  test('should wait out a burst of 5xx with backoff, then go on', async () => {
    const { emulator, events, start, settledOf } = await fleet({ emulator: { approveOnPoll: 2 }, worker: { backoff: () => 20 } });
    emulator.inject({ type: 'server_error', status: 503 }, { count: 3 });
    const { flowId } = await start();
    expect((await settledOf(flowId)).state).toMatchObject({ status: 'granted', attempt: 5 });
    await until(() => eventNames(events, flowId).includes('granted'));
    expect(events.filter((event) => event.flowId === flowId && event.name === 'retry').map((event) => event.payload['faults'])).toEqual([1, 2, 3]);
  });

  test('should cancel a waiting flow at once, and deliver nothing after', async () => {
    const { queue, grants, events, start, settledOf } = await fleet({ emulator: { intervalSeconds: 2, approveOnPoll: 2 } });
    const { flowId } = await start();
    await until(() => eventNames(events, flowId).includes('stateChange'));
    expect(await queue.cancel(flowId, 'the user went away')).toBe(true);
    expect((await settledOf(flowId)).state).toMatchObject({ status: 'cancelled', reason: 'the user went away' });
    expect(await queue.state(flowId)).toMatchObject({ status: 'cancelled', cancelRequested: true, attempt: 0 });
    expect(grants).toEqual([]);
    expect(await queue.cancel('no-such-flow')).toBe(false);
  });

  test('should poll once per due time when poll jobs are duplicated across three workers (single flight)', async () => {
    const { emulator, start, settledOf, addWorker, name, connection } = await fleet({ emulator: { approveOnPoll: 4, intervalSeconds: 0.2 } });
    await addWorker();
    await addWorker();
    const flows = await Promise.all([start(), start(), start()]);
    // Copies of every poll job a flow will have, under other job ids, due early and late.
    const raw = new Queue(name, { connection, prefix: 'tokenpoll' });
    for (const { flowId } of flows) {
      for (let seq = 0; seq < 8; seq += 1) {
        for (const delay of [0, 150, 300]) await raw.add('poll', { flowId, seq }, { jobId: `dup-${flowId}-${seq}-${delay}`, delay: seq * 150 + delay, removeOnComplete: true });
      }
    }
    await raw.close();
    const ends = await Promise.all(flows.map(({ flowId }) => settledOf(flowId)));
    expect(ends.map((end) => end.state.status)).toEqual(['granted', 'granted', 'granted']);
    expect(ends.map((end) => end.state.attempt)).toEqual([4, 4, 4]);
    expect(emulator.requests.filter((request) => request.path === '/token')).toHaveLength(12);
  });
});
