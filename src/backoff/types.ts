import type { BackoffContext, BackoffStrategy } from '../core/backoff-strategy.js';

// The strategy's type lives in the core, which runs strategies; the backoff folder builds them.
export type { BackoffContext, BackoffStrategy } from '../core/backoff-strategy.js';

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
