const BRAND: unique symbol = Symbol.for('tokenpoll.error');

/**
 * Every error code tokenpoll uses, by name.
 * @group Errors
 */
export const ErrorCode = {
  /** The user refused (`access_denied`). */
  ACCESS_DENIED: 'ERR_ACCESS_DENIED',
  /** The server answered `expired_token`. */
  EXPIRED_TOKEN: 'ERR_EXPIRED_TOKEN',
  /** The device code's lifetime passed on the local clock. */
  DEADLINE_REACHED: 'ERR_DEADLINE_REACHED',
  /** The caller's own timeout passed. */
  POLL_TIMEOUT: 'ERR_POLL_TIMEOUT',
  /** The server answered an OAuth error that ends the flow. */
  OAUTH_ERROR: 'ERR_OAUTH_ERROR',
  /** Too many consecutive transient faults. */
  RETRIES_EXHAUSTED: 'ERR_RETRIES_EXHAUSTED',
  /** A one-shot call's server asked (`Retry-After`) for a longer wait than the call allows. */
  RETRY_AFTER_TOO_LONG: 'ERR_RETRY_AFTER_TOO_LONG',
  /** One transient fault (network, timeout, 5xx, 429). */
  TRANSIENT_FAULT: 'ERR_TRANSIENT_FAULT',
  /** A success answer could not be read; the grant may be lost. */
  LOST_GRANT: 'ERR_LOST_GRANT',
  /** An answer that is neither a token, an OAuth error nor a transient fault. */
  INVALID_RESPONSE: 'ERR_INVALID_RESPONSE',
  /** The transport threw something unrecognised. */
  TRANSPORT_ERROR: 'ERR_TRANSPORT_ERROR',
  /** Discovery found no device authorization endpoint for the issuer. */
  DISCOVERY_FAILED: 'ERR_DISCOVERY_FAILED',
  /** A callback the caller supplied (clock, random source, backoff) threw. */
  CALLBACK_ERROR: 'ERR_CALLBACK_ERROR',
  /** The caller cancelled. */
  CANCELLED: 'ERR_CANCELLED',
  /** An option is missing or out of range. */
  INVALID_OPTION: 'ERR_INVALID_OPTION',
  /** The AWS SSO token cache file cannot be read, parsed or written. */
  SSO_CACHE: 'ERR_SSO_CACHE',
  /** A token the server issued (a refresh, a new login) was handed to the caller but could not be saved, after retries. */
  TOKEN_NOT_SAVED: 'ERR_TOKEN_NOT_SAVED',
  /** A new login is needed: no token, or the refresh token or client registration was rejected or has expired. */
  LOGIN_REQUIRED: 'ERR_LOGIN_REQUIRED',
  /** The AWS SSO portal answered an error that retrying cannot fix (`ResourceNotFoundException`, `InvalidRequestException`…). */
  AWS_PORTAL: 'ERR_AWS_PORTAL',
  /** A snapshot is malformed, of the wrong kind, sealed, or does not match the options it is resumed with. */
  SNAPSHOT_INVALID: 'ERR_SNAPSHOT_INVALID',
  /** A sealed snapshot failed its integrity check: tampered with, or opened with the wrong key. */
  SNAPSHOT_TAMPERED: 'ERR_SNAPSHOT_TAMPERED',
  /** A snapshot's device code expired (or the caller's timeout passed) before it was resumed. */
  SNAPSHOT_EXPIRED: 'ERR_SNAPSHOT_EXPIRED',
  /** A snapshot was written by a newer version of tokenpoll, in a format this one cannot read. */
  SNAPSHOT_VERSION: 'ERR_SNAPSHOT_VERSION',
  /** A snapshot was asked of a flow that is not polling (settled, or with no device code yet). */
  SNAPSHOT_UNAVAILABLE: 'ERR_SNAPSHOT_UNAVAILABLE',
} as const;

/** @group Errors */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * The base of every error tokenpoll throws or rejects with. It has a literal
 * `name`, a string `code` and, where there is one, a `cause`. Its message and
 * `toJSON()` never contain a device code, client secret or token.
 * @group Errors
 */
export class TokenPollError extends Error {
  /** @internal */
  readonly [BRAND] = true;
  /** `'TokenPollError'`, or the subclass's own class name. */
  override readonly name: string = 'TokenPollError';
  /** A stable code from {@link ErrorCode}. */
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  /** A safe summary for logs: name, code, message and the subclass's details. The `cause` is left out. */
  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, ...this.details() };
  }

  /** @internal */
  protected details(): Record<string, unknown> {
    return {};
  }
}

/**
 * Whether a value is a {@link TokenPollError} (checked by brand, so it works
 * across copies of the package).
 * @example
 * ```ts
 * import { isTokenPollError } from 'tokenpoll';
 * try {
 *   await login.result;
 * } catch (error) {
 *   if (!isTokenPollError(error)) throw error;
 *   console.error(error.code, error.message); // ERR_ACCESS_DENIED, ERR_DEADLINE_REACHED, … (ERRORS.md has them all)
 * }
 * ```
 * @group Errors
 */
export function isTokenPollError(value: unknown): value is TokenPollError {
  return typeof value === 'object' && value !== null && (value as { [BRAND]?: unknown })[BRAND] === true;
}
