/**
 * What one token request came back with, after classification.
 *
 * The literals follow RFC 8628 §3.5 and RFC 6749 §5.2 where they exist, so a
 * `switch` over `type` reads like the RFC. Transports and classifiers produce
 * these; the state machine consumes them and decides what happens next.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc8628#section-3.5 | RFC 8628 §3.5}
 * @group Transports
 */
export type TokenOutcome<TToken = TokenSet> =
  | SuccessOutcome<TToken>
  | PendingOutcome
  | SlowDownOutcome
  | AccessDeniedOutcome
  | ExpiredTokenOutcome
  | OAuthErrorOutcome
  | UnreadableSuccessOutcome
  | InvalidResponseOutcome
  | TransportErrorOutcome
  | TransientOutcome;

/**
 * The transient faults: waited out with backoff, never changing the interval floor.
 * @group Transports
 */
export type TransientOutcome =
  | NetworkErrorOutcome
  | TimeoutOutcome
  | ServerErrorOutcome
  | RateLimitedOutcome;

/**
 * What a one-shot call may wait out and try again: a transient fault, or a
 * `slow_down` (AWS's StartDeviceAuthorization answers SlowDownException).
 * @group Transports
 */
export type RetryableOutcome = TransientOutcome | SlowDownOutcome;

/** The grant arrived. @group Transports */
export interface SuccessOutcome<TToken = TokenSet> {
  /** Always `'success'`. */
  readonly type: 'success';
  /** The token set, normalised by the classifier. */
  readonly token: TToken;
}

/** `authorization_pending`: the user has not answered yet. @group Transports */
export interface PendingOutcome {
  /** Always `'authorization_pending'`. */
  readonly type: 'authorization_pending';
}

/** `slow_down`: still pending, and the interval grows by 5 s. @group Transports */
export interface SlowDownOutcome {
  /** Always `'slow_down'`. */
  readonly type: 'slow_down';
  /** A new `interval` in seconds, as the server sent it (GitHub sends one), unsanitised. */
  readonly interval?: unknown;
}

/** `access_denied`: the user refused. Terminal. @group Transports */
export interface AccessDeniedOutcome {
  /** Always `'access_denied'`. */
  readonly type: 'access_denied';
  /** The server's error. */
  readonly error: OAuthErrorDetail;
}

/** `expired_token`: the server says the device code expired. Terminal. @group Transports */
export interface ExpiredTokenOutcome {
  /** Always `'expired_token'`. */
  readonly type: 'expired_token';
  /** The server's error. */
  readonly error: OAuthErrorDetail;
}

/** Any other OAuth error: the client MUST stop polling (RFC 8628 §3.5). Terminal. @group Transports */
export interface OAuthErrorOutcome {
  /** Always `'oauth_error'`. */
  readonly type: 'oauth_error';
  /** The server's error. */
  readonly error: OAuthErrorDetail;
}

/**
 * A success status whose body could not be read or parsed. Terminal and never
 * retried: the device code may already be consumed, so a second request could
 * only be refused.
 * @group Transports
 */
export interface UnreadableSuccessOutcome {
  /** Always `'unreadable_success'`. */
  readonly type: 'unreadable_success';
  /** The HTTP status, when known. */
  readonly status?: number;
  /** What was wrong with the answer. */
  readonly message: string;
  /** What reading the body threw, when that failed. */
  readonly cause?: unknown;
}

/** A response that is neither a token, an OAuth error nor a transient fault (a 404 page, say). Terminal. @group Transports */
export interface InvalidResponseOutcome {
  /** Always `'invalid_response'`. */
  readonly type: 'invalid_response';
  /** The HTTP status, when known. */
  readonly status?: number;
  /** What was wrong with the answer. */
  readonly message: string;
}

/** The transport threw something that is not a recognised network fault (most likely a bug). Terminal. @group Transports */
export interface TransportErrorOutcome {
  /** Always `'transport_error'`. */
  readonly type: 'transport_error';
  /** A description of what was thrown. */
  readonly message: string;
  /** What was thrown. */
  readonly cause?: unknown;
}

