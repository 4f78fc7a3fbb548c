import type { TokenOutcome } from '../core/outcome.js';
import { AWS_SSO_OIDC_EXCEPTIONS, oauthDetail, outcomeFromAwsException, outcomeFromOAuthError } from './oauth.js';

const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH',
  'ENETDOWN', 'EHOSTUNREACH', 'EHOSTDOWN', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'ERR_STREAM_PREMATURE_CLOSE',
]);
const TIMEOUT_CODES: ReadonlySet<string> = new Set([
  'ETIMEDOUT', 'ESOCKETTIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT',
]);
// What undici's fetch gives as the cause of "fetch failed" when the request can never work (Node 20+).
const PERMANENT_MESSAGES = /^(bad port|unknown scheme|invalid url)\b/i;
const PERMANENT_CODES: ReadonlySet<string> = new Set(['ERR_INVALID_URL']);
// What fetch throws for a network failure, by runtime: undici (Node), Chromium, Firefox, Safari, Deno, Bun.
const NETWORK_MESSAGES =
  /^(fetch failed|failed to fetch|networkerror when attempting to fetch resource\.?|load failed|network error|error sending request|unable to connect)/i;

interface ErrorLike {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly code?: unknown;
  readonly cause?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown };
  readonly $fault?: unknown;
  readonly error?: unknown;
  readonly error_description?: unknown;
  readonly reason?: unknown;
}

/**
 * Classifies what a transport threw:
 * - AWS SDK v3 exceptions by `name` (with `$metadata.httpStatusCode`,
 *   `error_description` and `reason`); unknown ones by status and `$fault`;
 * - timeouts (`TimeoutError`, `AbortError` not caused by tokenpoll, `ETIMEDOUT`,
 *   undici's timeout codes) as `timeout`;
 * - failures no retry can help (fetch's "bad port" and "unknown scheme", an
 *   invalid URL) as `transport_error`, even inside "fetch failed";
 * - network failures (`ECONNRESET`, `ECONNREFUSED`, DNS errors, fetch's
 *   "fetch failed" in any runtime), looking through `cause`, as `network_error`.
 *   `ENOTFOUND` is among them, since mid-poll it is a network change; the
 *   one-shot calls (discovery, device authorization, registration, refresh)
 *   treat it as permanent, since there it is most likely a typo;
 * - anything else as `transport_error`, which ends the flow: it is most
 *   likely a bug, and retrying it would only hide it.
 * @example
 * ```ts
 * import { classifyThrown } from 'tokenpoll';
 * classifyThrown(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })); // { type: 'network_error', message: 'socket hang up (ECONNRESET)', … }
 * classifyThrown(new TypeError('transport is not a function')); // { type: 'transport_error', … }: ends the flow
 * ```
 * @group Classification
 */
export function classifyThrown(error: unknown): TokenOutcome<never> {
  const e = (typeof error === 'object' && error !== null ? error : {}) as ErrorLike;
  const name = typeof e.name === 'string' ? e.name : '';
  const message = typeof e.message === 'string' && e.message !== '' ? e.message : safeString(error);
  if (e.$metadata !== undefined || e.$fault !== undefined) {
    const aws = classifyAwsSdkError(e, name, message);
    if (aws) return aws;
  }
  // The cause chain is read from the most specific evidence to the least: error codes first (undici wraps
  // ETIMEDOUT in "fetch failed"; the AWS SDK names a reset connection TimeoutError but codes it ECONNRESET),
  // then error names, then the generic "fetch failed" messages.
  const chain = causeChain(e);
  const codeOf = (link: ErrorLike): string | undefined => (typeof link.code === 'string' ? link.code : undefined);
  const permanent = permanentFetchFailure(error);
  if (permanent !== undefined) return { type: 'transport_error', message: message === permanent ? message : `${message}: ${permanent}`, cause: error };
  for (const link of chain) {
    const code = codeOf(link);
    if (code !== undefined && TIMEOUT_CODES.has(code)) return { type: 'timeout', message: describe(message, code), cause: error };
    if (code !== undefined && NETWORK_CODES.has(code)) return { type: 'network_error', message: describe(message, code), cause: error };
  }
  for (const link of chain) {
    if (link.name === 'TimeoutError' || link.name === 'AbortError') return { type: 'timeout', message, cause: error };
  }
  for (const link of chain) {
    if (typeof link.message === 'string' && NETWORK_MESSAGES.test(link.message)) {
      return { type: 'network_error', message: describe(message, innerCode(link)), cause: error };
    }
  }
  return { type: 'transport_error', message: `the transport threw ${name || typeof error}: ${message}`, cause: error };
}

