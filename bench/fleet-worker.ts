/**
 * The fleet suite's child process (bench/fleet.ts forks it, with --expose-gc):
 *
 *   fleet-worker.mjs fleet <redisPort> <tokenEndpoint>
 *     a FleetWorker polling every flow of the bench fleet;
 *   fleet-worker.mjs inprocess <tokenEndpoint> <flows> <intervalS> <windowMs> <startSpreadMs>
 *     the same flows with pollToken in this one process, for scale.
 *
 * Over IPC it answers `heap` with the heap used after GC; the in-process mode
 * sends its own measurement when its window ends.
 */
import { FleetWorker } from '../src/bullmq.js';
import { pollToken, tokenTransport, type PollHandle } from '../src/index.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

function heapUsed(): number {
  for (let i = 0; i < 3; i++) gc!();
  return process.memoryUsage().heapUsed;
}

const [mode, ...args] = process.argv.slice(2);
// Should the bench process die, this one goes too.
process.on('disconnect', () => process.exit(0));
const send = (message: unknown): void => void process.send!(message);

if (mode === 'fleet') {
  const [port, tokenEndpoint] = args as [string, string];
  const worker = new FleetWorker({
    connection: { host: '127.0.0.1', port: Number(port) },
    name: 'bench',
    concurrency: 500,
    transport: (flow) => tokenTransport({ tokenEndpoint, clientId: 'bench', deviceCode: flow.deviceCode }),
  });
  await worker.ready();
  process.on('message', (message: string) => {
    if (message === 'heap') send({ heap: heapUsed() });
    if (message === 'stop') void worker.close().then(() => process.exit(0));
  });
  send({ ready: true, heap: heapUsed() });
} else {
  const [tokenEndpoint, flowsText, intervalText, windowText, spreadText] = args as [string, string, string, string, string];
  const flows = Number(flowsText);
  const windowMs = Number(windowText);
  const baseline = heapUsed();
  const handles: PollHandle[] = [];
  const lateness: number[] = [];
  let polls = 0;
  let measuring = false;
  const startSpreadMs = Number(spreadText);
  for (let index = 0; index < flows; index += 1) {
    // Spread the starts as the fleet's are, so the polls spread evenly over the interval.
    if (index % 100 === 0) await new Promise((resolve) => setTimeout(resolve, startSpreadMs / (flows / 100)));
    const poll = pollToken({
      transport: tokenTransport({ tokenEndpoint, clientId: 'bench', deviceCode: `dc-${index}` }),
      intervalSeconds: Number(intervalText),
      expiresInSeconds: 3600,
    });
    let dueAt: number | undefined;
    poll.on('pending', ({ at, nextPollInMs }) => (dueAt = at + nextPollInMs));
    poll.on('attempt', ({ at }) => {
      if (!measuring) return;
      polls += 1;
      if (dueAt !== undefined) lateness.push(at - dueAt);
    });
    poll.result.catch(() => undefined);
    handles.push(poll);
  }
  await new Promise((resolve) => setTimeout(resolve, Number(intervalText) * 1000 * 2));
  measuring = true;
  const started = Date.now();
  await new Promise((resolve) => setTimeout(resolve, windowMs));
  measuring = false;
  const elapsed = Date.now() - started;
  const heap = heapUsed();
  for (const handle of handles) handle.cancel();
  send({ polls, elapsedMs: elapsed, lateness, heapBytesPerFlow: (heap - baseline) / flows });
  process.exit(0);
}
