import { classifyTokenResponse, type Classifier } from '../classify/classify.js';
import { hostNotFound, permanentFetchFailure } from '../classify/thrown.js';
import { classifyHttpResponse, parseResponseBody, tokenSetFrom, type HttpTokenResponse } from '../classify/http.js';
import { systemClock, type Clock } from '../clock/clock.js';
import { isTransientOutcome, type OAuthErrorDetail, type RetryableOutcome, type TokenOutcome, type TokenSet } from '../core/outcome.js';
import { isTokenPollError, type TokenPollError } from '../errors/base.js';
import { InvalidResponseError, LostGrantError, TransportError } from '../errors/failures.js';
import { AccessDeniedError, ExpiredTokenError, OAuthError } from '../errors/outcomes.js';
import { retry, type RetryOptions } from '../retry/retry.js';
import { ResponseTooLargeError, sendHttpRequest, type HttpRequestOptions } from './http.js';
import type { SecureUrl } from './secure-url.js';

/**
 * How a one-shot call is sent and retried. The RFC 8628 helpers' options fit
 * it as they are; the AWS helpers build it from their resolved client.
 * @internal
 */
export interface OneShotSettings extends Pick<RetryOptions, 'clock' | 'signal' | 'retries' | 'backoff' | 'random' | 'maxRetryTimeMs' | 'maxDelayMs' | 'onRetry'> {
  readonly fetch?: typeof fetch | undefined;
  readonly requestTimeoutMs?: number | undefined;
  readonly maxBodyBytes?: number | undefined;
  readonly userAgent?: string | undefined;
}

/** The request a one-shot call sends, before the settings add signal, clock, fetch and limits; its URL checked already. @internal */
export type OneShotRequest = Pick<HttpRequestOptions, 'method' | 'headers' | 'body'> & { readonly url: SecureUrl };

/** What {@link errorFromOutcome} needs to know about the call. @internal */
export interface OutcomeContext {
  /** The call as errors name it: `'the device authorization endpoint'`, `'RegisterClient'`… */
  readonly operation: string;
  /** Builds the error for an `oauth_error` answer (AWS: an `AwsSsoOidcError`). @defaultValue an {@link OAuthError} naming `operation` */
  readonly oauthError?: ((detail: OAuthErrorDetail) => OAuthError) | undefined;
}

/** One call for {@link callOnce}. @internal */
export interface OneShotCall<TResult> extends OutcomeContext {
  readonly request: OneShotRequest;
  /**
   * A grant (a refresh): its 2xx may carry a rotated refresh token, so one that
   * cannot be read is a {@link LostGrantError}, never retried. Without it,
   * nothing can have been granted, so an unreadable 2xx is retried.
   */
  readonly grant?: boolean | undefined;
  /** Reads a 2xx object body that is not an OAuth error; throws a typed error when it is unusable. */
  read(body: Readonly<Record<string, unknown>>, answer: { readonly status: number; readonly receivedAt: number }): TResult;
}

/** A retryable answer, carried through {@link retry} to its classifier. @internal */
export class RetryableAnswer extends Error {
  readonly outcome: RetryableOutcome;
  constructor(outcome: RetryableOutcome) {
    super('message' in outcome ? outcome.message : outcome.type);
    this.outcome = outcome;
  }
}

/**
 * The classifier for one-shot calls: retryable answers keep their outcome;
 * tokenpoll's own errors are final (their `cause` may be a timeout, which must
 * not make them look transient); thrown network errors go to the default.
 */
const classifyAttempt: Classifier<unknown> = (answer, context) => {
  if (!answer.ok && answer.error instanceof RetryableAnswer) return answer.error.outcome;
  if (!answer.ok && isTokenPollError(answer.error)) return { type: 'transport_error', message: answer.error.message };
  return classifyTokenResponse(answer, context);
};