/**
 * Why fetch can never succeed with this request, read from the error or its
 * `cause` chain (undici's "bad port", "unknown scheme", `ERR_INVALID_URL`), or
 * `undefined` when the failure may be transient.
 * @internal
 */
export function permanentFetchFailure(error: unknown): string | undefined {
  const start = asErrorLike(error);
  if (!start) return undefined;
  for (const link of causeChain(start)) {
    if (typeof link.code === 'string' && PERMANENT_CODES.has(link.code)) return typeof link.message === 'string' ? link.message : link.code;
    if (typeof link.message === 'string' && PERMANENT_MESSAGES.test(link.message)) return link.message;
  }
  return undefined;
}

/**
 * Whether the error is (or wraps) a DNS answer that the host name does not
 * exist (`ENOTFOUND`), as opposed to a resolver that could not answer now
 * (`EAI_AGAIN`, transient).
 * @internal
 */
export function hostNotFound(error: unknown): boolean {
  const start = asErrorLike(error);
  return start !== undefined && causeChain(start).some((link) => link.code === 'ENOTFOUND');
}

function classifyAwsSdkError(e: ErrorLike, name: string, message: string): TokenOutcome<never> | undefined {
  const rawStatus = e.$metadata?.httpStatusCode;
  const status = typeof rawStatus === 'number' ? rawStatus : undefined;
  // The SDK's message is often just "UnknownError"; error_description is the server's own text.
  const description = e.error_description ?? (message !== 'UnknownError' && message !== name ? message : undefined);
  // The SDK failed to read or parse a success answer: the device code may be consumed, so the grant is lost, not retryable.
  if (status !== undefined && status >= 200 && status < 300) {
    // Not the SDK's own message: a JSON parse error quotes the start of the body, which may hold the token.
    return { type: 'unreadable_success', status, message: `the SDK could not read the ${status} answer (${name || 'error'})`, cause: e };
  }
  if (Object.hasOwn(AWS_SSO_OIDC_EXCEPTIONS, name)) {
    return outcomeFromAwsException(name, { description, reason: e.reason, status });
  }
  if (status === 429 || /Throttl|TooManyRequests/.test(name)) {
    return { type: 'rate_limited', status: status ?? 429, message: `${name}: ${message}` };
  }
  if (e.$fault === 'server' || (status !== undefined && status >= 500)) {
    return { type: 'server_error', status: status ?? 500, message: `${name}: ${message}` };
  }
  if (status !== undefined && status >= 400) {
    const code = typeof e.error === 'string' && e.error !== '' ? e.error : name;
    return outcomeFromOAuthError(oauthDetail({ code, description, reason: e.reason, status, exception: name }));
  }
  return undefined;
}

function causeChain(error: ErrorLike): ErrorLike[] {
  const chain: ErrorLike[] = [];
  for (let link: ErrorLike | undefined = error; link && chain.length < 4 && !chain.includes(link); link = asErrorLike(link.cause)) chain.push(link);
  return chain;
}

/** `String(value)`, but never throwing (null-prototype objects, hostile `toString`). */
function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

function asErrorLike(value: unknown): ErrorLike | undefined {
  return typeof value === 'object' && value !== null ? (value as ErrorLike) : undefined;
}

function innerCode(link: ErrorLike): string | undefined {
  const code = asErrorLike(link.cause)?.code;
  return typeof code === 'string' ? code : undefined;
}

function describe(message: string, code: string | undefined): string {
  return code && !message.includes(code) ? `${message} (${code})` : message;
}
