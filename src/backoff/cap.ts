import { nonNegative, withMaxDelay, type BackoffStrategy } from './types.js';

/**
 * Caps any strategy at `maxDelayMs` (the strategy's own, if lower, is kept),
 * and carries that cap.
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
  const cap = strategy.maxDelayMs !== undefined && strategy.maxDelayMs < maxDelayMs ? strategy.maxDelayMs : maxDelayMs;
  return withMaxDelay((context) => Math.min(maxDelayMs, strategy(context)), cap);
}
