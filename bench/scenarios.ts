/**
 * What the CPU-per-poll suite measures, shared by the bench file (which runs
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
    label: 'hand-written loop',
    note: 'await clock.sleep(floor), await the transport, switch on the answer (+5 s on slow_down). The baseline.',
  },
  tokenpoll: {
    name: 'tokenpoll pollToken (virtual clock)',
    label: 'tokenpoll `pollToken`',
    note: "the whole driver: two transitions of the core per poll (timer, then answer), the request's AbortController, the classifier, the timers on the clock, the p-cancelable result (no caller signal, no listeners).",
  },
  pRetry: {
    name: 'p-retry 7 (wait in shouldRetry, virtual clock)',
    label: 'p-retry 7, wait in `shouldRetry`',
    note: 'retries = N, minTimeout 0, and shouldRetry awaits clock.sleep(interval): the wait of a poll where p-retry lets you put your own (p-retry 7 has no delay function). The attempt throws one shared Error on pending.',
  },
  transition: {
    name: 'tokenpoll transition() only',
    label: 'tokenpoll `transition()` only (the pure core)',
    note: 'the pure state machine, synchronous: timerFired + responseReceived per poll, no driver, no promises, no timers.',
  },
} as const satisfies Record<string, Scenario>;

export type ScenarioKey = keyof typeof SCENARIOS;

/** The order of rows in RESULTS.md; ratios are against the first. */
export const REPORT_ORDER: readonly ScenarioKey[] = ['handLoop', 'tokenpoll', 'pRetry', 'transition'];