/** The request never got an answer: connection refused or reset, DNS failure. @group Transports */
export interface NetworkErrorOutcome {
  /** Always `'network_error'`. */
  readonly type: 'network_error';
  /** A description of the fault. */
  readonly message: string;
  /** What the transport threw. */
  readonly cause?: unknown;
}

/** The request timed out. RFC 8628 §3.5: the next wait at least doubles. @group Transports */
export interface TimeoutOutcome {
  /** Always `'timeout'`. */
  readonly type: 'timeout';
  /** A description of the fault. */
  readonly message: string;
  /** What the transport threw, if it threw. */
  readonly cause?: unknown;
}

/** A 5xx answer (any body, HTML included), or AWS `InternalServerException`. @group Transports */
export interface ServerErrorOutcome {
  /** Always `'server_error'`. */
  readonly type: 'server_error';
  /** The HTTP status. */
  readonly status: number;
  /** From `Retry-After`, already converted to milliseconds from now. */
  readonly retryAfterMs?: number;
  /** A description of the fault. */
  readonly message: string;
}

/** A 429 without an OAuth error body. @group Transports */
export interface RateLimitedOutcome {
  /** Always `'rate_limited'`. */
  readonly type: 'rate_limited';
  /** The HTTP status. */
  readonly status: number;
  /** From `Retry-After`, already converted to milliseconds from now. */
  readonly retryAfterMs?: number;
  /** A description of the fault. */
  readonly message: string;
}

/**
 * An OAuth error as the server described it. Holds no secrets: the code, the
 * human description and, for AWS, the exception name and `reason`.
 * @group Transports
 */
export interface OAuthErrorDetail {
  /** The OAuth `error` code, such as `invalid_grant`. */
  readonly code: string;
  /** The server's `error_description`, when it sent one. */
  readonly description?: string;
  /** AWS's `reason` member (for example `KMS_AccessDeniedException`). */
  readonly reason?: string;
  /** The HTTP status, when known. */
  readonly status?: number;
  /** The AWS exception name, such as `InvalidClientException`. */
  readonly exception?: string;
  /** True when the client registration is invalid or expired, so registering the client again may help (AWS `InvalidClientException`). */
  readonly reregisterClient?: boolean;
}

/**
 * The token set a grant carries, normalised to camelCase from either RFC 6749's
 * snake_case or AWS's camelCase wire format.
 * @group Transports
 */
export interface TokenSet {
  /** The access token (a secret). */
  readonly accessToken: string;
  /** The token type, such as `Bearer`. */
  readonly tokenType?: string;
  /** Lifetime of the access token in seconds, as the server sent it. */
  readonly expiresInSeconds?: number;
  /** The refresh token (a secret), when the server issued one. */
  readonly refreshToken?: string;
  /** The OpenID Connect ID token (a secret), when the server issued one. */
  readonly idToken?: string;
  /** The granted scope, as the server sent it. */
  readonly scope?: string;
  /** Every member of the answer as received. */
  readonly raw: Readonly<Record<string, unknown>>;
}

const TRANSIENT_TYPES: ReadonlySet<string> = new Set(['network_error', 'timeout', 'server_error', 'rate_limited']);

/**
 * Whether an outcome is a transient fault, to be waited out with backoff.
 * @example
 * ```ts
 * import { isTransientOutcome } from 'tokenpoll';
 * isTransientOutcome({ type: 'timeout', message: 'no answer in 10 s' }); // true: wait with backoff
 * isTransientOutcome({ type: 'slow_down' }); // false: slow_down raises the interval instead
 * ```
 * @group Transports
 */
export function isTransientOutcome(outcome: TokenOutcome<unknown>): outcome is TransientOutcome {
  return TRANSIENT_TYPES.has(outcome.type);
}
