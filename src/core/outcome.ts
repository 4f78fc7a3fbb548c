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

/** The grant arrived. @group Transports */
export interface SuccessOutcome<TToken = TokenSet> {
  readonly type: 'success';
  /** The token set, normalised by the classifier. */
  readonly token: TToken;
}

/** `authorization_pending`: the user has not answered yet. @group Transports */
export interface PendingOutcome {
  readonly type: 'authorization_pending';
}

/** `slow_down`: still pending, and the interval grows by 5 s. @group Transports */
export interface SlowDownOutcome {
  readonly type: 'slow_down';
  /** A new `interval` in seconds, as the server sent it (GitHub sends one), unsanitised. */
  readonly interval?: unknown;
}

/** `access_denied`: the user refused. Terminal. @group Transports */
export interface AccessDeniedOutcome {
  readonly type: 'access_denied';
  readonly error: OAuthErrorDetail;
}

/** `expired_token`: the server says the device code expired. Terminal. @group Transports */
export interface ExpiredTokenOutcome {
  readonly type: 'expired_token';
  readonly error: OAuthErrorDetail;
}

/** Any other OAuth error: the client MUST stop polling (RFC 8628 §3.5). Terminal. @group Transports */
export interface OAuthErrorOutcome {
  readonly type: 'oauth_error';
  readonly error: OAuthErrorDetail;
}

/**
 * A success status whose body could not be read or parsed. Terminal and never
 * retried: the device code may already be consumed, so a second request could
 * only be refused.
 * @group Transports
 */
export interface UnreadableSuccessOutcome {
  readonly type: 'unreadable_success';
  readonly status?: number;
  readonly message: string;
  readonly cause?: unknown;
}

/** A response that is neither a token, an OAuth error nor a transient fault (a 404 page, say). Terminal. @group Transports */
export interface InvalidResponseOutcome {
  readonly type: 'invalid_response';
  readonly status?: number;
  readonly message: string;
}

/** The transport threw something that is not a recognised network fault (most likely a bug). Terminal. @group Transports */
export interface TransportErrorOutcome {
  readonly type: 'transport_error';
  readonly message: string;
  readonly cause?: unknown;
}

/** The request never got an answer: connection refused or reset, DNS failure. @group Transports */
export interface NetworkErrorOutcome {
  readonly type: 'network_error';
  readonly message: string;
  readonly cause?: unknown;
}

/** The request timed out. RFC 8628 §3.5: the next wait at least doubles. @group Transports */
export interface TimeoutOutcome {
  readonly type: 'timeout';
  readonly message: string;
  readonly cause?: unknown;
}

/** A 5xx answer (any body, HTML included), or AWS `InternalServerException`. @group Transports */
export interface ServerErrorOutcome {
  readonly type: 'server_error';
  readonly status: number;
  /** From `Retry-After`, already converted to milliseconds from now. */
  readonly retryAfterMs?: number;
  readonly message: string;
}

/** A 429 without an OAuth error body. @group Transports */
export interface RateLimitedOutcome {
  readonly type: 'rate_limited';
  readonly status: number;
  /** From `Retry-After`, already converted to milliseconds from now. */
  readonly retryAfterMs?: number;
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
  readonly accessToken: string;
  readonly tokenType?: string;
  /** Lifetime of the access token in seconds, as the server sent it. */
  readonly expiresInSeconds?: number;
  readonly refreshToken?: string;
  readonly idToken?: string;
  readonly scope?: string;
  /** Every member of the answer as received. */
  readonly raw: Readonly<Record<string, unknown>>;
}

const TRANSIENT_TYPES: ReadonlySet<string> = new Set(['network_error', 'timeout', 'server_error', 'rate_limited']);

/**
 * Whether an outcome is a transient fault, to be waited out with backoff.
 * @group Transports
 */
export function isTransientOutcome(outcome: TokenOutcome<unknown>): outcome is TransientOutcome {
  return TRANSIENT_TYPES.has(outcome.type);
}
