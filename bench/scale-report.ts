/**
 * Suite 2 (scale): runs bench/scale.ts once per alternative, each in a fresh
 * `node --expose-gc` process, and renders the section of bench/RESULTS.md.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { figure, OUT_DIR, ratio, table, verdict } from './report.js';
import { RESULT_KINDS, type ResultHeapMeasurement, type ResultKind } from './result-heap.js';
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

/** What suite 2 measured: the flows, and the heap of one pending result by kind. */
export interface ScaleRun {
  readonly flows: readonly ScaleMeasurement[];
  readonly results: readonly ResultHeapMeasurement[];
}

export async function runScale(settings: ScaleSettings, log: (line: string) => void): Promise<ScaleRun> {
  const script = path.join(OUT_DIR, 'scale.mjs');
  const measure = async <T>(args: string[]): Promise<T> => {
    const { stdout } = await run(process.execPath, ['--expose-gc', script, ...args], { maxBuffer: 1 << 20 });
    const measurement = JSON.parse(stdout.trim().split('\n').at(-1)!) as T;
    log(`  ${JSON.stringify(measurement)}`);
    return measurement;
  };
  const flows: ScaleMeasurement[] = [];
  for (const key of ORDER) {
    log(`scale: ${key}, ${settings.flows} flows, ${settings.windowMs} ms`);
    flows.push(await measure<ScaleMeasurement>([key, String(settings.flows), String(settings.windowMs)]));
  }
  const results: ResultHeapMeasurement[] = [];
  for (const kind of Object.keys(RESULT_KINDS) as ResultKind[]) {
    log(`scale: results:${kind}, ${settings.flows} results`);
    results.push(await measure<ResultHeapMeasurement>([`results:${kind}`, String(settings.flows)]));
  }
  return { flows, results };
}

/** The side table: heap per pending result, p-cancelable against CancelableResult. */
function resultSection(results: readonly ResultHeapMeasurement[], count: number): string[] {
  if (results.length === 0) return [];
  const by = (kind: ResultKind): ResultHeapMeasurement | undefined => results.find((m) => m.kind === kind);
  const lean = by('cancelableResult');
  const old = by('pCancelable');
  const rows = results.map((m) => [RESULT_KINDS[m.kind].label, figure(m.heapBytesPerResult), ratio(m.heapBytesPerResult, lean?.heapBytesPerResult)]);
  return [
    `### Heap per pending result: p-cancelable against \`CancelableResult\``,
    '',
    `${count.toLocaleString('en-US')} pending results of each kind, each in a fresh process (bench/result-heap.ts), made as the driver makes them; heap after GC per result, the flow that owns it not counted.`,
    '',
    table(['result', 'heap B/result', 'ratio vs CancelableResult'], rows),
    '',
    lean && old
      ? `Why the driver no longer uses p-cancelable: one pending \`PCancelable\`, made as the driver made it, weighs ${figure(old.heapBytesPerResult)} B, more than the whole 1 KB budget of a pending flow, against ${figure(lean.heapBytesPerResult)} B for \`CancelableResult\` (${ratio(old.heapBytesPerResult, lean.heapBytesPerResult)}); p-cancelable makes its native promise, its resolving functions, its cancel handlers and the \`catch(noop)\` that keeps an unawaited result from rejecting unhandled, all up front.`
      : '',
    '',
    '<details><summary>What each result row does</summary>',
    '',
    ...results.map((m) => `- **${RESULT_KINDS[m.kind].label}**: ${RESULT_KINDS[m.kind].note}`),
    '',
    '</details>',
    '',
  ];
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
      "What the heap of a pending flow is made of, and what would close the gap: the handle (the driver's fields, its cancelable result and a bound timer callback), the machine's state and the flow's config (from `core/`), one entry in the shared timer queue, and, because the caller awaits the result, a native promise with its two resolving functions plus the caller's reaction and derived promise (about 100 B that every row pays). In `core/`, a state without the rarely used fields (`previousRequestAt`, `compliantSlowDowns`, `driftWarned` kept together) would take off some more, and the shared timer queue holds up to one removed entry per live one until it compacts (each poll removes its request-timeout wake-up).",
    );
  }
  if (lean.settleMs === null || lean.settleMs > TARGET_SETTLE_MS) {
    lines.push(
      `What the time to settle is made of, and what would close the gap: a cancelled flow builds its frozen terminal state (no effects array is allocated and no event built when nobody listens), leaves the shared timer queue in O(1) (the entry is marked; the heap is compacted once half of it is removed entries), and, because every caller here awaits its result, builds a \`PollCancelledError\` and rejects the promise, whose reaction then runs. The error is most of what is left: V8's \`Error\` constructor costs about 0.3–0.5 µs even with no stack trace captured, and a promise needs its rejection value when it rejects, so an awaited result cannot defer it; a flow that nobody awaits or listens to builds no error at all. The rest is the garbage collector moving what the ${settings.flows.toLocaleString('en-US')} settlements leave behind out of the young generation. Aborting through AbortControllers adds what Node charges for each \`abort()\` event, which no library can avoid (last row).`,
    );
  }
  if (lean.loopDelayP99Ms > TARGET_LOOP_P99_MS) {
    lines.push(
      'What the event-loop delay is made of, and what would close the gap: the shared timer queue runs due timers for at most 5 ms per host timer callback, then yields; the answers to the polls it sent run as promise callbacks right after it, in the same turn. Sending fewer polls per slice would lower the delay.',
    );
  }
  return lines.flatMap((line) => [line, '']);
}

export function scaleSection(scale: ScaleRun, settings: ScaleSettings): string {
  const measurements = scale.flows;
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
    '',
    ...resultSection(scale.results, settings.flows),
  ].join('\n');
}
