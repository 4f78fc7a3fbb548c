import { TimerQueue, type HostTimers } from './timer-queue.js';

/**
 * The largest delay the global `setTimeout` honours: 2³¹ − 1 ms, about 24.8
 * days. Node runs a longer one after 1 ms (with a `TimeoutOverflowWarning`),
 * and browsers run it at once. {@link systemClock} waits longer delays out in
 * steps of at most this.
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
 * The real clock: `performance.now()` in whole milliseconds, rounded up;
 * `Date.now()`; and timers on the global `setTimeout`.
 *
 * Its timers share one host timer (two: one more for `unref` timers), ordered
 * in a heap, so a process holding many flows holds one host timer rather than
 * one per flow, and setting or clearing a timer costs a heap update. When no
 * timer is pending, no host timer is armed. Unlike the global timers:
 *
 * - A timer fires once `performance.now()`, fraction included, has moved on
 *   by its delay: never earlier, even when the host timer fires early.
 * - Any delay is honoured: one past {@link MAX_TIMER_DELAY_MS} is waited out
 *   in steps.
 * - Timers due in the same turn run back to back, earliest first (ties in the
 *   order they were set), with no microtask checkpoint between them (Node runs
 *   one between its own timers). A timer set by one of them fires on a later
 *   turn, even if already due. The time is read every 64 callbacks: once 5 ms
 *   have passed, the timers still due wait for a later turn, so I/O can run.
 * - A callback that throws sends its error to the host, as any timer callback
 *   does (`uncaughtException` in Node); the timers still due run on a later
 *   turn.
 * - `setTimeout` returns a handle of its own, not a Node `Timeout`: it has no
 *   `ref()`, `unref()` or `hasRef()` (pass `{ unref: true }` instead).
 *   `clearTimeout` does nothing with a handle from the global `setTimeout`,
 *   or anything else it did not hand out.
 * - If test fakes take the host timer away, the next timer set arms a new
 *   one: at once if the global `setTimeout` was replaced since
 *   (`vi.useFakeTimers()`, `vi.useRealTimers()`), or once the lost timer is
 *   50 ms overdue (`vi.clearAllTimers()`).
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
