/**
 * The largest delay `setTimeout` honours (2³¹ − 1 ms, about 24.8 days).
 * Longer delays fire at once in Node and browsers, so every clock caps them.
 * @group Clock
 */
export const MAX_TIMER_DELAY_MS = 2_147_483_647;

/** Options for {@link Clock.setTimeout}. @group Clock */
export interface TimerOptions {
  /** Let the process exit while this timer is pending (Node's `unref`). @defaultValue false */
  readonly unref?: boolean;
}

/**
 * Time as the driver sees it: a monotonic `now`, a wall clock for HTTP dates,
 * and one-shot timers. Inject one to run flows on virtual time
 * (`ManualClock` from `tokenpoll/testing`).
 * @group Clock
 */
export interface Clock {
  /** Monotonic milliseconds; only differences matter. */
  now(): number;
  /** Milliseconds since the Unix epoch, used only to read `Retry-After` dates. */
  wallNow(): number;
  /** Calls `callback` once after `delayMs`. */
  setTimeout(callback: () => void, delayMs: number, options?: TimerOptions): unknown;
  /** Cancels a timer returned by {@link Clock.setTimeout}. */
  clearTimeout(timer: unknown): void;
}

/**
 * The real clock: `performance.now()`, `Date.now()` and the global timers,
 * with delays capped at {@link MAX_TIMER_DELAY_MS} (a capped timer wakes the
 * machine early, and it simply waits again).
 * @group Clock
 */
export const systemClock: Clock = Object.freeze({
  now: () => performance.now(),
  wallNow: () => Date.now(),
  setTimeout(callback: () => void, delayMs: number, options?: TimerOptions): unknown {
    const timer = globalThis.setTimeout(callback, Math.min(Math.max(0, delayMs), MAX_TIMER_DELAY_MS));
    if (options?.unref) (timer as { unref?: () => void }).unref?.();
    return timer;
  },
  clearTimeout(timer: unknown): void {
    globalThis.clearTimeout(timer as ReturnType<typeof globalThis.setTimeout>);
  },
});
