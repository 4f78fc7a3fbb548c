/**
 * Closing a fleet's queue and workers: while Redis is down, and when one of
 * the closes fails. Every ioredis client made while a test runs is watched
 * (its `connect` spied on, which each constructor calls).
 */
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { FleetQueue, FleetWorker } from '../../src/bullmq.js';
import { freePort, redisMissing } from '../helpers/redis.js';
import { until, useRedis } from './harness.js';

/** Every ioredis client constructed from now on, in order. */
function watchClients(): Redis[] {
  const clients: Redis[] = [];
  const connect = Redis.prototype.connect;
  vi.spyOn(Redis.prototype, 'connect').mockImplementation(function (this: Redis, ...args) {
    if (!clients.includes(this)) clients.push(this);
    return connect.apply(this, args);
  });
  return clients;
}

/** Waits until every one of `clients` has ended (ioredis marks it once the socket closes, just after a quit's reply). */
async function allEnded(clients: readonly Redis[]): Promise<void> {
  await until(() => clients.every((client) => client.status === 'end'), 3_000).catch(() => undefined);
  expect(clients.map((client) => client.status).filter((status) => status !== 'end')).toEqual([]);
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the fleet, closed while Redis is down', () => {
  test("should close every client of the queue side, the subscriber whose subscribe waits included, and print no unhandled ioredis error", async () => {
    const printed = vi.spyOn(console, 'error');
    const clients = watchClients();
    const connection = { host: '127.0.0.1', port: await freePort() }; // nothing listens: every connect is refused
    const queue = new FleetQueue({ connection, name: 'down' });
    const subscribed = queue.subscribe(() => undefined);
    const outcome = subscribed.then(
      () => 'subscribed',
      () => 'rejected',
    );
    // Every client has failed to connect at least once (an 'error' each), and tries again.
    const retried = new Set<Redis>();
    await until(() => {
      for (const client of clients) if (!retried.has(client)) client.once('reconnecting', () => retried.add(client));
      return clients.length >= 3 && retried.size === clients.length;
    });
    await queue.close();
    expect(await outcome).toBe('rejected');
    // Closed: none of them tries Redis again (a client left behind would, within its retry delay of a few hundred ms).
    let attempts = 0;
    for (const client of clients) client.on('connecting', () => (attempts += 1));
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(attempts).toBe(0);
    expect(printed.mock.calls.filter((call) => String(call[0]).includes('[ioredis]'))).toEqual([]);
  }, 20_000);
});

describe.skipIf(redisMissing)('the fleet, when closing one of its connections fails', () => {
  const redis = useRedis();

  test("should still close the queue side's other connections, throw the failure, and close the rest on a second call", async () => {
    const clients = watchClients();
    const queue = new FleetQueue({ connection: { host: redis().host, port: redis().port }, name: 'closing' });
    const store = clients[0]!; // the store's client is made first
    await queue.subscribe(() => undefined);
    const subscriber = clients.at(-1)!;
    const bullClose = vi.spyOn(Queue.prototype, 'close').mockRejectedValueOnce(new Error('close failed'));
    await expect(queue.close()).rejects.toThrow('close failed');
    await allEnded([store, subscriber]);
    bullClose.mockRestore();
    await queue.close();
    await allEnded(clients);
  });

  test("should still close the worker's queue and store when the BullMQ worker's close fails, and let a second call try again", async () => {
    const clients = watchClients();
    const worker = new FleetWorker({ connection: { host: redis().host, port: redis().port }, name: 'closing', transport: () => () => undefined });
    const store = clients[0]!;
    await worker.ready();
    const workerClose = vi.spyOn(Worker.prototype, 'close').mockRejectedValueOnce(new Error('close failed'));
    await expect(worker.close()).rejects.toThrow('close failed');
    await allEnded([store]);
    workerClose.mockRestore();
    await worker.close();
    await allEnded(clients);
  });
});
