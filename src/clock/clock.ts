import { TimerQueue, type HostTimers } from './timer-queue.js';

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
 * Monotonic time in whole milliseconds: `performance.now()` rounded up. Whole
 * numbers keep the times every flow holds small integers (a fraction would
 * make each a boxed double: measured in bench/, scale), host timers count
 * whole milliseconds anyway, and rounding up means a time the caller read
 * from `performance.now()` (an `issuedAt`) is never ahead of it.
 */
const wholeMillisecondsNow = (): number => Math.ceil(performance.now());

/**
 * The host timers of the system clock: `performance.now()` with its fraction
 * (so no timer fires before its delay has truly passed), and the global
 * `setTimeout`, looked up at each call (so test fakes that replace it are
 * seen), optionally unref'd. A timer is cleared with the `clearTimeout` of
 * the same globals it was set with, and taken for lost once the global
 * `setTimeout` is another one (fakes installed or removed since).
 */
function globalTimers(unref: boolean): HostTimers {
  let setWith: typeof globalThis.setTimeout | undefined;
  let clearWith: typeof globalThis.clearTimeout | undefined;
  return {
    now: () => performance.now(),
    setTimeout(callback, delayMs) {
      setWith = globalThis.setTimeout;
      clearWith = globalThis.clearTimeout;
      const timer = setWith(callback, delayMs);
      if (unref) (timer as { unref?: () => void }).unref?.();
      return timer;
    },
    clearTimeout: (timer) => clearWith?.(timer as ReturnType<typeof globalThis.setTimeout>),
    lost: () => globalThis.setTimeout !== setWith,
  };
}

/** Timers that keep the process alive, and timers that do not: one host timer for each kind. */
const refQueue = /* @__PURE__ */ new TimerQueue(globalTimers(false), MAX_TIMER_DELAY_MS);
const unrefQueue = /* @__PURE__ */ new TimerQueue(globalTimers(true), MAX_TIMER_DELAY_MS);

/**
 * The real clock: `performance.now()` (in whole milliseconds, rounded up),
 * `Date.now()`, and timers on the global `setTimeout`. Its timers share one
 * host timer (two: one for `unref` timers), ordered in a heap, so a process
 * holding many flows holds one host timer rather than one per flow, and
 * setting or clearing a timer costs a heap update. Any delay is honoured, even past {@link MAX_TIMER_DELAY_MS}
 * (the host timer is then re-armed in steps). When no timer is pending, no
 * host timer is armed.
 * @group Clock
 */
export const systemClock: Clock = Object.freeze({
  now: wholeMillisecondsNow,
  wallNow: () => Date.now(),
  setTimeout(callback: () => void, delayMs: number, options?: TimerOptions): unknown {
    return (options?.unref ? unrefQueue : refQueue).add(callback, delayMs);
  },
  clearTimeout(timer: unknown): void {
    refQueue.remove(timer);
    unrefQueue.remove(timer);
  },
});