/**
 * What fetch threw, when no retry can help: a permanent failure (fetch's
 * "bad port", an unknown scheme, an invalid URL), or a host name that does
 * not exist (`ENOTFOUND`). A one-shot call starts a session or a refresh, so
 * a name that does not resolve is almost always a typo or a wrong region, and
 * retrying it only makes the user wait; `EAI_AGAIN` (the resolver could not
 * answer now) stays transient. The poll loop keeps retrying `ENOTFOUND`: its
 * host resolved a moment ago, so there it is a network change.
 */
function permanentFailure(error: unknown, where: string, operation: string): TransportError | undefined {
  if (hostNotFound(error)) return new TransportError(`${operation} at ${where}: the host name was not found (ENOTFOUND); not retried`, error);
  const reason = permanentFetchFailure(error);
  return reason === undefined ? undefined : new TransportError(`${operation} at ${where}: fetch failed: ${reason}; not retried`, error);
}

/** A URL as messages show it: origin and path, without the query (a portal call's query names accounts and roles). @internal */
export function displayUrl(url: string | URL): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return 'an invalid URL';
  }
}

/**
 * Sends one request with {@link httpRequest}, retried with {@link retry} on
 * transient faults. `read` turns an answer into the result, or throws: a
 * {@link RetryableAnswer} to retry, a {@link TokenPollError} to stop.
 * Errors name the call and its URL (origin and path only).
 * @throws {@link RetriesExhaustedError} when the retries or the deadline run out, {@link RetryAfterTooLongError}
 * when the server asks for a longer wait than allowed, {@link PollCancelledError} on abort,
 * {@link TransportError} for an unrecognised or permanent failure (`bad port`, `ENOTFOUND`), and what `read` throws.
 * @internal
 */
export async function sendWithRetry<TResult>(
  operation: string,
  request: OneShotRequest,
  read: (response: HttpTokenResponse, receivedAt: number, clock: Clock) => TResult,
  settings: OneShotSettings,
): Promise<TResult> {
  const clock = settings.clock ?? systemClock;
  const { signal, retries, backoff, random, maxRetryTimeMs, maxDelayMs, onRetry } = settings;
  const http = { clock, fetch: settings.fetch, timeoutMs: settings.requestTimeoutMs, maxBodyBytes: settings.maxBodyBytes, userAgent: settings.userAgent };
  const where = displayUrl(request.url);
  const send = async (attemptSignal: AbortSignal): Promise<HttpTokenResponse> => {
    try {
      return await sendHttpRequest({ ...request, ...http, signal: attemptSignal });
    } catch (error) {
      throw permanentFailure(error, where, operation) ?? error;
    }
  };
  try {
    return await retry(async ({ signal: attemptSignal }) => read(await send(attemptSignal), clock.now(), clock), {
      clock,
      signal,
      retries,
      backoff,
      random,
      maxRetryTimeMs,
      maxDelayMs,
      onRetry,
      operation: `${operation} at ${where}`,
      classify: classifyAttempt,
    });
  } catch (error) {
    if (isTokenPollError(error)) throw error;
    throw new TransportError(`the call to ${operation} failed: ${error instanceof Error ? error.message : String(error)}`, error);
  }
}

/**
 * Makes a one-shot call (device authorization, client registration, a
 * refresh): sends it with {@link sendWithRetry}, and reads the answer.
 * - A non-2xx answer, or a 2xx with an OAuth `error` member (GitHub), goes
 *   through the classifier to {@link errorFromOutcome}: transient faults and
 *   `slow_down` are retried, every other outcome is thrown as its typed error.
 * - A 2xx whose body cannot be read is retried, except for a grant
 *   ({@link LostGrantError}); one over the size cap, or neither JSON nor a
 *   form, is an {@link InvalidResponseError} (a {@link LostGrantError} for a grant).
 * - Any other 2xx goes to `call.read`.
 * @internal
 */
