import { readSeconds } from '../core/interval.js';
import type { TokenOutcome, TokenSet } from '../core/outcome.js';
import { parseRetryAfter } from './retry-after.js';
import { oauthDetail, outcomeFromAwsException, outcomeFromOAuthError } from './oauth.js';

/**
 * An HTTP answer from a token endpoint, as a transport hands it over once it
 * has read the body. `body` is the text as received (or an already-parsed
 * object); `bodyError` is set instead when reading the body failed.
 * @group Classification
 */
export interface HttpTokenResponse {
  /** The HTTP status code. */
  readonly status: number;
  /** The response headers, as a `Headers` or a plain record (names in any case). */
  readonly headers?: Headers | Readonly<Record<string, string | readonly string[] | undefined>>;
  /** The body text as received, or an already-parsed object. */
  readonly body?: unknown;
  /** What reading the body threw, when it failed. */
  readonly bodyError?: unknown;
}

/** Whether a value looks like an {@link HttpTokenResponse}. @internal */
export function isHttpTokenResponse(value: unknown): value is HttpTokenResponse {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { status?: unknown }).status === 'number' &&
    // A bare { status } is an answer with no body; a token or error body that merely has a `status` member is not.
    ('body' in value || 'headers' in value || 'bodyError' in value || !('access_token' in value || 'accessToken' in value || 'error' in value))
  );
}

/**
 * Classifies an HTTP answer from a token endpoint:
 * - AWS's `x-amzn-ErrorType` header names the exception, whatever the status;
 * - any 5xx (HTML bodies included) is a transient `server_error`;
 * - a 429 is `rate_limited`, unless its body says `authorization_pending` or `slow_down`; a 408 is a `timeout`;
 * - an OAuth `error` member, in JSON or form-encoded, at any status (GitHub
 *   answers 200 with an error body), is mapped by {@link outcomeFromOAuthError};
 * - a 2xx with an access token is `success`; a 2xx without a readable one is
 *   `unreadable_success`, never retried;
 * - anything else is `invalid_response`.
 * @param wallNowMs - The wall-clock time, for `Retry-After` dates.
 * @example
 * ```ts
 * import { classifyHttpResponse } from 'tokenpoll';
 * classifyHttpResponse({ status: 400, body: { error: 'slow_down' } }, Date.now()); // { type: 'slow_down' }
 * classifyHttpResponse({ status: 200, body: { error: 'authorization_pending' } }, Date.now()); // GitHub's way: { type: 'authorization_pending' }
 * classifyHttpResponse({ status: 503, headers: { 'retry-after': '10' }, body: '<html>' }, Date.now()); // { type: 'server_error', status: 503, retryAfterMs: 10000, … }
 * classifyHttpResponse({ status: 200, body: '{"access_tok' }, Date.now()); // { type: 'unreadable_success', … }: a lost grant, never retried
 * ```
 * @group Classification
 */
export function classifyHttpResponse(response: HttpTokenResponse, wallNowMs: number): TokenOutcome<TokenSet> {
  const { status } = response;
  const header = (name: string): string | undefined => readHeader(response.headers, name);
  const parsed = parseResponseBody(response);
  const retryAfterMs = status === 429 || status >= 500 ? parseRetryAfter(header('retry-after'), wallNowMs) : undefined;

  const awsType = header('x-amzn-errortype') ?? stringMember(parsed, 'code') ?? stringMember(parsed, '__type');
  if (awsType !== undefined) {
    // "Name:namespace-uri", "Name,…" or "namespace#Name": the AWS SDK's own reading of the type.
    const name = awsType.split(/[:,]/)[0]!.split('#').at(-1)!.trim();
    const outcome = outcomeFromAwsException(name, {
      description: parsed?.['error_description'] ?? parsed?.['message'],
      reason: parsed?.['reason'],
      status,
      retryAfterMs,
    });
    if (outcome) return outcome;
  }
  if (status >= 500) {
    const message = `HTTP ${status}`;
    return retryAfterMs === undefined ? { type: 'server_error', status, message } : { type: 'server_error', status, message, retryAfterMs };
  }
  const code = stringMember(parsed, 'error');
  // A 429 is throttling whatever its body calls it (Auth0 says too_many_requests); only the two
  // RFC 8628 codes that mean "keep polling" keep their own meaning.
  if (status === 429 && code !== 'authorization_pending' && code !== 'slow_down') {
    const message = 'HTTP 429 Too Many Requests';
    return retryAfterMs === undefined ? { type: 'rate_limited', status, message } : { type: 'rate_limited', status, message, retryAfterMs };
  }
  if (status === 408 && code === undefined) return { type: 'timeout', message: 'HTTP 408 Request Timeout' };
  if (code !== undefined) {
    const detail = oauthDetail({ code, description: parsed?.['error_description'], reason: parsed?.['reason'], status });
    return outcomeFromOAuthError(detail, parsed?.['interval']);
  }
  if (status >= 200 && status < 300) {
    const token = parsed === undefined ? undefined : tokenSetFrom(parsed);
    if (token) return { type: 'success', token };
    const message =
      response.bodyError !== undefined ? 'reading the body failed' : parsed === undefined ? 'the body is not JSON or a form' : 'the body holds no access token';
    return response.bodyError === undefined
      ? { type: 'unreadable_success', status, message }
      : { type: 'unreadable_success', status, message, cause: response.bodyError };
  }
  return { type: 'invalid_response', status, message: `HTTP ${status} without an OAuth error body` };
}

