import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { describe, expect, test } from 'vitest';
import { FleetQueue, FleetWorker } from '../../src/bullmq.js';
import { ConfigurationError, requestDeviceAuthorization } from '../../src/index.js';
import { redisMissing } from '../helpers/redis.js';
import { until, useFleet, useRedis } from './harness.js';

describe.skipIf(redisMissing)('the fleet runner and its secrets', () => {
  const redis = useRedis();
  const fleet = useFleet(redis);

  test('should keep the device code sealed in Redis with a sealKey, and put it in no event and no view', async () => {
    const sealKey = randomBytes(32);
    const testFleet = await fleet({ emulator: { approveOnPoll: 2 }, worker: { sealKey }, workers: 0 });
    const queue = new FleetQueue({ connection: testFleet.connection, name: testFleet.name, sealKey });
    try {
      const authorization = await requestDeviceAuthorization({ deviceAuthorizationEndpoint: `${testFleet.emulator.url}/device_authorization`, clientId: 'tokenpoll-test' });
      const flowId = await queue.start({ authorization });
      const client = new Redis({ host: testFleet.connection.host, port: testFleet.connection.port });
      const stored = await client.hget(`tokenpoll:${testFleet.name}:flow:${flowId}`, 'data');
      await client.quit();
      expect(stored).not.toContain(authorization.deviceCode);
      expect(JSON.parse(stored!).deviceCode).toMatchObject({ sealed: 'A256GCM' });
      await testFleet.addWorker();
      expect((await testFleet.settledOf(flowId)).state.status).toBe('granted');
      await until(() => testFleet.events.some((event) => event.flowId === flowId && event.name === 'granted'));
      expect(JSON.stringify(testFleet.events)).not.toContain(authorization.deviceCode);
      expect(JSON.stringify(await queue.state(flowId))).not.toContain(authorization.deviceCode);
    } finally {
      await queue.close();
    }
  });

  test('should deliver a grant again, with the same flow id, when onGranted failed and the token was kept (sealed)', async () => {
    const sealKey = randomBytes(32);
    let calls = 0;
    const testFleet = await fleet({ emulator: { approveOnPoll: 1 }, workers: 0 });
    const delivered: string[] = [];
    await testFleet.addWorker({
      sealKey,
      storeTokens: true,
      onGranted: ({ flowId, token }) => {
        calls += 1;
        if (calls === 1) throw new Error('the database is down');
        delivered.push(`${flowId}:${token.accessToken.slice(0, 3)}`);
      },
    });
    const client = new Redis({ host: testFleet.connection.host, port: testFleet.connection.port });
    try {
      const sealedQueue = new FleetQueue({ connection: testFleet.connection, name: testFleet.name, sealKey });
      const authorization = await requestDeviceAuthorization({ deviceAuthorizationEndpoint: `${testFleet.emulator.url}/device_authorization`, clientId: 'tokenpoll-test' });
      const flowId = await sealedQueue.start({ authorization });
      await until(() => delivered.length === 1, 15_000);
      expect(calls).toBe(2);
      expect(delivered).toEqual([`${flowId}:at-`]);
      let view = await sealedQueue.state(flowId);
      for (let tries = 0; tries < 100 && !view?.delivered; tries += 1) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        view = await sealedQueue.state(flowId);
      }
      expect(view).toMatchObject({ status: 'granted', delivered: true });
      const stored = JSON.parse((await client.hget(`tokenpoll:${testFleet.name}:flow:${flowId}`, 'data'))!);
      expect(stored.token).toBeUndefined(); // dropped once delivered
      await sealedQueue.close();
    } finally {
      await client.quit();
    }
  });

  test('should refuse storeTokens without a sealKey, and a key of the wrong size, with a typed error', () => {
    const connection = { host: redis().host, port: redis().port };
    expect(() => new FleetWorker({ connection, transport: () => () => undefined, storeTokens: true })).toThrow(ConfigurationError);
    expect(() => new FleetQueue({ connection, sealKey: new Uint8Array(16) })).toThrow(ConfigurationError);
  });
});
