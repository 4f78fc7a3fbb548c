import type { OAuthErrorDetail } from '../core/outcome.js';
import { ErrorCode, TokenPollError } from './base.js';

function describeOAuth(detail: OAuthErrorDetail): string {
  let text = detail.code;
  if (detail.exception) text += ` (${detail.exception})`;
  if (detail.description) text += `: ${detail.description}`;
  if (detail.reason) text += ` [reason: ${detail.reason}]`;
  return text;
}

function oauthDetails(detail: OAuthErrorDetail): Record<string, unknown> {
  // The OAuth code goes under `error`, as on the wire; `code` stays the tokenpoll error code.
  const { code, ...rest } = detail;
  return { error: code, ...rest };
}

/**
 * The user refused the request (`access_denied`, AWS `AccessDeniedException`).
 * @see {@link https://www.rfc-editor.org/rfc/rfc8628#section-3.5 | RFC 8628 §3.5}
 * @group Errors
 */
export class AccessDeniedError extends TokenPollError {
  /** Always `'AccessDeniedError'`. */
  override readonly name = 'AccessDeniedError';
  /** The server's error, with AWS's `reason` where it sent one. */
  readonly error: OAuthErrorDetail;
  constructor(error: OAuthErrorDetail) {
    super(ErrorCode.ACCESS_DENIED, `the authorization request was denied: ${describeOAuth(error)}`);
    this.error = error;
  }
  protected override details(): Record<string, unknown> {
    return oauthDetails(this.error);
  }
}

/**
 * The device code expired. `source` tells a server's `expired_token`
 * (`ERR_EXPIRED_TOKEN`) from the local deadline (`ERR_DEADLINE_REACHED`).
 * @see {@link https://www.rfc-editor.org/rfc/rfc8628#section-3.5 | RFC 8628 §3.5}
 * @group Errors
 */
export class ExpiredTokenError extends TokenPollError {
  /** Always `'ExpiredTokenError'`. */
  override readonly name = 'ExpiredTokenError';
  /** `server` for the server's `expired_token`; `deadline` when `expires_in` passed on the local clock. */
  readonly source: 'server' | 'deadline';
  /** The server's error, for `source: 'server'`. */
  readonly error: OAuthErrorDetail | undefined;
  constructor(source: 'server' | 'deadline', error?: OAuthErrorDetail) {
    super(
      source === 'server' ? ErrorCode.EXPIRED_TOKEN : ErrorCode.DEADLINE_REACHED,
      source === 'server'
        ? `the server reports that the device code expired: ${describeOAuth(error ?? { code: 'expired_token' })}`
        : 'the device code expired (its expires_in passed) before the user approved',
    );
    this.source = source;
    this.error = error;
  }
  protected override details(): Record<string, unknown> {
    return { source: this.source, ...(this.error ? oauthDetails(this.error) : {}) };
  }
}

/**
 * The caller's own `timeoutMs` passed before the flow ended.
 * @group Errors
 */
export class PollTimeoutError extends TokenPollError {
  /** Always `'PollTimeoutError'`. */
  override readonly name = 'PollTimeoutError';
  constructor(timeoutMs: number) {
    super(ErrorCode.POLL_TIMEOUT, `polling stopped after the caller's timeout of ${timeoutMs} ms`);
  }
}

/**
 * The server answered an OAuth error that ends the flow (RFC 8628 §3.5: the
 * client MUST stop polling). `reregisterClient` is true for AWS
 * `InvalidClientException`, whose remedy is to register the client again.
 * @group Errors
 */
export class OAuthError extends TokenPollError {
  /** Always `'OAuthError'`. */
  override readonly name = 'OAuthError';
  /** The server's error. */
  readonly error: OAuthErrorDetail;
  /**
   * @param error - The server's error.
   * @param answeredBy - Who answered, as the message names it (a subclass names the call). @defaultValue 'the server'
   */
  constructor(error: OAuthErrorDetail, answeredBy: string = 'the server') {
    super(ErrorCode.OAUTH_ERROR, `${answeredBy} answered ${describeOAuth(error)}`);
    this.error = error;
  }
  /** True when registering the client again may help. */
  get reregisterClient(): boolean {
    return this.error.reregisterClient === true;
  }
  protected override details(): Record<string, unknown> {
    return oauthDetails(this.error);
  }
}
