/**
 * The fleet suite: 10,000 pending flows on the fleet runner (tokenpoll/bullmq)
 * with 1 and with 2 worker processes, and the same flows on the in-process
 * driver (pollToken) for scale. Run with `node bench/fleet-run.mjs`; prints a
 * Markdown section for bench/RESULTS.md.
 *
 * A Redis of its own (Debian's redis-server, persistence off) and a loopback
 * token endpoint that always answers `authorization_pending` (suite 6's
 * bench/http-server.ts, in a process of its own). Flows are started over
 * one interval (5 s, or FLEET_INTERVAL_S), so their polls spread evenly over
 * it; after a warm-up of two intervals, a window measures:
 * - polls per second (the `attempt` events in the window);
 * - the lateness of each poll against its due time: the `attempt` event's
 *   time less the time the `pending` event before it said the next poll was
 *   due (`at + nextPollInMs`), both read in the worker;
 * - Redis commands per poll, from a short MONITOR window (commands a client
 *   sent; those a Lua script ran inside Redis are left out: they are no round trip);
 * - worker heap per pending flow: heap used after GC, less the worker's own
 *   before any flow started, summed over the workers, per flow.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { createServer, Socket } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { FleetQueue, type FleetEvent } from '../src/bullmq.js';

const FLOWS = Number(process.env['FLEET_FLOWS'] ?? 10_000);
const INTERVAL_S = Number(process.env['FLEET_INTERVAL_S'] ?? 5);
const WINDOW_MS = Number(process.env['FLEET_WINDOW_MS'] ?? Math.max(20_000, INTERVAL_S * 2_000));
/** One whole interval, so every flow polls once in it. */
const MONITOR_MS = INTERVAL_S * 1_000;
/** Starts spread over one interval, so the polls spread evenly over it. */
const START_SPREAD_MS = INTERVAL_S * 1_000;
const here = import.meta.dirname;

interface Run {
  readonly label: string;
  readonly workers: number;
  readonly polls: number;
  readonly elapsedMs: number;
  readonly lateness: number[];
  readonly heapBytesPerFlow: number;
  readonly commandsPerPoll?: number;
  readonly scriptsPerPoll?: number;
}

// The token endpoint runs in its own process (bench/http-server.ts, suite 6's), so it does not share a core with this one.
const tokenServer = spawn(process.execPath, [join(here, 'http-server.mjs')], { stdio: ['pipe', 'pipe', 'inherit'] });
const tokenPort = await new Promise<string>((resolve) => tokenServer.stdout!.once('data', (chunk: Buffer) => resolve(chunk.toString().trim())));
const tokenEndpoint = `http://127.0.0.1:${tokenPort}/token`;

const redisPort = await freePort();
const redisServer = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
await sleep(300);
const admin = new Redis({ host: '127.0.0.1', port: redisPort });
// Should this process die, its servers go too (the workers leave on their own when their IPC channel closes).
process.on('exit', () => {
  redisServer.kill();
  tokenServer.kill();
});

const runs: Run[] = [];
try {
  for (const workers of [1, 2]) runs.push(await fleetRun(workers));
  runs.push(await inProcessRun());
} finally {
  await admin.quit();
  redisServer.kill();
  tokenServer.stdin!.end();
}
console.log(report(runs));

async function fleetRun(workerCount: number): Promise<Run> {
  await admin.flushall();
  const workers = await Promise.all(Array.from({ length: workerCount }, () => startWorker(['fleet', String(redisPort), tokenEndpoint])));
  const baselines = workers.map((worker) => worker.heap);
  const queue = new FleetQueue({ connection: { host: '127.0.0.1', port: redisPort }, name: 'bench' });
  const dueAt = new Map<string, number>();
  const lateness: number[] = [];
  let polls = 0;
  let measuring = false;
  const stop = await queue.subscribe((event: FleetEvent) => {
    if (event.name === 'pending') dueAt.set(event.flowId, (event.payload['at'] as number) + (event.payload['nextPollInMs'] as number));
    if (event.name === 'attempt' && measuring) {
      polls += 1;
      const due = dueAt.get(event.flowId);
      if (due !== undefined) lateness.push((event.payload['at'] as number) - due);
    }
  });
  for (let index = 0; index < FLOWS; index += 100) {
    const issuedAt = performance.now();
    await Promise.all(
      Array.from({ length: Math.min(100, FLOWS - index) }, (_, offset) =>
        queue.start({
          authorization: { deviceCode: `dc-${index + offset}`, userCode: 'BENC-HMRK', verificationUri: 'https://example.com/device', expiresInSeconds: 3600, intervalSeconds: INTERVAL_S, issuedAt },
        }),
      ),
    );
    await sleep(START_SPREAD_MS / (FLOWS / 100));
  }
  await sleep(INTERVAL_S * 1000 * 2);
  measuring = true;
  const started = Date.now();
  await sleep(WINDOW_MS);
  measuring = false;
  const elapsedMs = Date.now() - started;
  const heaps = await Promise.all(workers.map((worker) => ask(worker.child, 'heap')));
  const heapBytesPerFlow = heaps.reduce((sum, heap, index) => sum + (heap - baselines[index]!), 0) / FLOWS;
  const { commands, scripts, monitoredPolls } = await monitor();
  await stop();
  await queue.close();
  await Promise.all(workers.map((worker) => stopWorker(worker.child)));
  return {
    label: `fleet, ${workerCount} worker process${workerCount === 1 ? '' : 'es'}`,
    workers: workerCount,
    polls,
    elapsedMs,
    lateness,
    heapBytesPerFlow,
    commandsPerPoll: commands / monitoredPolls,
    scriptsPerPoll: scripts / monitoredPolls,
  };
}

