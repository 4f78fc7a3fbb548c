import { DEFAULT_INTERVAL_MS } from '../core/interval.js';
import type { BackoffStrategy } from '../core/backoff-strategy.js';

// The RFC 8628 interval rules live in the core, which applies them; the backoff folder offers them too.
export { DEFAULT_INTERVAL_MS, SLOW_DOWN_INCREMENT_MS, slowDownInterval, parseSeconds, type ParsedSeconds } from '../core/interval.js';

/**
 * The RFC 8628 interval as a {@link BackoffStrategy}: every wait is the
 * interval, and never less than the previous wait, so a floor raised by
 * `slow_down` (see {@link slowDownInterval}) and fed back as `previousDelayMs`
 * is never lowered. It ignores `random`: the RFC interval is not jittered.
 *
 * @param intervalMs - The server's interval. @defaultValue 5000 (RFC 8628 §3.2)
 * @example
 * ```ts
 * import { deviceFlowBackoff, slowDownInterval } from 'tokenpoll';
 * const backoff = deviceFlowBackoff(5000);
 * let delay = backoff({ attempt: 1, previousDelayMs: 0, random: 0 }); // 5000
 * delay = slowDownInterval(delay);                                    // 10000 after a slow_down
 * backoff({ attempt: 2, previousDelayMs: delay, random: 0 });         // 10000
 * ```
 * @throws `RangeError` when `intervalMs` is not a positive number.
 * @see {@link https://www.rfc-editor.org/rfc/rfc8628#section-3.5 | RFC 8628 §3.5}
 * @group Backoff
 */
export function deviceFlowBackoff(intervalMs: number = DEFAULT_INTERVAL_MS): BackoffStrategy {
  if (!(intervalMs > 0) || !Number.isFinite(intervalMs)) throw new RangeError(`intervalMs must be a positive number, got ${String(intervalMs)}`);
  return ({ previousDelayMs }) => Math.max(intervalMs, previousDelayMs);
}
