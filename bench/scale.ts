/**
 * Suite 2 (scale), one alternative per process:
 *
 *   node --expose-gc scale.mjs <alternative> <flows> <windowMs>
 *
 * Starts <flows> flows of the alternative on real timers, lets them poll for
 * <windowMs> while sampling the event-loop delay, weighs the heap after GC,
 * then aborts them all and times how long until every one has settled.
 * Prints one JSON line ({@link ScaleMeasurement}). bench/main.ts runs it once
 * per alternative, each in a fresh process, so no alternative pays for the
 * garbage or the JIT state of another.
 *
 *   node --expose-gc scale.mjs results:<kind> <count>
 *
 * weighs <count> pending results of one kind instead (bench/result-heap.ts).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { measureResultHeap, RESULT_KINDS, type ResultKind } from './result-heap.js';
import { polls, SCALE_ALTERNATIVES, type ScaleAlternativeKey } from './scale-flows.js';

export interface ScaleMeasurement {
  readonly alternative: ScaleAlternativeKey;
  readonly flows: number;
  /** How long starting every flow took (ms). */
  readonly startMs: number;
  /** Heap used after GC, per flow, once every flow has polled (bytes). */
  readonly heapBytesPerFlow: number;
  /** Node `Timeout` resources held while the flows wait. */
  readonly timersHeld: number;
  /** Transport calls during the window, and the window's length. */
  readonly polls: number;
  readonly windowMs: number;
  /** Event-loop delay while the flows poll (ms). */
  readonly loopDelayP50Ms: number;
  readonly loopDelayP99Ms: number;
  readonly loopDelayMaxMs: number;
  /** Time from the first abort until every flow had settled (ms), or null when they had not within the limit. */
  readonly settleMs: number | null;
  readonly settledFlows: number;
  /** Node `Timeout` resources left once the flows settled (or the limit passed). */
  readonly timersLeft: number;
}

/** How long to wait for aborted flows to settle before reporting that they did not. */
const SETTLE_LIMIT_MS = 5_000;
/** The event-loop delay sampling interval. */
const LOOP_DELAY_RESOLUTION_MS = 10;

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

function collect(): number {
  for (let i = 0; i < 3; i++) gc!();
  return process.memoryUsage().heapUsed;
}

function timeouts(): number {
  return process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
}

async function measure(alternative: ScaleAlternativeKey, count: number, windowMs: number): Promise<ScaleMeasurement> {
  const { start, abort } = SCALE_ALTERNATIVES[alternative];
  // Warm up the code paths on a few flows, then let them go.
  const warm = Array.from({ length: 100 }, () => start());
  for (const flow of warm) abort(flow.abortable);
  await race(Promise.allSettled(warm.map((flow) => flow.settled)), SETTLE_LIMIT_MS);
  await sleep(50);

  const baseTimers = timeouts();
  const baseHeap = collect();
  let settledFlows = 0;
  const onSettled = (): void => void settledFlows++;
  const began = performance.now();
  const abortables: object[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const flow = start();
    abortables[i] = flow.abortable;
    flow.settled.then(onSettled, onSettled);
  }
  const startMs = performance.now() - began;
  await new Promise((resolve) => setImmediate(resolve));

  const pollsBefore = polls;
  const histogram = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });
  histogram.enable();
  await sleep(windowMs / 2);
  const timersHeld = timeouts() - baseTimers; // the sleep() above has just ended, the next one is not set yet
  await sleep(windowMs / 2);
  histogram.disable();
  const windowPolls = polls - pollsBefore;
  const heapBytesPerFlow = (collect() - baseHeap) / count;

  const aborted = performance.now();
  for (const abortable of abortables) abort(abortable);
  const settleMs = await race(
    new Promise<number>((resolve) => {
      const check = (): void => (settledFlows === count ? resolve(performance.now() - aborted) : void setImmediate(check));
      check();
    }),
    SETTLE_LIMIT_MS,
  );
  await new Promise((resolve) => setImmediate(resolve));
  return {
    alternative,
    flows: count,
    startMs,
    heapBytesPerFlow,
    timersHeld,
    polls: windowPolls,
    windowMs,
    // The histogram records whole sampling intervals: the delay is what exceeds the resolution.
    loopDelayP50Ms: Math.max(0, histogram.percentile(50) / 1e6 - LOOP_DELAY_RESOLUTION_MS),
    loopDelayP99Ms: Math.max(0, histogram.percentile(99) / 1e6 - LOOP_DELAY_RESOLUTION_MS),
    loopDelayMaxMs: Math.max(0, histogram.max / 1e6 - LOOP_DELAY_RESOLUTION_MS),
    settleMs,
    settledFlows,
    timersLeft: timeouts() - baseTimers,
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
const resultKind = alternative?.startsWith('results:') ? alternative.slice('results:'.length) : undefined;
if (resultKind !== undefined) {
  if (!(resultKind in RESULT_KINDS)) throw new Error(`usage: scale.mjs results:<${Object.keys(RESULT_KINDS).join('|')}> [count]`);
  process.stdout.write(`${JSON.stringify(measureResultHeap(resultKind as ResultKind, Number(count), collect))}\n`);
  process.exit(0);
}
if (!alternative || !(alternative in SCALE_ALTERNATIVES)) {
  throw new Error(`usage: scale.mjs <${Object.keys(SCALE_ALTERNATIVES).join('|')}> [flows] [windowMs]`);
}
const result = await measure(alternative as ScaleAlternativeKey, Number(count), Number(windowMs));
process.stdout.write(`${JSON.stringify(result)}\n`);
// Alternatives whose aborted flows never settle keep timers alive; the measurement is done.
process.exit(0);
