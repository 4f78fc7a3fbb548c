/**
 * What a backoff strategy is given to compute one delay.
 * @group Backoff
 */
export interface BackoffContext {
  /** Consecutive failures so far, this one included (1 for the first retry). */
  readonly attempt: number;
  /** The delay this strategy returned last time, or 0 for the first retry. */
  readonly previousDelayMs: number;
  /** A number in [0, 1). Pass a seeded source's output to replay a run exactly. */
  readonly random: number;
}

/**
 * A backoff strategy: a pure function from a {@link BackoffContext} to a delay
 * in milliseconds. Any function of this shape is a custom strategy.
 *
 * A strategy may also say what its largest delay is, as `maxDelayMs`
 * ({@link exponentialBackoff}, {@link linearBackoff} and {@link capBackoff}
 * do). The poll loop reads it as the backoff's cap: the wait it doubles after
 * a request timeout (RFC 8628 §3.5) stops there, 60 s for a strategy without one.
 *
 * @example
 * A custom strategy that waits 2 s, then 4 s, then 4 s from then on.
 * ```ts
 * import type { BackoffStrategy } from 'tokenpoll';
 * const steps: BackoffStrategy = ({ attempt }) => (attempt === 1 ? 2000 : 4000);
 * const capped = Object.assign(steps, { maxDelayMs: 4000 }); // the same, with its cap stated
 * ```
 * @group Backoff
 */
export type BackoffStrategy = ((context: BackoffContext) => number) & {
  /** The largest delay the strategy returns, when it has a cap. */
  readonly maxDelayMs?: number;
};

/**
 * The backoff a flow uses when it is given none: exponential from 1 s, factor
 * 2, capped at 60 s, with full jitter; the same delays as `exponentialBackoff()`
 * (which the core may not import; a test holds the two together).
 * @internal
 */
export const DEFAULT_BACKOFF: BackoffStrategy = Object.freeze(
  Object.assign(({ attempt, random }: BackoffContext) => random * Math.min(60_000, 1000 * 2 ** Math.max(0, attempt - 1)), { maxDelayMs: 60_000 }),
);

/**
 * Runs a strategy, turning what it should never return (NaN, negative,
 * Infinity) into 0, so a faulty custom strategy can only shorten a wait to
 * its floor, never break the schedule.
 * @internal
 */
export function backoffDelay(strategy: BackoffStrategy, context: BackoffContext): number {
  const delayMs = strategy(context);
  return Number.isFinite(delayMs) && delayMs > 0 ? delayMs : 0;
}

/**
 * The wait before retrying a transient fault: the largest of the floor, the
 * backoff delay and the server's `Retry-After`, in whole milliseconds.
 * Shared by the poll loop (whose floor is the RFC 8628 interval) and the
 * one-shot retry (whose floor is 5 s after a `slow_down`, else 0).
 * @internal
 */
export function transientWaitMs(floorMs: number, backoffMs: number, retryAfterMs: number | undefined): number {
  return Math.ceil(Math.max(floorMs, backoffMs, retryAfterMs ?? 0));
}