/**
 * The longest access-token lifetime tokenpoll takes from a token answer: 10
 * years (315,360,000 s). A larger `expires_in` (`1e13`) is clamped to it: the
 * token the user approved is kept, and an expiry computed from it (`now +
 * expires_in`) stays a date (`new Date()` holds times up to year 275760 only,
 * ISO 8601 four-digit years up to 9999). The answer's `raw` keeps the value
 * as sent.
 * @group Classification
 */
export const MAX_TOKEN_LIFETIME_SECONDS = 315_360_000;

/**
 * Normalises a token answer, snake_case (RFC 6749 §5.1) or camelCase (AWS),
 * into a {@link TokenSet}; `undefined` when it holds no access token. An
 * `expires_in` that is not a finite positive number is left out; one above
 * {@link MAX_TOKEN_LIFETIME_SECONDS} is clamped to it, so a token already
 * granted is never refused for it.
 * @example
 * ```ts
 * import { tokenSetFrom } from 'tokenpoll';
 * tokenSetFrom({ access_token: 'at', token_type: 'Bearer', expires_in: 3600 }); // { accessToken: 'at', tokenType: 'Bearer', expiresInSeconds: 3600, raw: { … } }
 * tokenSetFrom({ error: 'authorization_pending' }); // undefined
 * ```
 * @group Classification
 */
export function tokenSetFrom(body: Readonly<Record<string, unknown>>): TokenSet | undefined {
  const accessToken = body['access_token'] ?? body['accessToken'];
  if (typeof accessToken !== 'string' || accessToken === '') return undefined;
  const token: { -readonly [K in keyof TokenSet]: TokenSet[K] } = { accessToken, raw: body };
  const tokenType = body['token_type'] ?? body['tokenType'];
  if (typeof tokenType === 'string') token.tokenType = tokenType;
  const expiresIn = readSeconds(body['expires_in'] ?? body['expiresIn']);
  if (expiresIn !== undefined && Number.isFinite(expiresIn) && expiresIn > 0) token.expiresInSeconds = Math.min(expiresIn, MAX_TOKEN_LIFETIME_SECONDS);
  const refreshToken = body['refresh_token'] ?? body['refreshToken'];
  if (typeof refreshToken === 'string') token.refreshToken = refreshToken;
  const idToken = body['id_token'] ?? body['idToken'];
  if (typeof idToken === 'string') token.idToken = idToken;
  if (typeof body['scope'] === 'string') token.scope = body['scope'];
  return token;
}

/**
 * Reads an answer's body as an object, the one parser of every answer
 * tokenpoll reads (token polls, device authorization, discovery, AWS calls):
 * - an already-parsed object is taken as it is;
 * - text starting with `{` is JSON, unless `Content-Type` says form-encoded;
 * - form-encoded text (by its `Content-Type`, or by its look: GitHub answers
 *   `key=value&…` when not asked for JSON) is read into a record of strings.
 *
 * @returns `undefined` when the body could not be read (`bodyError`), or is
 * neither a JSON object (an array, `null`, truncated JSON…) nor a form.
 * @internal
 */
export function parseResponseBody(response: Pick<HttpTokenResponse, 'headers' | 'body' | 'bodyError'>): Record<string, unknown> | undefined {
  if (response.bodyError !== undefined) return undefined;
  const { body } = response;
  const contentType = readHeader(response.headers, 'content-type');
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) return body as Record<string, unknown>;
  if (typeof body !== 'string') return undefined;
  const text = body.trim();
  const isForm = contentType?.toLowerCase().includes('application/x-www-form-urlencoded') ?? false;
  if (!isForm && text.startsWith('{')) {
    try {
      const value: unknown = JSON.parse(text);
      return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  }
  if ((isForm || /^[\w.~%+-]+=/.test(text)) && !text.includes('<')) {
    return Object.fromEntries(new URLSearchParams(text));
  }
  return undefined;
}

/** One header of an answer, by lower-case name, from `Headers` or a plain record. @internal */
export function readHeader(headers: HttpTokenResponse['headers'], name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  for (const [key, value] of Object.entries(headers as Record<string, string | readonly string[] | undefined>)) {
    if (key.toLowerCase() === name) return Array.isArray(value) ? value.join(', ') : (value as string | undefined);
  }
  return undefined;
}

function stringMember(object: Record<string, unknown> | undefined, key: string): string | undefined {
  const value = object?.[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}
