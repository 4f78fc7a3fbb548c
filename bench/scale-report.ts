/**
 * Suite 1 (scale): runs bench/scale.ts once per alternative, each in a fresh
 * `node --expose-gc` process, and renders the section of bench/RESULTS.md.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { figure, OUT_DIR, ratio, table, verdict } from './report.js';
import type { ScaleMeasurement } from './scale.js';
import { LOOP_DELAY_RESOLUTION_MS, SCALE_ALTERNATIVES, SCALE_INTERVAL_MS, type ScaleAlternativeKey } from './scale-flows.js';

const run = promisify(execFile);

/** The order of rows: the `signal` group, the group without an AbortController, the reference. */
const ORDER: readonly ScaleAlternativeKey[] = ['tokenpollSignal', 'pRetrySignal', 'handLoopSignal', 'tokenpollCancel', 'pRetryCancel', 'handLoopCancel', 'abortController'];

/** Like for like: each tokenpoll row and the alternatives it is set against. */
const GROUPS = [
  { tokenpoll: 'tokenpollSignal', pRetry: 'pRetrySignal', handLoop: 'handLoopSignal', name: 'with an AbortController each' },
  { tokenpoll: 'tokenpollCancel', pRetry: 'pRetryCancel', handLoop: 'handLoopCancel', name: 'without an AbortController' },
] as const;

/** The 3 KB, in its own unit (its 3.5 KB for p-retry was 3,474 B). */
const TARGET_HEAP_BYTES = 3_000;
const TARGET_LOOP_P99_MS = 20;

export interface ScaleSettings {
  readonly flows: number;
  readonly windowMs: number;
}

export async function runScale(settings: ScaleSettings, log: (line: string) => void): Promise<ScaleMeasurement[]> {
  const script = path.join(OUT_DIR, 'scale.mjs');
  const measurements: ScaleMeasurement[] = [];
  for (const key of ORDER) {
    log(`scale: ${key}, ${settings.flows} flows, ${settings.windowMs} ms`);
    const { stdout } = await run(process.execPath, ['--expose-gc', script, key, String(settings.flows), String(settings.windowMs)], { maxBuffer: 1 << 20 });
    const measurement = JSON.parse(stdout.trim().split('\n').at(-1)!) as ScaleMeasurement;
    log(`  ${JSON.stringify(measurement)}`);
    measurements.push(measurement);
  }
  return measurements;
}

function settled(m: ScaleMeasurement | undefined): string {
  if (!m) return 'n/a';
  return m.settleMs === null ? `not within 10 s (${m.settledFlows.toLocaleString('en-US')} settled)` : figure(m.settleMs);
}

function listeners(m: ScaleMeasurement): string {
  return m.listenersLeft === null ? '– (no signal)' : String(m.listenersLeft);
}

/** The verdict lines of one like-for-like group. */
function groupTargets(group: (typeof GROUPS)[number], by: (key: ScaleAlternativeKey) => ScaleMeasurement | undefined): string[] {
  const tokenpoll = by(group.tokenpoll);
  const pRetry = by(group.pRetry);
  const handLoop = by(group.handLoop);
  if (!tokenpoll || !pRetry || !handLoop) return [`- ${group.name}: not measured in this run.`];
  const heap = tokenpoll.heapBytesPerFlow;
  const heapMet = heap <= TARGET_HEAP_BYTES && heap < pRetry.heapBytesPerFlow && heap < handLoop.heapBytesPerFlow;
  const settleMet = tokenpoll.settleMs !== null && pRetry.settleMs !== null && tokenpoll.settleMs <= pRetry.settleMs && tokenpoll.timersLeft === 0 && (tokenpoll.listenersLeft ?? 0) === 0;
  const loopMet = tokenpoll.loopDelayP99Ms <= TARGET_LOOP_P99_MS;
  return [
    `- **${group.name}**: heap ${figure(heap)} B per flow against p-retry's ${figure(pRetry.heapBytesPerFlow)} B and the hand loop's ${figure(handLoop.heapBytesPerFlow)} B: ${verdict(heapMet)} (≤ ${figure(TARGET_HEAP_BYTES)} B and below both).` +
      ` All settled ${settled(tokenpoll)} ms after the cancel against p-retry's ${settled(pRetry)} ms, ${tokenpoll.timersLeft} timers and ${tokenpoll.listenersLeft ?? 0} listeners left: ${verdict(settleMet)} (no later than p-retry, 0 left).` +
      ` Event-loop delay p99 ${figure(tokenpoll.loopDelayP99Ms)} ms: ${verdict(loopMet)} (≤ ${TARGET_LOOP_P99_MS} ms).`,
  ];
}

