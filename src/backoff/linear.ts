import { nonNegative, withMaxDelay, type BackoffStrategy } from './types.js';

/** Options for {@link linearBackoff}. @group Backoff */
export interface LinearBackoffOptions {
  /** The first delay. @defaultValue 1000 */
  readonly initialDelayMs?: number;
  /** Added for each further attempt. @defaultValue 1000 */
  readonly incrementMs?: number;
  /** The largest delay. @defaultValue 60000 */
  readonly maxDelayMs?: number;
}

/**
 * Grows by a fixed step: `initialDelayMs + (attempt - 1) * incrementMs`,
 * capped at `maxDelayMs`, which the strategy carries.
 * @example
 * ```ts
 * import { linearBackoff } from 'tokenpoll';
 * linearBackoff({ initialDelayMs: 1000, incrementMs: 500 })({ attempt: 3, previousDelayMs: 0, random: 0 }); // 2000
 * ```
 * @throws `RangeError` when an option is negative or NaN.
 * @group Backoff
 */
export function linearBackoff(options: LinearBackoffOptions = {}): BackoffStrategy {
  const initial = nonNegative('initialDelayMs', options.initialDelayMs ?? 1000);
  const step = nonNegative('incrementMs', options.incrementMs ?? 1000);
  const max = nonNegative('maxDelayMs', options.maxDelayMs ?? 60_000);
  return withMaxDelay(({ attempt }) => Math.min(max, initial + Math.max(0, attempt - 1) * step), max);
}
