import { classifyTokenResponse, type Classifier } from '../../classify/classify.js';
import { classifyHttpResponse, type HttpTokenResponse } from '../../classify/http.js';
import { systemClock, type Clock } from '../../clock/clock.js';
import { isTransientOutcome, type RetryableOutcome, type TokenOutcome } from '../../core/outcome.js';
import { isTokenPollError, type TokenPollError } from '../../errors/base.js';
import { InvalidResponseError, LostGrantError, TransportError } from '../../errors/failures.js';
import { AccessDeniedError, OAuthError } from '../../errors/outcomes.js';
import { retry, type RetryOptions } from '../../runtime/retry.js';
import { httpRequest, type HttpRequestOptions } from '../http.js';
import type { OneShotOptions } from './options.js';

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
 * Sends one request with {@link httpRequest}, retried on transient faults with
 * {@link retry}. `read` turns an answer into the result, or throws: a
 * {@link RetryableAnswer} to retry, a {@link TokenPollError} to stop.
 * @throws {@link RetriesExhaustedError} when the retries run out, {@link PollCancelledError} on abort,
 * {@link TransportError} for an unrecognised failure, and what `read` throws.
 * @internal
 */
export async function sendWithRetry<TResult>(
  what: string,
  request: Omit<HttpRequestOptions, 'signal' | 'clock' | 'fetch' | 'timeoutMs' | 'maxBodyBytes'>,
  read: (response: HttpTokenResponse, receivedAt: number, clock: Clock) => TResult,
  options: OneShotOptions,
): Promise<TResult> {
  const clock = options.clock ?? systemClock;
  const retryOptions: { -readonly [K in keyof RetryOptions]: RetryOptions[K] } = { clock, classify: classifyAttempt };
  if (options.retries !== undefined) retryOptions.retries = options.retries;
  if (options.backoff !== undefined) retryOptions.backoff = options.backoff;
  if (options.random !== undefined) retryOptions.random = options.random;
  if (options.signal !== undefined) retryOptions.signal = options.signal;
  if (options.onRetry !== undefined) retryOptions.onRetry = options.onRetry;
  try {
    return await retry(async ({ signal }) => {
      const response = await httpRequest({
        ...request,
        signal,
        clock,
        fetch: options.fetch,
        timeoutMs: options.requestTimeoutMs,
        maxBodyBytes: options.maxBodyBytes,
      });
      return read(response, clock.now(), clock);
    }, retryOptions);
  } catch (error) {
    if (isTokenPollError(error)) throw error;
    throw new TransportError(`the ${what} request failed: ${error instanceof Error ? error.message : String(error)}`, error);
  }
}

/**
 * Classifies an answer that is not the call's success, and throws: a
 * {@link RetryableAnswer} for a transient fault or `slow_down`, else the
 * matching typed error.
 * @internal
 */
export function rejectAnswer(response: HttpTokenResponse, clock: Clock, what: string): never {
  const outcome = classifyHttpResponse(response, clock.wallNow());
  throw errorFromOutcome(outcome, what);
}

/** The error (or retryable answer) for an outcome that is not the call's success. @internal */
export function errorFromOutcome(outcome: TokenOutcome<unknown>, what: string): TokenPollError | RetryableAnswer {
  if (outcome.type === 'slow_down' || isTransientOutcome(outcome)) return new RetryableAnswer(outcome);
  switch (outcome.type) {
    case 'access_denied':
      return new AccessDeniedError(outcome.error);
    case 'expired_token':
    case 'oauth_error':
      return new OAuthError(outcome.error);
    case 'authorization_pending':
      return new OAuthError({ code: 'authorization_pending', description: `unexpected from the ${what} endpoint` });
    case 'unreadable_success':
      return new LostGrantError(outcome.message, outcome.status, outcome.cause);
    case 'invalid_response':
      return new InvalidResponseError(`the ${what} endpoint answered ${outcome.message}`, outcome.status);
    case 'transport_error':
      return new TransportError(outcome.message, outcome.cause);
    case 'success':
      return new InvalidResponseError(`the ${what} endpoint answered with a token`);
    default: {
      const unknown: never = outcome;
      return new InvalidResponseError(`unexpected outcome ${String(unknown)}`);
    }
  }
}

/**
 * Reads a JSON or form-encoded object body; `undefined` when it is neither.
 * @internal
 */
export function parseObjectBody(response: HttpTokenResponse): Record<string, unknown> | undefined {
  const body = response.body;
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) return body as Record<string, unknown>;
  if (typeof body !== 'string') return undefined;
  const text = body.trim();
  if (text.startsWith('{')) {
    try {
      const value: unknown = JSON.parse(text);
      return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  }
  // GitHub's device/code endpoint answers form-encoded when not asked for JSON.
  return /^[\w.~%+-]+=/.test(text) && !text.includes('<') ? Object.fromEntries(new URLSearchParams(text)) : undefined;
}

/** Whether a status is a success (2xx). @internal */
export function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}
