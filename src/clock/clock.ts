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
 * Monotonic time in whole milliseconds: `performance.now()` rounded up. Host
 * timers count whole milliseconds too, and rounding up means a time the
 * caller read from `performance.now()` (an `issuedAt`) is never ahead of it.
 */
const wholeMillisecondsNow = (): number => Math.ceil(performance.now());

type HostTimer = ReturnType<typeof globalThis.setTimeout>;

/**
 * The global `setTimeout`, looked up at each call (so test fakes installed
 * since are used), the timer unref'd when asked.
 */
function hostTimeout(callback: () => void, delayMs: number, unref: boolean): HostTimer {
  const timer = globalThis.setTimeout(callback, delayMs);
  if (unref) (timer as { unref?: () => void }).unref?.();
  return timer;
}

/**
 * A wait longer than {@link MAX_TIMER_DELAY_MS}, run as a chain of host
 * timers of at most that each; `cancel` clears whichever link is pending.
 * The time left is counted from the delays already waited, not read from a
 * clock, so the chain behaves the same on test fakes.
 */
class LongTimer {
  #timer: HostTimer;
  constructor(callback: () => void, delayMs: number, unref: boolean) {
    const wait = (leftMs: number): HostTimer =>
      leftMs > MAX_TIMER_DELAY_MS
        ? hostTimeout(() => (this.#timer = wait(leftMs - MAX_TIMER_DELAY_MS)), MAX_TIMER_DELAY_MS, unref)
        : hostTimeout(callback, leftMs, unref);
    this.#timer = wait(delayMs);
  }
  cancel(): void {
    globalThis.clearTimeout(this.#timer);
  }
}

/**
 * The real clock: `performance.now()` in whole milliseconds, rounded up;
 * `Date.now()`; and the platform's own `setTimeout` and `clearTimeout`,
 * looked up at each call (so `vi.useFakeTimers()` applies to it), with the
 * platform's timer semantics.
 *
 * - `{ unref: true }` unrefs the timer (Node, Bun), so a pending wait does
 *   not keep the process alive; where timers have no `unref` (browsers,
 *   Deno), the option does nothing.
 * - A delay past {@link MAX_TIMER_DELAY_MS} (which the platform would run at
 *   once) is waited out in full, by a chain of host timers; `clearTimeout`
 *   cancels the chain wherever it is. For such a delay, `setTimeout` returns
 *   a handle of its own; otherwise it returns the platform's timer.
 * - A host timer may fire up to a millisecond before `now()` shows its delay
 *   as passed (Node counts whole milliseconds of a loop time that lags): the
 *   poll machine takes an early wake-up for what it is and waits again.
 * @group Clock
 */
export const systemClock: Clock = Object.freeze({
  now: wholeMillisecondsNow,
  wallNow: () => Date.now(),
  setTimeout(callback: () => void, delayMs: number, options?: TimerOptions): unknown {
    const unref = options?.unref ?? false;
    return delayMs > MAX_TIMER_DELAY_MS ? new LongTimer(callback, delayMs, unref) : hostTimeout(callback, delayMs, unref);
  },
  clearTimeout(timer: unknown): void {
    if (timer instanceof LongTimer) timer.cancel();
    else globalThis.clearTimeout(timer as HostTimer);
  },
});
