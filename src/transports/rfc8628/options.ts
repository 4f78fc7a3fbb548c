import type { BackoffStrategy } from '../../backoff/types.js';
import type { Clock } from '../../clock/clock.js';
import type { OneShotRetryEvent } from '../../retry/retry.js';

/**
 * Where the authorization server is: its issuer, found by discovery
 * (RFC 8414, then OpenID Connect Discovery).
 * @group RFC 8628
 */
export interface IssuerLocation {
  /** The issuer identifier, such as `https://auth.example.com`; its metadata names the endpoints. */
  readonly issuer: string | URL;
  /** Not set: the endpoints come from discovery. */
  readonly deviceAuthorizationEndpoint?: undefined;
  /** Not set: the endpoints come from discovery. */
  readonly tokenEndpoint?: undefined;
}

/**
 * Where the authorization server is: both endpoints, given explicitly (no
 * discovery request is made).
 * @group RFC 8628
 */
export interface EndpointsLocation {
  /** The issuer, for the record only. @defaultValue the token endpoint's origin */
  readonly issuer?: string | URL | undefined;
  /** The device authorization endpoint (RFC 8628 §3.1). */
  readonly deviceAuthorizationEndpoint: string | URL;
  /** The token endpoint (RFC 8628 §3.4). */
  readonly tokenEndpoint: string | URL;
}

/**
 * Either an issuer to discover, or both endpoints.
 * @group RFC 8628
 */
export type ServerLocation = IssuerLocation | EndpointsLocation;

/**
 * How the client authenticates to the server (RFC 6749 §2.3.1):
 * - `'none'`: a public client, sending only `client_id` (RFC 8628 §5.6: most device clients);
 * - `'client_secret_basic'`: HTTP Basic, id and secret form-urlencoded before base64;
 * - `'client_secret_post'`: `client_id` and `client_secret` in the form body.
 * @group RFC 8628
 */
export type ClientAuthenticationMethod = 'none' | 'client_secret_basic' | 'client_secret_post';

/**
 * Who the client is, and how it authenticates.
 * @group RFC 8628
 */
export interface ClientOptions {
  /** The client identifier. */
  readonly clientId: string;
  /** The client secret (a secret: it goes only into the request, never into errors or events). */
  readonly clientSecret?: string | undefined;
  /** @defaultValue `'client_secret_basic'` when `clientSecret` is set, else `'none'` */
  readonly clientAuthentication?: ClientAuthenticationMethod | undefined;
}

/**
 * Options for every HTTP request the RFC 8628 helpers send.
 * @group RFC 8628
 */
export interface HttpOptions {
  /** The fetch to use. @defaultValue globalThis.fetch */
  readonly fetch?: typeof fetch | undefined;
  /** Time and timers, for timeouts, retry waits and `issuedAt`. @defaultValue {@link systemClock} */
  readonly clock?: Clock | undefined;
  /** A request taking longer is aborted and counted as a timeout. @defaultValue 30000 */
  readonly requestTimeoutMs?: number | undefined;
  /** A larger answer is not read. @defaultValue {@link DEFAULT_MAX_BODY_BYTES} (1 MiB) */
  readonly maxBodyBytes?: number | undefined;
  /**
   * Your client's product token, sent before tokenpoll's: `'my-cli/1.2'` sends
   * `User-Agent: my-cli/1.2 tokenpoll/<version>`. Browsers send their own User-Agent instead.
   * @defaultValue none: `User-Agent: tokenpoll/<version>`
   */
  readonly userAgent?: string | undefined;
}

/**
 * Options for one-shot calls (discovery, device authorization, refresh),
 * retried on transient faults with {@link retry}.
 * @group RFC 8628
 */
export interface OneShotOptions extends HttpOptions {
  /** Cancels the call; it rejects with {@link PollCancelledError}. */
  readonly signal?: AbortSignal | undefined;
  /** Retries after the first attempt, on transient faults (network, timeout, 5xx, 429) and `slow_down`. @defaultValue 4 */
  readonly retries?: number | undefined;
  /** The wait before each retry. @defaultValue exponential from 1 s, factor 2, capped at 20 s, full jitter */
  readonly backoff?: BackoffStrategy | undefined;
  /** A source of numbers in [0, 1) for jitter. @defaultValue Math.random */
  readonly random?: (() => number) | undefined;
  /** The call's deadline, in ms from its first attempt: no retry wait runs past it (see {@link RetryOptions.maxRetryTimeMs}). @defaultValue 120000 */
  readonly maxRetryTimeMs?: number | undefined;
  /** The ceiling on one retry wait; a longer `Retry-After` is a {@link RetryAfterTooLongError} (see {@link RetryOptions.maxDelayMs}). @defaultValue 60000 */
  readonly maxDelayMs?: number | undefined;
  /** Called before each retry wait; `operation` names the call and its URL. */
  readonly onRetry?: ((event: OneShotRetryEvent) => void) | undefined;
}
