/**
 * What the per-poll benchmark measures, shared by the bench file (which runs
 * the flows) and bench/per-poll-report.ts (which turns samples into its
 * section of bench/RESULTS.md).
 */

/** Polls per flow: N-1 `authorization_pending` answers, then `success`. */
export const POLLS = 1000;

/** The RFC interval the flows use (1 s, AWS IAM Identity Center's typical value). */
export const INTERVAL_SECONDS = 1;

/** Measured flows per alternative, after warm-up flows. */
export const SAMPLES = 50;
export const WARMUP = 10;
/** cockatiel sleeps on real timers (≥ 1 ms each), so it gets fewer flows to stay within budget. */
export const SLOW_SAMPLES = 20;
export const SLOW_WARMUP = 2;

export interface Scenario {
  /** The bench() name; the reporter finds results by it. */
  readonly name: string;
  /** The short label in RESULTS.md. */
  readonly label: string;
  readonly note: string;
}

export const SCENARIOS = {
  handLoop: {
    name: 'hand loop (virtual clock)',
    label: '(b) hand-written loop, VirtualClock',
    note: 'await transport, switch on the answer, next delay = floor (+5 s on slow_down), await clock.sleep(delay). Baseline.',
  },
  handLoopNoSleep: {
    name: 'hand loop, no sleep',
    label: '(b) hand-written loop, no sleep',
    note: 'the same loop without the wait: the like-for-like baseline for p-retry with minTimeout 0.',
  },
  tokenpoll: {
    name: 'tokenpoll pollToken (virtual clock)',
    label: '(a) tokenpoll `pollToken`, VirtualClock',
    note: 'full driver: two steps of the core per poll (advance(), the entry transition() wraps, into a reused effects buffer), classifier, request-timeout wake-up set and cleared, cancelable result (no AbortController: this transport never reads its signal).',
  },
  transition: {
    name: 'tokenpoll transition() only',
    label: '(a) tokenpoll `transition()` only (core)',
    note: 'pure state machine, synchronous: timerFired + responseReceived per poll, no driver, no awaits.',
  },
  pRetrySleep: {
    name: 'p-retry 7 + virtual sleep in the attempt',
    label: '(c) p-retry 7, sleep inside the attempt',
    note: 'retries = N, minTimeout 0; the attempt itself awaits clock.sleep(interval) then the transport, so the work matches (b).',
  },
  pRetry: {
    name: 'p-retry 7 (minTimeout 0, no sleep)',
    label: '(c) p-retry 7, minTimeout 0, no sleep',
    note: 'retries = N, minTimeout 0: no wait at all between attempts (p-retry cannot express the RFC interval or the slow_down floor). One pre-allocated Error is thrown for every pending answer.',
  },
  pRetryNewError: {
    name: 'p-retry 7 (minTimeout 0, no sleep, new Error per attempt)',
    label: '(c) p-retry 7, minTimeout 0, no sleep, `new Error()` per pending',
    note: 'as above, but throwing a fresh Error per pending answer, as real code would: adds the stack capture.',
  },
  cockatiel: {
    name: 'cockatiel 3 ConstantBackoff(0)',
    label: '(d) cockatiel 3, ConstantBackoff(0)',
    note: 'retry(handleAll, { maxAttempts: N, backoff: new ConstantBackoff(0) }): sleeps through a real setTimeout(0) (Node clamps it to 1 ms) on every retry.',
  },
  tokenpollManual: {
    name: 'tokenpoll pollToken (ManualClock.runUntilSettled)',
    label: '(a) tokenpoll `pollToken`, ManualClock.runUntilSettled',
    note: 'as the test suite drives it: one setImmediate (an event-loop turn) per timer, i.e. per poll.',
  },
  handLoopManual: {
    name: 'hand loop (ManualClock.runUntilSettled)',
    label: '(b) hand-written loop, ManualClock.runUntilSettled',
    note: 'the same hand loop on ManualClock, to price runUntilSettled itself.',
  },
} as const satisfies Record<string, Scenario>;

export type ScenarioKey = keyof typeof SCENARIOS;

/** The order of rows in RESULTS.md. */
export const REPORT_ORDER: readonly ScenarioKey[] = [
  'handLoop',
  'tokenpoll',
  'transition',
  'pRetrySleep',
  'handLoopNoSleep',
  'pRetry',
  'pRetryNewError',
  'cockatiel',
  'handLoopManual',
  'tokenpollManual',
];
