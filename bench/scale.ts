/**
 * Suite 1 (scale), one alternative per process:
 *
 *   node --expose-gc scale.mjs <alternative> <flows> <windowMs>
 *
 * Starts <flows> flows of the alternative on real timers, lets them poll for
 * <windowMs> while sampling the event-loop delay and the CPU time, weighs the
 * heap after GC, then cancels them all and times how long until every one
 * has settled, and counts the timers and abort listeners left. Prints one
 * JSON line ({@link ScaleMeasurement}). bench/main.ts runs it once per
 * alternative, each in a fresh process, so no alternative pays for the
 * garbage or the JIT state of another.
 */
import { getEventListeners } from 'node:events';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { LOOP_DELAY_RESOLUTION_MS, polls, SCALE_ALTERNATIVES, type ScaleAlternativeKey } from './scale-flows.js';

export interface ScaleMeasurement {
  readonly alternative: ScaleAlternativeKey;
  readonly flows: number;
  /** How long starting every flow took (ms). */
  readonly startMs: number;
  /** Heap used after GC, per pending flow, once every flow has polled (bytes): the flow, its cancel handle and its result, all held by the caller. */
  readonly heapBytesPerFlow: number;
  /** Node `Timeout` resources held while the flows wait. */
  readonly timersHeld: number;
  /** Transport calls during the window, and the window's length. */
  readonly polls: number;
  readonly windowMs: number;
  /** Process CPU time (user + system) during the window, per transport call (µs); null when nothing polled. */
  readonly cpuUsPerPoll: number | null;
  /** Event-loop delay while the flows poll (ms). */
  readonly loopDelayP50Ms: number;
  readonly loopDelayP99Ms: number;
  readonly loopDelayMaxMs: number;
  /** Time from the first cancel until every flow had settled (ms), or null when they had not within the limit. */
  readonly settleMs: number | null;
  readonly settledFlows: number;
  /** Node `Timeout` resources left once the flows settled (or the limit passed). */
  readonly timersLeft: number;
  /** Abort listeners left on the callers' signals once the flows settled; null for alternatives without a signal. */
  readonly listenersLeft: number | null;
}

/** How long to wait for cancelled flows to settle before reporting that they did not. */
const SETTLE_LIMIT_MS = 10_000;

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

function collect(): number {
  for (let i = 0; i < 3; i++) gc!();
  return process.memoryUsage().heapUsed;
}

/** Host timers keeping the process alive (`Timeout` entries of `process.getActiveResourcesInfo()`). */
function timeouts(): number {
  return process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
}

function cpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function measure(alternative: ScaleAlternativeKey, count: number, windowMs: number): Promise<ScaleMeasurement> {
  const { start, cancel, signal } = SCALE_ALTERNATIVES[alternative];
  // Warm up the code paths on a few flows, then let them go.
  const warm = Array.from({ length: 100 }, () => start());
  for (const flow of warm) cancel(flow.cancellable);
  await race(Promise.allSettled(warm.map((flow) => flow.result)), SETTLE_LIMIT_MS);
  await sleep(50);

  // What the caller holds: each flow's cancel handle and its result. The arrays exist before the first weighing.
  const cancellables: object[] = Array.from({ length: count }, () => warm);
  const results: PromiseLike<unknown>[] = Array.from({ length: count }, () => warm[0]!.result);
  let settledFlows = 0;
  const onSettled = (): void => void settledFlows++;
  const baseTimers = timeouts();
  const baseHeap = collect();
  const began = performance.now();
  for (let i = 0; i < count; i++) {
    const flow = start();
    cancellables[i] = flow.cancellable;
    results[i] = flow.result;
    flow.result.then(onSettled, onSettled);
  }
  const startMs = performance.now() - began;
  await turn();

  const pollsBefore = polls;
  const cpuBefore = cpuMicros();
  const histogram = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });
  histogram.enable();
  await sleep(windowMs / 2);
  const timersHeld = timeouts() - baseTimers; // the sleep() above has just ended, the next one is not set yet
  await sleep(windowMs / 2);
  histogram.disable();
  const cpuUsed = cpuMicros() - cpuBefore;
  const windowPolls = polls - pollsBefore;
  const heapBytesPerFlow = (collect() - baseHeap) / count;

  const cancelled = performance.now();
  for (const cancellable of cancellables) cancel(cancellable);
  const settleMs = await race(
    new Promise<number>((resolve) => {
      const check = (): void => (settledFlows === count ? resolve(performance.now() - cancelled) : void setImmediate(check));
      check();
    }),
    SETTLE_LIMIT_MS,
  );
  await turn();
  const listenersLeft = signal ? cancellables.reduce((sum, controller) => sum + getEventListeners((controller as AbortController).signal, 'abort').length, 0) : null;
  if (results.length !== count) throw new Error('lost results');
  return {
    alternative,
    flows: count,
    startMs,
    heapBytesPerFlow,
    timersHeld,
    polls: windowPolls,
    windowMs,
    cpuUsPerPoll: windowPolls > 0 ? cpuUsed / windowPolls : null,
    // The histogram records whole sampling intervals: the delay is what exceeds the resolution.
    loopDelayP50Ms: Math.max(0, histogram.percentile(50) / 1e6 - LOOP_DELAY_RESOLUTION_MS),
    loopDelayP99Ms: Math.max(0, histogram.percentile(99) / 1e6 - LOOP_DELAY_RESOLUTION_MS),
    loopDelayMaxMs: Math.max(0, histogram.max / 1e6 - LOOP_DELAY_RESOLUTION_MS),
    settleMs,
    settledFlows,
    timersLeft: timeouts() - baseTimers,
    listenersLeft,
  };
}

/** `promise`'s value, or null if it takes longer than `limitMs`; leaves no timer behind. */
async function race<T>(promise: Promise<T>, limitMs: number): Promise<T | null> {
  const limit = new AbortController();
  try {
    return await Promise.race([promise, sleep(limitMs, null, { signal: limit.signal })]);
  } finally {
    limit.abort();
  }
}

const [alternative, count = '100000', windowMs = '12000'] = process.argv.slice(2);
if (!alternative || !(alternative in SCALE_ALTERNATIVES)) {
  throw new Error(`usage: scale.mjs <${Object.keys(SCALE_ALTERNATIVES).join('|')}> [flows] [windowMs]`);
}
const result = await measure(alternative as ScaleAlternativeKey, Number(count), Number(windowMs));
process.stdout.write(`${JSON.stringify(result)}\n`);
// Alternatives whose cancelled flows never settle keep timers alive; the measurement is done.
process.exit(0);
