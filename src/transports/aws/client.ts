import type { HttpTokenResponse } from '../../classify/http.js';
import { systemClock, type Clock } from '../../clock/clock.js';
import { ConfigurationError } from '../../errors/failures.js';
import type { RetryOptions } from '../../retry/retry.js';
import { sendHttpRequest } from '../http.js';
import type { OneShotRequest } from '../one-shot.js';
import { secureUrlOn, type SecureUrl } from '../secure-url.js';
import { checkUserAgent } from '../user-agent.js';
import { awsServiceUrl, endpointText } from './endpoint.js';

/**
 * How the one-shot AWS calls (RegisterClient, StartDeviceAuthorization, the
 * refresh grant) are retried; passed to {@link retry}.
 * @group AWS SSO OIDC
 */
export type AwsRetryOptions = Pick<RetryOptions, 'retries' | 'backoff' | 'random' | 'maxRetryTimeMs' | 'maxDelayMs' | 'onRetry'>;

/**
 * Where and how to reach the AWS SSO OIDC API, shared by every AWS helper.
 * @group AWS SSO OIDC
 */
export interface AwsSsoOidcClientOptions {
  /** The region of the IAM Identity Center instance, such as `us-east-1`; checked even with `endpoint`. */
  readonly region: string;
  /** The API's base URL (HTTPS, or HTTP on loopback; a path prefix is kept). @defaultValue `https://oidc.{region}.amazonaws.com` */
  readonly endpoint?: string | URL | undefined;
  /** The fetch to use. @defaultValue globalThis.fetch */
  readonly fetch?: typeof fetch | undefined;
  /** Time and timers: request timeouts, retry waits and, in a login, the polls. @defaultValue {@link systemClock} */
  readonly clock?: Clock | undefined;
  /** How long one request may take before it is aborted (a transient timeout). @defaultValue 30000 */
  readonly requestTimeoutMs?: number | undefined;
  /** A larger response body is not read. @defaultValue 1 MiB */
  readonly maxBodyBytes?: number | undefined;
  /**
   * Your client's product token, sent before tokenpoll's: `'my-cli/1.2'` sends
   * `User-Agent: my-cli/1.2 tokenpoll/<version>`. Browsers send their own User-Agent instead.
   * @defaultValue none: `User-Agent: tokenpoll/<version>`
   */
  readonly userAgent?: string | undefined;
  /**
   * Retries of the one-shot calls on transient faults (network, timeout, 5xx,
   * `InternalServerException`, 429) and `SlowDownException` (which waits at
   * least 5 s). @defaultValue {@link retry}'s: 4 retries, exponential from 1 s, full jitter, capped at 20 s;
   * no wait over 60 s (`maxDelayMs`: a longer `Retry-After` is a `RetryAfterTooLongError`), none past 2 minutes (`maxRetryTimeMs`)
   */
  readonly retry?: AwsRetryOptions | undefined;
}

/** The options, checked once, with the endpoint resolved: every AWS call of a login trusts it. @internal */
export interface AwsClient {
  readonly region: string;
  /** The base URL as text (origin and path, no trailing slash): the registration cache's key. */
  readonly endpoint: string;
  /** The same, checked: requests go to {@link awsUrl} on it. */
  readonly endpointUrl: SecureUrl;
  readonly clock: Clock;
  readonly fetch: typeof fetch | undefined;
  readonly requestTimeoutMs: number;
  readonly maxBodyBytes: number | undefined;
  readonly userAgent: string | undefined;
  readonly retry: AwsRetryOptions | undefined;
}

/**
 * Checks the shared options and resolves the endpoint.
 * @throws {@link ConfigurationError} for a bad region, endpoint or number.
 * @internal
 */
export function resolveAwsClient(options: AwsSsoOidcClientOptions): AwsClient {
  if (typeof options !== 'object' || options === null) throw new ConfigurationError('options', 'expected an options object');
  const endpointUrl = awsServiceUrl('oidc', options.region, options.endpoint);
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  if (typeof requestTimeoutMs !== 'number' || !(requestTimeoutMs > 0) || !Number.isFinite(requestTimeoutMs)) {
    throw new ConfigurationError('requestTimeoutMs', `expected a finite number above 0, got ${String(requestTimeoutMs)}`);
  }
  if (options.fetch !== undefined && typeof options.fetch !== 'function') throw new ConfigurationError('fetch', 'expected a function');
  return Object.freeze({
    region: options.region,
    endpoint: endpointText(endpointUrl),
    endpointUrl,
    clock: options.clock ?? systemClock,
    fetch: options.fetch,
    requestTimeoutMs,
    maxBodyBytes: options.maxBodyBytes,
    userAgent: checkUserAgent(options.userAgent),
    retry: options.retry,
  });
}

/**
 * Sends one rest-json request (`POST` to `url`, a JSON body) and reads the
 * answer. Throws only before the headers arrive (network error, abort).
 * @internal
 */
export function postAwsJson(client: AwsClient, url: SecureUrl, body: Readonly<Record<string, unknown>>, signal: AbortSignal | undefined): Promise<HttpTokenResponse> {
  return sendHttpRequest({
    ...awsRequest(url, body),
    signal,
    timeoutMs: client.requestTimeoutMs,
    maxBodyBytes: client.maxBodyBytes,
    fetch: client.fetch,
    clock: client.clock,
    userAgent: client.userAgent,
  });
}

/** The URL of an API path (`/token`…) on the client's checked endpoint. @internal */
export function awsUrl(client: AwsClient, path: string): SecureUrl {
  return secureUrlOn(client.endpointUrl, client.endpoint + path);
}

/** The rest-json request for `POST url` with a JSON body. @internal */
export function awsRequest(url: SecureUrl, body: Readonly<Record<string, unknown>>): OneShotRequest {
  return { url, method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(body) };
}

/** A non-empty string member, or `undefined`. @internal */
export function stringField(json: Readonly<Record<string, unknown>>, key: string): string | undefined {
  const value = json[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}
