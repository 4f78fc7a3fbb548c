import { nonNegative, type BackoffStrategy } from './types.js';

/**
 * Caps any strategy at `maxDelayMs`.
 * @example
 * ```ts
 * import { capBackoff, linearBackoff } from 'tokenpoll';
 * const capped = capBackoff(linearBackoff({ incrementMs: 10_000 }), 15_000);
 * ```
 * @throws `RangeError` when `maxDelayMs` is negative or NaN.
 * @group Backoff
 */
export function capBackoff(strategy: BackoffStrategy, maxDelayMs: number): BackoffStrategy {
  nonNegative('maxDelayMs', maxDelayMs);
  return (context) => Math.min(maxDelayMs, strategy(context));
}
