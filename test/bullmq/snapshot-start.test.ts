import { describe, expect, test } from 'vitest';
import { loginWithDeviceFlow, SnapshotInvalidError, tokenTransport } from '../../src/index.js';
import { redisMissing } from '../helpers/redis.js';
import { until, useFleet, useRedis } from './harness.js';

describe.skipIf(redisMissing)('the fleet runner, taking over a login from its snapshot', () => {
  const redis = useRedis();
  const fleet = useFleet(redis);

  test('should poll on for the same device code, with its deadline and floor, and deliver the grant in the worker', async () => {
    const { emulator, queue, events, settledOf, grants, addWorker } = await fleet({ emulator: { intervalSeconds: 0.3, approveOnPoll: 2 }, workers: 0 });
    const login = loginWithDeviceFlow({ issuer: emulator.url, clientId: 'tokenpoll-test' });
    const pending = new Promise<void>((resolve) => login.once('pending', () => resolve()));
    await pending;
    const snapshot = login.snapshot();
    login.cancel();
    await login.result.catch(() => undefined);

    const flowId = await queue.startFromSnapshot({ snapshot, metadata: { user: 'u-1' } });
    expect(await queue.state(flowId)).toMatchObject({ status: 'pending', phase: 'waiting', attempt: 1, intervalMs: 300, metadata: { provider: 'rfc8628', clientId: 'tokenpoll-test', user: 'u-1' } });
    // A worker that builds the transport from what the snapshot said of the provider.
    await addWorker({
      transport: (flow) => tokenTransport({ tokenEndpoint: String(flow.metadata['tokenEndpoint']), clientId: String(flow.metadata['clientId']), deviceCode: flow.deviceCode }),
    });
    const end = await settledOf(flowId);
    expect(end.state).toMatchObject({ status: 'granted', attempt: 2 });
    expect(grants.map((grant) => grant.flowId)).toEqual([flowId]);
    await until(() => events.some((event) => event.flowId === flowId && event.name === 'granted'));
    const [first, second] = emulator.requests.filter((request) => request.path === '/token').map((request) => request.at);
    expect(second! - first!).toBeGreaterThanOrEqual(300 - 2);
    expect(emulator.codes).toHaveLength(1);
  });

  test('should refuse what is not a login snapshot with a typed error, and start nothing', async () => {
    const { queue } = await fleet({ workers: 0 });
    await expect(queue.startFromSnapshot({ snapshot: { type: 'tokenpoll.login', version: 1 } })).rejects.toBeInstanceOf(SnapshotInvalidError);
  });
});
