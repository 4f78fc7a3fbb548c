/**
 * Device logins polled by a fleet: a queue side that starts flows, and two
 * BullMQ workers that poll them, with each flow's state in Redis. Three
 * flows against the emulator: one the user approves, one they deny, one the
 * service cancels. Events reach the queue side across processes, secrets left out.
 *
 * Needs Redis: set REDIS_PORT (and REDIS_HOST) to use yours; otherwise this
 * starts a throwaway `redis-server` (Debian's package) on a free port, with
 * persistence off, and stops it at the end.
 *
 * Run: `npm run build && node examples/fleet-bullmq.ts` (Node 22.18 or later),
 * or all examples at once with `npx vitest run test/examples.test.ts`.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { requestDeviceAuthorization, tokenTransport } from 'tokenpoll';
import { FleetQueue, FleetWorker, type FleetSettled } from 'tokenpoll/bullmq';
import { startEmulator } from 'tokenpoll/testing/emulator';

const redis = process.env['REDIS_PORT'] ? undefined : await throwawayRedis();
const connection = { host: process.env['REDIS_HOST'] ?? '127.0.0.1', port: Number(process.env['REDIS_PORT'] ?? redis!.port) };
const emulator = await startEmulator({ intervalSeconds: 0.2 });
// Both sides share the key that seals device codes in Redis (keep it in your secret store).
const sealKey = randomBytes(32);

const settled = new Map<string, (end: FleetSettled) => void>();
const workers = [1, 2].map(
  (number) =>
    new FleetWorker({
      connection,
      sealKey,
      transport: (flow) => tokenTransport({ tokenEndpoint: String(flow.metadata['tokenEndpoint']), clientId: 'tokenpoll-test', deviceCode: flow.deviceCode }),
      // The token arrives here, in the worker that polled it, never in Redis. Store it; never print it.
      onGranted: ({ flowId, token }) => console.log(`worker ${number}: ${flowId} granted a ${token.tokenType} token`),
      onSettled: (end) => settled.get(end.flowId)?.(end),
    }),
);
const fleet = new FleetQueue({ connection, sealKey });
try {
  await Promise.all(workers.map((worker) => worker.ready()));
  const stop = await fleet.subscribe(({ flowId, name }) => {
    if (name === 'pending' && flowId === 'deny-me') emulator.deny(userCodes.get(flowId)!);
    if (name === 'pending' && flowId === 'approve-me') emulator.approve(userCodes.get(flowId)!);
    if (name === 'pending' && flowId === 'cancel-me') void fleet.cancel(flowId, 'the user closed the page');
  });
  const userCodes = new Map<string, string>();
  const ends = ['approve-me', 'deny-me', 'cancel-me'].map(async (flowId) => {
    const authorization = await requestDeviceAuthorization({ deviceAuthorizationEndpoint: `${emulator.url}/device_authorization`, clientId: 'tokenpoll-test' });
    userCodes.set(flowId, authorization.userCode);
    const end = new Promise<FleetSettled>((resolve) => settled.set(flowId, resolve));
    await fleet.start({ flowId, authorization, metadata: { tokenEndpoint: `${emulator.url}/token` } });
    console.log(`${flowId}: enter ${authorization.userCode} at ${authorization.verificationUri}`);
    return end;
  });
  for (const end of await Promise.all(ends)) {
    const view = await fleet.state(end.flowId);
    console.log(`${end.flowId}: ${view!.status} after ${view!.attempt} poll${view!.attempt === 1 ? '' : 's'}`);
  }
  await stop();
} finally {
  await fleet.close();
  await Promise.all(workers.map((worker) => worker.close()));
  await emulator.close();
  await redis?.stop();
}

/** Starts `redis-server` on a free loopback port, persistence off. */
async function throwawayRedis(): Promise<{ port: number; stop(): Promise<void> }> {
  const port = await new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = server.address() as { port: number };
      server.close(() => resolve(free));
    });
  });
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  await new Promise((resolve) => setTimeout(resolve, 300));
  return { port, stop: async () => void (child.kill(), await exited) };
}