/** Counts the commands clients send for MONITOR_MS (not those Lua scripts run), and the polls meanwhile: MONITOR on a raw socket. */
async function monitor(): Promise<{ commands: number; scripts: number; monitoredPolls: number }> {
  let commands = 0;
  let scripts = 0;
  let rest = '';
  const socket = new Socket();
  await new Promise<void>((resolve) => socket.connect(redisPort, '127.0.0.1', resolve));
  socket.on('data', (chunk: Buffer) => {
    const lines = (rest + chunk.toString('latin1')).split('\r\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      const match = /^\+\d+\.\d+ \[\d+ ([^\]]+)\] "([^"]*)"/.exec(line);
      if (!match || match[1] === 'lua') continue;
      commands += 1;
      if (/^eval/i.test(match[2]!)) scripts += 1;
    }
  });
  socket.write('MONITOR\r\n');
  const counted = { polls: 0 };
  const queue = new FleetQueue({ connection: { host: '127.0.0.1', port: redisPort }, name: 'bench' });
  const stop = await queue.subscribe((event) => void (event.name === 'attempt' && (counted.polls += 1)));
  await sleep(MONITOR_MS);
  socket.destroy();
  await stop();
  await queue.close();
  return { commands, scripts, monitoredPolls: Math.max(1, counted.polls) };
}

async function inProcessRun(): Promise<Run> {
  const { child } = await startWorker(['inprocess', tokenEndpoint, String(FLOWS), String(INTERVAL_S), String(WINDOW_MS), String(START_SPREAD_MS)], false);
  const result = await new Promise<{ polls: number; elapsedMs: number; lateness: number[]; heapBytesPerFlow: number }>((resolve) => child.once('message', resolve as never));
  await new Promise((resolve) => child.once('exit', resolve));
  return { label: 'in process (`pollToken`), 1 process', workers: 1, ...result };
}

async function startWorker(args: string[], waitReady = true): Promise<{ child: ChildProcess; heap: number }> {
  const child = fork(join(here, 'fleet-worker.mjs'), args, { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  if (!waitReady) return { child, heap: 0 };
  const ready = await new Promise<{ heap: number }>((resolve) => child.once('message', resolve as never));
  return { child, heap: ready.heap };
}

function ask(child: ChildProcess, message: string): Promise<number> {
  return new Promise((resolve) => {
    child.once('message', (reply: { heap: number }) => resolve(reply.heap));
    child.send(message);
  });
}

async function stopWorker(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.send('stop');
  await Promise.race([exited, sleep(10_000).then(() => child.kill('SIGKILL'))]);
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function report(all: Run[]): string {
  const cpus = os.cpus();
  const lines = [
    `## 8. A fleet on BullMQ: 10,000 pending flows on worker processes`,
    '',
    `Measured ${new Date().toISOString()} on ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${cpus.length} cores, Node ${process.version}, Redis (Debian's redis-server) on loopback, persistence off. Run: \`node bench/fleet-run.mjs\` (bench/fleet.ts).`,
    '',
    `Workload: ${FLOWS.toLocaleString('en-US')} flows, each polled every ${INTERVAL_S} s by a loopback token endpoint that always answers \`authorization_pending\`; started over one interval, measured for ${WINDOW_MS / 1000} s after a warm-up of two intervals. Fleet: one FleetWorker per process (concurrency 500), each poll a BullMQ job. Lateness: a poll's \`attempt\` time less the due time its \`pending\` event announced. Redis commands: what clients sent during a ${MONITOR_MS / 1000} s MONITOR window (commands inside Lua scripts left out), per poll in that window. Heap: after GC, less the process's own before any flow, per flow.`,
    '',
    '| runner | polls/s | expected polls/s | lateness p50 ms | p99 ms | max ms | Redis commands/poll | of which scripts | heap B per pending flow |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const run of all) {
    const rate = run.polls / (run.elapsedMs / 1000);
    lines.push(
      `| ${run.label} | ${rate.toFixed(0)} | ${(FLOWS / INTERVAL_S).toFixed(0)} | ${percentile(run.lateness, 50).toFixed(1)} | ${percentile(run.lateness, 99).toFixed(1)} | ${Math.max(...run.lateness).toFixed(1)} | ${run.commandsPerPoll?.toFixed(2) ?? '–'} | ${run.scriptsPerPoll?.toFixed(2) ?? '–'} | ${run.heapBytesPerFlow.toFixed(0)} |`,
    );
  }
  return lines.join('\n');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
