import { parseResponseBody, readHeader, type HttpTokenResponse } from '../classify/http.js';
import { parseRetryAfter } from '../classify/retry-after.js';
import type { Clock } from '../clock/clock.js';
import { InvalidResponseError } from '../errors/failures.js';
import { ResponseTooLargeError } from '../transports/http.js';
import { RetryableAnswer, sendWithRetry } from '../transports/one-shot.js';
import { awsUrl, type AwsClient } from '../transports/aws/client.js';
import { AwsSsoPortalError, type AwsSsoPortalOperation } from './errors.js';

/** The header the portal reads the access token from. @internal */
export const BEARER_HEADER = 'x-amz-sso_bearer_token';

/** The exception a status implies when no `x-amzn-ErrorType` names one (the SDK model's statuses). */
const STATUS_EXCEPTIONS: Readonly<Record<number, string>> = {
  400: 'InvalidRequestException',
  401: 'UnauthorizedException',
  404: 'ResourceNotFoundException',
  429: 'TooManyRequestsException',
};

/** One portal call. @internal */
export interface PortalRequest {
  readonly operation: AwsSsoPortalOperation;
  /** `/assignment/accounts`, `/assignment/roles`, `/federation/credentials` or `/logout`. */
  readonly path: string;
  /** `GET` unless said (Logout is a `POST` without a body). */
  readonly method?: 'GET' | 'POST' | undefined;
  /** A 2xx answer may come without a body (Logout's does): it reads as `{}`. */
  readonly bodyless?: boolean | undefined;
  /** The query parameters, by their wire names (`account_id`, `next_token`…); undefined ones are left out. */
  readonly query: Readonly<Record<string, string | undefined>>;
  readonly accountId?: string | undefined;
  readonly roleName?: string | undefined;
  readonly signal?: AbortSignal | undefined;
}

/**
 * Sends one portal call with the access token in `x-amz-sso_bearer_token`,
 * retried on transient faults (network, timeout, 5xx) and
 * `TooManyRequestsException` (429, waiting at least its `Retry-After`), and
 * returns the JSON body of its 2xx answer.
 * @throws {@link AwsSsoPortalError} for any other answer (`UnauthorizedException`
 * included: the caller decides whether a refresh helps), {@link RetriesExhaustedError},
 * {@link InvalidResponseError}, {@link PollCancelledError}.
 * @internal
 */
export function sendPortalRequest(client: AwsClient, request: PortalRequest, accessToken: string): Promise<Readonly<Record<string, unknown>>> {
  const url = awsUrl(client, request.path);
  for (const [name, value] of Object.entries(request.query)) if (value !== undefined) url.searchParams.set(name, value);
  return sendWithRetry(
    request.operation,
    { url, method: request.method ?? 'GET', headers: { [BEARER_HEADER]: accessToken, accept: 'application/json' } },
    (response, _receivedAt, clock) => readPortalAnswer(request, response, clock, accessToken),
    { ...client.retry, clock: client.clock, fetch: client.fetch, requestTimeoutMs: client.requestTimeoutMs, maxBodyBytes: client.maxBodyBytes, userAgent: client.userAgent, signal: request.signal },
  );
}

/** The body of a 2xx; a retryable answer for a 429, a 5xx or a 2xx cut short; an {@link AwsSsoPortalError} otherwise. */
function readPortalAnswer(request: PortalRequest, response: HttpTokenResponse, clock: Clock, accessToken: string): Readonly<Record<string, unknown>> {
  const { operation } = request;
  const { status } = response;
  const body = parseResponseBody(response);
  if (status >= 200 && status < 300) {
    if (body) return body;
    const { bodyError } = response;
    if (request.bodyless === true && bodyError === undefined && isBlank(response.body)) return {};
    // Nothing is granted or spent by these calls, so a body lost on the way is simply asked for again.
    if (bodyError !== undefined && !(bodyError instanceof ResponseTooLargeError)) {
      throw new RetryableAnswer({ type: 'network_error', message: `${operation} answered HTTP ${status} with a body that could not be read`, cause: bodyError });
    }
    throw new InvalidResponseError(`${operation} answered HTTP ${status} with ${bodyError ? bodyError.message : 'a body that is not a JSON object'}`, status);
  }
  const exception = exceptionName(response, body);
  if (status === 429 || status >= 500 || exception === 'TooManyRequestsException') {
    const retryAfterMs = parseRetryAfter(readHeader(response.headers, 'retry-after'), clock.wallNow());
    const message = `${operation} answered ${exception} (HTTP ${status})`;
    const type = status >= 500 ? 'server_error' : 'rate_limited';
    throw new RetryableAnswer(retryAfterMs === undefined ? { type, status, message } : { type, status, message, retryAfterMs });
  }
  throw new AwsSsoPortalError(operation, {
    exception,
    status,
    description: serverMessage(body, accessToken),
    accountId: request.accountId,
    roleName: request.roleName,
  });
}

/** The exception's name: `x-amzn-ErrorType` (`Name:namespace`), a body `__type` or `code`, else the status's. */
function exceptionName(response: HttpTokenResponse, body: Readonly<Record<string, unknown>> | undefined): string {
  const named = readHeader(response.headers, 'x-amzn-errortype') ?? stringOf(body?.['__type']) ?? stringOf(body?.['code']);
  const name = named?.split(/[:,]/)[0]!.split('#').at(-1)!.trim();
  return name || (STATUS_EXCEPTIONS[response.status] ?? 'UnknownException');
}

/** The server's `message`, kept short, and dropped if it somehow quotes the token. */
function serverMessage(body: Readonly<Record<string, unknown>> | undefined, accessToken: string): string | undefined {
  const message = stringOf(body?.['message']) ?? stringOf(body?.['Message']);
  if (message === undefined || message.includes(accessToken)) return undefined;
  return message.length > 200 ? `${message.slice(0, 200)}…` : message;
}

function isBlank(body: unknown): boolean {
  return body === undefined || (typeof body === 'string' && body.trim() === '');
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}