export function callOnce<TResult>(call: OneShotCall<TResult>, settings: OneShotSettings): Promise<TResult> {
  return sendWithRetry(
    call.operation,
    call.request,
    (response, receivedAt, clock) => {
      const { status } = response;
      if (status < 200 || status >= 300) throw errorFromOutcome(classifyHttpResponse(response, clock.wallNow()), call);
      const body = parseResponseBody(response);
      if (body === undefined) throw unreadableAnswer(call, response);
      if (typeof body['error'] === 'string') throw errorFromOutcome(classifyHttpResponse({ ...response, body }, clock.wallNow()), call);
      return call.read(body, { status, receivedAt });
    },
    settings,
  );
}

/** The error (or retryable answer) for a 2xx whose body is unreadable. */
function unreadableAnswer(call: OneShotCall<unknown>, response: HttpTokenResponse): TokenPollError | RetryableAnswer {
  const { status, bodyError } = response;
  const problem = bodyError === undefined ? 'a body that is neither JSON nor a form' : bodyError instanceof ResponseTooLargeError ? bodyError.message : 'a body that could not be read';
  const message = `${call.operation} answered HTTP ${status} with ${problem}`;
  if (call.grant) return errorFromOutcome({ type: 'unreadable_success', status, message, cause: bodyError }, call);
  // Nothing was granted, so asking again is safe; a body that was read, but is wrong, would come back the same.
  if (bodyError === undefined || bodyError instanceof ResponseTooLargeError) return new InvalidResponseError(message, status);
  return new RetryableAnswer({ type: 'network_error', message, cause: bodyError });
}

/**
 * The one mapping from an outcome that is not the call's success to what a
 * one-shot call throws:
 * - a transient fault or `slow_down`: a {@link RetryableAnswer}, for {@link retry};
 * - `access_denied`: {@link AccessDeniedError};
 * - `expired_token`: {@link ExpiredTokenError} (`source: 'server'`);
 * - `oauth_error`: `context.oauthError(detail)`, else an {@link OAuthError};
 * - `unreadable_success`: {@link LostGrantError};
 * - `invalid_response`, and `authorization_pending` or `success` out of place: {@link InvalidResponseError};
 * - `transport_error`: {@link TransportError}.
 * @internal
 */
export function errorFromOutcome(outcome: TokenOutcome<unknown>, context: OutcomeContext): TokenPollError | RetryableAnswer {
  if (outcome.type === 'slow_down' || isTransientOutcome(outcome)) return new RetryableAnswer(outcome);
  const { operation } = context;
  switch (outcome.type) {
    case 'access_denied':
      return new AccessDeniedError(outcome.error);
    case 'expired_token':
      return new ExpiredTokenError('server', outcome.error);
    case 'oauth_error':
      return context.oauthError?.(outcome.error) ?? new OAuthError(outcome.error, operation);
    case 'unreadable_success':
      return new LostGrantError(outcome.message, outcome.status, outcome.cause);
    case 'invalid_response':
      return new InvalidResponseError(`${operation} answered ${outcome.message}`, outcome.status);
    case 'authorization_pending':
    case 'success':
      return new InvalidResponseError(`${operation} answered ${outcome.type}, which only a token poll may answer`);
    case 'transport_error':
      return new TransportError(`the call to ${operation} failed: ${outcome.message}`, outcome.cause);
    default: {
      const unknown: never = outcome;
      return new InvalidResponseError(`${operation} answered an unknown outcome ${String(unknown)}`);
    }
  }
}

/**
 * Reads a refresh grant's answer (RFC 6749 §6, or AWS CreateToken with
 * `refresh_token`): its token set, keeping the refresh token sent when the
 * answer carries no new one (it stays valid). No access token is a
 * {@link LostGrantError}: the refresh token may have been spent.
 * @internal
 */
export function readRefreshedToken(refreshToken: string, context: OutcomeContext): OneShotCall<TokenSet>['read'] {
  return (body, { status }) => {
    const token = tokenSetFrom(body);
    if (!token) throw errorFromOutcome({ type: 'unreadable_success', status, message: `${context.operation} answered without an access token` }, context);
    return Object.freeze(token.refreshToken === undefined ? { ...token, refreshToken } : token);
  };
}
