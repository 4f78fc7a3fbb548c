import { classifyHttpResponse } from '../../classify/http.js';
import { classifyTokenResponse, type Classifier } from '../../classify/classify.js';
import { isTransientOutcome, type TokenOutcome } from '../../core/outcome.js';
import { isTokenPollError, type TokenPollError } from '../../errors/base.js';
import { AccessDeniedError, ExpiredTokenError } from '../../errors/outcomes.js';
import { InvalidResponseError, LostGrantError, TransientFaultError } from '../../errors/failures.js';
import { retry } from '../../runtime/retry.js';
import { ResponseTooLargeError } from '../http.js';
import { parseJsonObject, postAwsJson, type AwsClient } from './client.js';
import { AwsSsoOidcError, type AwsSsoOidcOperation } from './errors.js';

/** One AWS call, as {@link callAws} makes it. @internal */
export interface AwsCall<TResult> {
  readonly operation: AwsSsoOidcOperation;
  readonly path: string;
  readonly body: Readonly<Record<string, unknown>>;
  readonly signal?: AbortSignal | undefined;
  /** Reads a 2xx JSON answer; throws a typed error when it is unusable. */
  read(json: Readonly<Record<string, unknown>>): TResult;
  /** A grant (the refresh grant): an unreadable 2xx may have spent the refresh token, so it is never retried. */
  readonly grant?: boolean;
}

// The retryable outcome behind each transient failure an attempt threw, for retry()'s classifier.
// Any other TokenPollError is final (a LostGrantError whose cause is a timeout must not look transient).
const outcomes = new WeakMap<object, TokenOutcome<unknown>>();
const classifyAttempt: Classifier<unknown> = (answer, context) => {
  if (answer.ok || !isTokenPollError(answer.error)) return classifyTokenResponse(answer, context);
  return outcomes.get(answer.error) ?? { type: 'transport_error', message: answer.error.message };
};

/**
 * Makes a one-shot AWS call with {@link retry}: transient faults and
 * `SlowDownException` are retried, and every other error is thrown as a
 * typed {@link TokenPollError} ({@link AwsSsoOidcError} for an AWS error).
 * @internal
 */
export function callAws<TResult>(client: AwsClient, call: AwsCall<TResult>): Promise<TResult> {
  const attempt = async ({ signal }: { signal: AbortSignal }): Promise<TResult> => {
    const response = await postAwsJson(client, call.path, call.body, signal);
    const { status } = response;
    if (status < 200 || status >= 300) throw failure(call.operation, classifyHttpResponse(response, client.clock.wallNow()));
    if (response.bodyError !== undefined) {
      const message = `${call.operation} answered HTTP ${status}, but reading its body failed`;
      if (call.grant) throw new LostGrantError(message, status, response.bodyError);
      if (response.bodyError instanceof ResponseTooLargeError) throw new InvalidResponseError(`${message}: ${response.bodyError.message}`, status);
      // Nothing was granted: the call is safe to send again.
      throw failure(call.operation, { type: 'network_error', message, cause: response.bodyError });
    }
    const json = parseJsonObject(response.body);
    if (json === undefined) {
      const message = `${call.operation} answered HTTP ${status} with a body that is not a JSON object`;
      throw call.grant ? new LostGrantError(message, status) : new InvalidResponseError(message, status);
    }
    return call.read(json);
  };
  return retry(attempt, { ...client.retry, classify: classifyAttempt, clock: client.clock, signal: call.signal });
}

/** The typed error for a non-2xx answer's outcome, remembering the outcome for retry(). */
function failure(operation: AwsSsoOidcOperation, outcome: TokenOutcome<unknown>): TokenPollError {
  let error: TokenPollError;
  switch (outcome.type) {
    case 'slow_down':
    case 'network_error':
    case 'timeout':
    case 'server_error':
    case 'rate_limited':
      error = new TransientFaultError(outcome);
      break;
    case 'access_denied':
      error = new AccessDeniedError(outcome.error);
      break;
    case 'expired_token':
      error = new ExpiredTokenError('server', outcome.error);
      break;
    case 'oauth_error':
      error = new AwsSsoOidcError(operation, outcome.error);
      break;
    case 'invalid_response':
    case 'unreadable_success':
    case 'transport_error':
      error = new InvalidResponseError(`${operation}: ${outcome.message}`, 'status' in outcome ? outcome.status : undefined);
      break;
    case 'authorization_pending':
    case 'success':
      error = new InvalidResponseError(`${operation} answered ${outcome.type} out of place`);
      break;
    default: {
      const unknown: never = outcome;
      throw new TypeError(`unknown outcome ${String(unknown)}`);
    }
  }
  if (isTransientOutcome(outcome) || outcome.type === 'slow_down') outcomes.set(error, outcome);
  return error;
}
