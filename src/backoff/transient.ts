import type { BackoffContext, BackoffStrategy } from './types.js';

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
 * Shared by the poll loop (whose floor is the RFC 8628 interval) and
 * {@link retry} (whose floor is 5 s after a `slow_down`, else 0).
 * @internal
 */
export function transientWaitMs(floorMs: number, backoffMs: number, retryAfterMs: number | undefined): number {
  return Math.ceil(Math.max(floorMs, backoffMs, retryAfterMs ?? 0));
}