export function scaleSection(measurements: readonly ScaleMeasurement[], settings: ScaleSettings): string {
  const by = (key: ScaleAlternativeKey): ScaleMeasurement | undefined => measurements.find((m) => m.alternative === key);
  const against = (key: ScaleAlternativeKey): ScaleMeasurement | undefined => by(GROUPS.find((g) => g.pRetry === key || g.handLoop === key || g.tokenpoll === key)?.tokenpoll ?? 'tokenpollSignal');
  const rows = measurements.map((m) => [
    SCALE_ALTERNATIVES[m.alternative].label,
    figure(m.heapBytesPerFlow),
    ratio(m.heapBytesPerFlow, against(m.alternative)?.heapBytesPerFlow),
    settled(m),
    ratio(m.settleMs, against(m.alternative)?.settleMs),
    String(m.timersLeft),
    listeners(m),
    `${figure(m.loopDelayP99Ms)} (max ${figure(m.loopDelayMaxMs)})`,
    m.cpuUsPerPoll === null ? 'n/a' : figure(m.cpuUsPerPoll),
    String(m.timersHeld),
    figure(m.polls),
  ]);
  const flows = settings.flows.toLocaleString('en-US');
  return [
    `## 1. ${flows} pending flows: heap, cancelling them all, event-loop delay, CPU per poll`,
    '',
    `Workload: ${flows} flows started at once on the system clock, each polling an in-memory transport that always answers \`authorization_pending\` (one microtask later), every ${SCALE_INTERVAL_MS / 1000} s, each cancellable on its own. Each alternative runs in a fresh \`node --expose-gc\` process (bench/scale.ts): start every flow (the caller holds each flow's cancel handle and its result, and awaits the result at once), let them poll for ${settings.windowMs / 1000} s while sampling the event-loop delay and the CPU time, weigh the heap after GC, then cancel them all (one shared reason, as a shutdown would) and time until every result has settled.`,
    '',
    table(
      ['alternative', 'heap B/flow', 'vs tokenpoll', 'all settled after cancel, ms', 'vs tokenpoll', 'timers left', 'listeners left', 'loop delay p99 ms', 'CPU µs/poll', 'timers held', 'polls in window'],
      rows,
      [6],
    ),
    '',
    'Like for like: the first three rows each have an AbortController per flow and are cancelled through it; the next three have none and are cancelled through their own cancel function. Ratios are against the tokenpoll row of the same group.',
    '',
    ...GROUPS.flatMap((group) => groupTargets(group, by)),
    '',
    '<details><summary>How each figure is counted, and what each row does</summary>',
    '',
    "- **Heap**: `process.memoryUsage().heapUsed` after three forced GCs, less the same before the flows started, divided by the number of flows. It includes everything the caller holds: each flow's cancel handle (its AbortController, tokenpoll's handle, or the clearable wait) and its result, plus the caller's reaction to it (`result.then(…)`); the arrays that hold them existed before the first weighing.",
    '- **All settled after cancel**: from the first cancel (every flow is cancelled in one synchronous loop) until the last result has settled, checked once per event-loop turn.',
    "- **Timers left / held**: host timers, counted as the `Timeout` entries of `process.getActiveResourcesInfo()` (the timers that keep the process alive), less the same count before the flows started; held is counted once mid-window, left once every flow has settled.",
    "- **Listeners left**: the `abort` listeners still registered on the callers' signals once every flow has settled, summed over every signal with `getEventListeners(signal, 'abort')` from node:events. Rows without an AbortController have no signal to count.",
    `- **Loop delay**: \`monitorEventLoopDelay\` from node:perf_hooks at ${LOOP_DELAY_RESOLUTION_MS} ms resolution, over the whole window, less the resolution.`,
    '- **CPU µs/poll**: the process CPU time (`process.cpuUsage()`, user + system) over the window, divided by the transport calls in it: each poll with its share of the timers, promises and GC. No target.',
    '',
    ...ORDER.map((key) => `- **${SCALE_ALTERNATIVES[key].label}**: ${SCALE_ALTERNATIVES[key].note}`),
    '',
    '</details>',
  ].join('\n');
}
