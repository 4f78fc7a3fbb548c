/**
 * Suite 2 (scale): runs bench/scale.ts once per alternative, each in a fresh
 * `node --expose-gc` process, and renders the section of bench/RESULTS.md.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { figure, OUT_DIR, ratio, table, verdict } from './report.js';
import type { ScaleMeasurement } from './scale.js';
import { SCALE_ALTERNATIVES, SCALE_INTERVAL_MS, type ScaleAlternativeKey } from './scale-flows.js';

const run = promisify(execFile);

/** The order of rows; the like-for-like ratios are against `tokenpollSignal`. */
const ORDER: readonly ScaleAlternativeKey[] = ['tokenpollCancel', 'tokenpollSignal', 'tokenpollListener', 'handLoop', 'pRetry', 'cockatiel', 'abortController'];

const TARGET_HEAP_BYTES = 1024;
const TARGET_SETTLE_MS = 100;
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

function settled(m: ScaleMeasurement): string {
  return m.settleMs === null ? `not within 5 s (${m.settledFlows.toLocaleString('en-US')} settled)` : figure(m.settleMs);
}

/** What closes each missed target, for the lean row. */
function gaps(lean: ScaleMeasurement | undefined, settings: ScaleSettings): string[] {
  if (!lean) return [];
  const lines: string[] = [];
  if (lean.heapBytesPerFlow > TARGET_HEAP_BYTES) {
    lines.push(
      "What the heap of a pending flow is made of, and what would close the gap: the handle (the driver's fields, its cancelable result and a bound timer callback), the machine's state and the flow's config (from `core/`), one entry in the shared timer queue, and, because the caller awaits the result, a native promise with its two resolving functions plus the caller's reaction and derived promise (about 100 B that every row pays). In `core/`, `createConfig` sharing one frozen empty array when there are no warnings would take off 32 B, and a state without the rarely used fields (`previousRequestAt`, `compliantSlowDowns`, `driftWarned` kept together) would take off some more.",
    );
  }
  if (lean.settleMs === null || lean.settleMs > TARGET_SETTLE_MS) {
    lines.push(
      `What the time to settle is made of, and what would close the gap: settling a flow builds its terminal state, the effects of that last transition and a \`PollCancelledError\` (without a stack trace: its frames would only name the driver), and rejects its promise; all of that survives until the promise reactions run, after the abort loop, so most of the time goes to the garbage collector copying it out of the young generation, in a heap that holds ${settings.flows.toLocaleString('en-US')} live flows. A leaner settle in \`core/\` (no effects array, no spread copy of the state) would shorten it. Aborting through AbortControllers adds what Node charges for each \`abort()\` event, which no library can avoid (last row).`,
    );
  }
  if (lean.loopDelayP99Ms > TARGET_LOOP_P99_MS) {
    lines.push(
      'What the event-loop delay is made of, and what would close the gap: the shared timer queue runs due timers for at most 5 ms per host timer callback, then yields; the answers to the polls it sent run as promise callbacks right after it, in the same turn. Sending fewer polls per slice would lower the delay.',
    );
  }
  return lines.flatMap((line) => [line, '']);
}

export function scaleSection(measurements: readonly ScaleMeasurement[], settings: ScaleSettings): string {
  const by = (key: ScaleAlternativeKey): ScaleMeasurement | undefined => measurements.find((m) => m.alternative === key);
  const likeForLike = by('tokenpollSignal');
  const lean = by('tokenpollCancel');
  const reference = by('abortController');
  const rows = measurements.map((m) => [
    SCALE_ALTERNATIVES[m.alternative].label,
    figure(m.heapBytesPerFlow),
    ratio(m.heapBytesPerFlow, likeForLike?.heapBytesPerFlow),
    String(m.timersHeld),
    figure(m.polls),
    `${figure(m.loopDelayP99Ms)} (max ${figure(m.loopDelayMaxMs)})`,
    settled(m),
    ratio(m.settleMs, likeForLike?.settleMs),
    String(m.timersLeft),
  ]);
  const targets = lean
    ? [
        `- **Heap per pending flow ≤ ${TARGET_HEAP_BYTES} B**, handle included: ${figure(lean.heapBytesPerFlow)} B with \`cancel()\`: ${verdict(lean.heapBytesPerFlow <= TARGET_HEAP_BYTES)}.` +
          (likeForLike && reference ? ` With an AbortController each, ${figure(likeForLike.heapBytesPerFlow)} B, of which the caller's controller, its signal and one listener weigh about ${figure(reference.heapBytesPerFlow)} B on their own (last row).` : '') +
          (by('tokenpollListener') ? ` A \`pending\` listener adds ${figure(by('tokenpollListener')!.heapBytesPerFlow - (likeForLike?.heapBytesPerFlow ?? 0))} B (the emitter is made only when someone listens).` : ''),
        `- **All settled ≤ ${TARGET_SETTLE_MS} ms after abort, with 0 timers left**: ${settled(lean)} ms with \`cancel()\`, ${lean.timersLeft} timers left: ${verdict(lean.settleMs !== null && lean.settleMs <= TARGET_SETTLE_MS && lean.timersLeft === 0)}.` +
          (likeForLike ? ` Through an AbortController each: ${settled(likeForLike)} ms, ${likeForLike.timersLeft} left.` : '') +
          (reference ? ` Aborting ${settings.flows.toLocaleString('en-US')} bare AbortControllers with one listener each already takes ${settled(reference)} ms here.` : ''),
        `- **Event-loop delay p99 ≤ ${TARGET_LOOP_P99_MS} ms** while polling: ${figure(lean.loopDelayP99Ms)} ms with \`cancel()\`${likeForLike ? `, ${figure(likeForLike.loopDelayP99Ms)} ms with an AbortController each` : ''}: ${verdict(lean.loopDelayP99Ms <= TARGET_LOOP_P99_MS && (likeForLike?.loopDelayP99Ms ?? 0) <= TARGET_LOOP_P99_MS)}.`,
      ]
    : ['Not measured in this run.'];
  return [
    `## 2. Scale: ${settings.flows.toLocaleString('en-US')} pending flows on real timers`,
    '',
    `Workload: ${settings.flows.toLocaleString('en-US')} flows started at once on the system clock, each polling an in-memory transport that always answers \`authorization_pending\`, every ${SCALE_INTERVAL_MS / 1000} s, each abortable on its own. Each alternative runs in a fresh \`node --expose-gc\` process (bench/scale.ts): start every flow (each one's result is awaited at once, as a caller would), let them poll for ${settings.windowMs / 1000} s while sampling the event-loop delay, weigh the heap after GC, then abort them all (one shared reason, as a shutdown would) and time until every one has settled.`,
    '',
    table(['alternative', 'heap B/flow', 'heap vs tokenpoll', 'timers held', 'polls in window', 'loop delay p99 ms', 'settle after abort ms', 'settle vs tokenpoll', 'timers left'], rows),
    '',
    'Ratios are against tokenpoll with an AbortController each (like for like). Heap is `heapUsed` after GC, less the same before the flows started, divided by the number of flows. Timers are Node `Timeout` resources (`process.getActiveResourcesInfo()`). The loop delay is `monitorEventLoopDelay` at 10 ms resolution, less the resolution.',
    '',
    ...targets,
    '',
    ...gaps(lean, settings),
    '<details><summary>What each row does</summary>',
    '',
    ...ORDER.map((key) => `- **${SCALE_ALTERNATIVES[key].label}**: ${SCALE_ALTERNATIVES[key].note}`),
    '',
    '</details>',
  ].join('\n');
}
