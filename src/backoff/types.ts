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
 * @example
 * A custom strategy that waits 2 s, then 4 s, then 4 s from then on.
 * ```ts
 * import type { BackoffStrategy } from 'tokenpoll';
 * const steps: BackoffStrategy = ({ attempt }) => (attempt === 1 ? 2000 : 4000);
 * ```
 * @group Backoff
 */
export type BackoffStrategy = (context: BackoffContext) => number;

/** @internal */
export function nonNegative(name: string, value: number): number {
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative number, got ${String(value)}`);
  }
  return value;
}
