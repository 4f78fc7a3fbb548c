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
 * Gives a strategy its `maxDelayMs`.
 * @internal
 */
export function withMaxDelay(strategy: (context: BackoffContext) => number, maxDelayMs: number): BackoffStrategy {
  return Object.defineProperty(strategy, 'maxDelayMs', { value: maxDelayMs, enumerable: true });
}

/** @internal */
export function nonNegative(name: string, value: number): number {
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative number, got ${String(value)}`);
  }
  return value;
}
