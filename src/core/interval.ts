/**
 * RFC 8628's default polling interval when the server sends none: 5 s.
 * @see {@link https://www.rfc-editor.org/rfc/rfc8628#section-3.2 | RFC 8628 §3.2}
 * @group Backoff
 */
export const DEFAULT_INTERVAL_MS = 5000;

/**
 * How much each `slow_down` adds to the interval: 5 s.
 * @see {@link https://www.rfc-editor.org/rfc/rfc8628#section-3.5 | RFC 8628 §3.5}
 * @group Backoff
 */
export const SLOW_DOWN_INCREMENT_MS = 5000;

/**
 * The RFC 8628 interval after a `slow_down`: the current interval plus 5 s, or
 * the server's new interval when that is larger. It never lowers the interval.
 *
 * @param currentMs - The interval in force.
 * @param serverIntervalMs - An `interval` carried by the `slow_down` answer, already in milliseconds.
 * @example
 * ```ts
 * import { slowDownInterval } from 'tokenpoll';
 * slowDownInterval(5000);         // 10000
 * slowDownInterval(5000, 30_000); // 30000
 * slowDownInterval(20_000, 1000); // 25000: a smaller server interval never lowers it
 * ```
 * @see {@link https://www.rfc-editor.org/rfc/rfc8628#section-3.5 | RFC 8628 §3.5}
 * @group Backoff
 */
export function slowDownInterval(currentMs: number, serverIntervalMs?: number): number {
  const raised = currentMs + SLOW_DOWN_INCREMENT_MS;
  return serverIntervalMs !== undefined && serverIntervalMs > raised ? serverIntervalMs : raised;
}

/** The result of {@link parseSeconds}. @group Backoff */
export type ParsedSeconds =
  | {
      /** `true`: the value is a positive number of seconds. */
      readonly ok: true;
      /** The value in milliseconds, rounded. */
      readonly ms: number;
    }
  | {
      /** `false`: the value could not be used. */
      readonly ok: false;
      /** `missing` (undefined, null or empty) or `invalid` (0, negative, NaN or unreadable). */
      readonly problem: 'missing' | 'invalid';
    };

/**
 * Reads a seconds value from a server answer: a number or a numeric string,
 * greater than zero. Returns milliseconds.
 * @example
 * ```ts
 * import { parseSeconds } from 'tokenpoll';
 * parseSeconds('5');   // { ok: true, ms: 5000 }
 * parseSeconds(0);     // { ok: false, problem: 'invalid' }
 * ```
 * @group Backoff
 */
export function parseSeconds(value: unknown): ParsedSeconds {
  if (value === undefined || value === null || value === '') return { ok: false, problem: 'missing' };
  const seconds = readSeconds(value) ?? Number.NaN;
  // Checked after rounding: 0.0004 s is 0 ms, which is no interval at all.
  const ms = Math.round(seconds * 1000);
  if (!Number.isFinite(ms) || ms <= 0) return { ok: false, problem: 'invalid' };
  return { ok: true, ms };
}

/**
 * Reads a seconds member as a server sent it, without judging it: a number as
 * it is, a numeric string (`'5'`, `' 0.5 '`, `'+5'`) as a number, and
 * `undefined` for anything else (`'1e3'`, `'0x10'`, `true`…). The one reading
 * of `expires_in`, `interval` and the like everywhere; {@link parseSeconds}
 * then judges the value.
 * @internal
 */
export function readSeconds(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  return typeof value === 'string' && /^\s*[+]?\d+(\.\d+)?\s*$/.test(value) ? Number(value) : undefined;
}
