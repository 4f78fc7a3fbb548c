/**
 * A fleet for tests: a Redis server of the file's own (test/helpers/redis.ts),
 * an emulator, a FleetQueue and in-process FleetWorkers that poll the
 * emulator with the real HTTP transport. Everything is closed after each test.
 */
import { afterAll, afterEach, beforeAll } from 'vitest';
import { FleetQueue, FleetWorker, type FleetEvent, type FleetSettled, type FleetWorkerOptions, type FleetGrant } from '../../src/bullmq.js';
import type { FleetPollSettings } from '../../src/bullmq/types.js';
import { requestDeviceAuthorization, tokenTransport, type DeviceAuthorization, type TokenSet } from '../../src/index.js';
import { startEmulator, type Emulator, type EmulatorOptions } from '../../src/testing-emulator.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

/** Starts one Redis for the file; returns a getter. */
export function useRedis(): () => TestRedis {
  let redis: TestRedis | undefined;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  return () => redis!;
}

/** A fleet under test. */
export interface TestFleet {
  /** The fleet's name (its BullMQ queue, under the prefix `tokenpoll`). */
  readonly name: string;
  /** Where its Redis is. */
  readonly connection: { readonly host: string; readonly port: number };
  readonly emulator: Emulator;
  readonly queue: FleetQueue;
  readonly workers: FleetWorker[];
  readonly events: FleetEvent[];
  readonly grants: FleetGrant[];
  readonly settled: FleetSettled[];
  /** Asks the emulator for a device code and starts a flow for it. */
  start(poll?: FleetPollSettings): Promise<{ flowId: string; authorization: DeviceAuthorization }>;
  /** Resolves with a flow's end, as `onSettled` saw it. */
  settledOf(flowId: string): Promise<FleetSettled>;
  /** Adds one more in-process worker. */
  addWorker(options?: Partial<FleetWorkerOptions>): Promise<FleetWorker>;
}

let fleets = 0;

/** Makes fleets that are closed after each test. */
export function useFleet(redis: () => TestRedis): (options?: { emulator?: EmulatorOptions; worker?: Partial<FleetWorkerOptions>; workers?: number }) => Promise<TestFleet> {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return async (options = {}) => {
    const emulator = await startEmulator({ intervalSeconds: 0.05, expiresInSeconds: 5, ...options.emulator });
    cleanups.push(() => emulator.close());
    const connection = { host: redis().host, port: redis().port };
    const name = `fleet${(fleets += 1)}`;
    const queue = new FleetQueue({ connection, name });
    cleanups.push(() => queue.close());
    const events: FleetEvent[] = [];
    const stop = await queue.subscribe((event) => events.push(event));
    cleanups.push(stop);
    const grants: FleetGrant[] = [];
    const settled: FleetSettled[] = [];
    const waiters = new Map<string, (settled: FleetSettled) => void>();
    const workers: FleetWorker[] = [];
    const addWorker = async (extra: Partial<FleetWorkerOptions> = {}): Promise<FleetWorker> => {
      const worker = new FleetWorker<TokenSet>({
        connection,
        name,
        transport: (flow) => tokenTransport({ tokenEndpoint: `${emulator.url}/token`, clientId: 'tokenpoll-test', deviceCode: flow.deviceCode }),
        onGranted: (grant) => void grants.push(grant),
        onSettled: (end) => {
          settled.push(end);
          waiters.get(end.flowId)?.(end);
        },
        lockDurationMs: 2_000,
        stalledIntervalMs: 1_000,
        ...options.worker,
        ...extra,
      });
      cleanups.push(() => worker.close());
      await worker.ready();
      workers.push(worker);
      return worker;
    };
    for (let index = 0; index < (options.workers ?? 1); index += 1) await addWorker();
    return {
      name,
      connection,
      emulator,
      queue,
      workers,
      events,
      grants,
      settled,
      addWorker,
      async start(poll) {
        const authorization = await requestDeviceAuthorization({ deviceAuthorizationEndpoint: `${emulator.url}/device_authorization`, clientId: 'tokenpoll-test' });
        const flowId = await queue.start({ authorization, ...(poll === undefined ? {} : { poll }) });
        return { flowId, authorization };
      },
      settledOf(flowId) {
        const done = settled.find((end) => end.flowId === flowId);
        if (done) return Promise.resolve(done);
        return new Promise((resolve) => waiters.set(flowId, resolve));
      },
    };
  };
}

/** The names of one flow's events, in order. */
export function eventNames(events: readonly FleetEvent[], flowId: string): string[] {
  return events.filter((event) => event.flowId === flowId).map((event) => event.name);
}

/** Waits until `condition` holds (polling every 10 ms), or throws after `timeoutMs`. */
export async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
