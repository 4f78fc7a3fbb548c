import { nonNegative, type BackoffStrategy } from './types.js';

/**
 * Waits the same delay every time.
 * @example
 * ```ts
 * import { constantBackoff } from 'tokenpoll';
 * constantBackoff(1000)({ attempt: 3, previousDelayMs: 1000, random: 0.5 }); // 1000
 * ```
 * @throws `RangeError` when `delayMs` is negative or NaN.
 * @group Backoff
 */
export function constantBackoff(delayMs: number): BackoffStrategy {
  nonNegative('delayMs', delayMs);
  return () => delayMs;
}
