const HTTP_DATE = /^[A-Za-z]{3,9},? +(\d{1,2}[ -][A-Za-z]{3}[ -]\d{2,4}|[A-Za-z]{3} +\d{1,2}) +\d{2}:\d{2}:\d{2}( +GMT| +\d{4})?$/;

/**
 * Reads a `Retry-After` header: delay-seconds or an HTTP-date (RFC 9110
 * §10.2.3). Returns milliseconds from now, or `undefined` when absent or
 * unreadable. A date in the past gives 0.
 *
 * @param value - The header value.
 * @param wallNowMs - The current wall-clock time (epoch ms), to measure a date against.
 * @example
 * ```ts
 * import { parseRetryAfter } from 'tokenpoll';
 * parseRetryAfter('120', Date.now()); // 120000
 * parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', Date.parse('Wed, 21 Oct 2015 07:27:00 GMT')); // 60000
 * ```
 * @see {@link https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3 | RFC 9110 §10.2.3}
 * @group Classification
 */
export function parseRetryAfter(value: string | null | undefined, wallNowMs: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+$/.test(text)) {
    const ms = Number(text) * 1000;
    return Number.isFinite(ms) ? ms : undefined;
  }
  // The three HTTP-date forms (IMF-fixdate, RFC 850, asctime) all name a month and give hh:mm:ss;
  // anything else is refused rather than left to Date.parse's guesswork.
  if (!HTTP_DATE.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - wallNowMs);
}
