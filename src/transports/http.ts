import { systemClock, type Clock } from '../clock/clock.js';
import type { HttpTokenResponse } from '../classify/http.js';
import { checkSecureUrl, type SecureUrl } from './secure-url.js';
import { withUserAgent } from './user-agent.js';

/** The default cap on a response body: 1 MiB. @group Transports */
export const DEFAULT_MAX_BODY_BYTES = 1_048_576;

/** Options for {@link httpRequest}. @group Transports */
export interface HttpRequestOptions {
  /** The URL. HTTPS is required, except for loopback hosts (127.0.0.0/8, ::1, localhost). */
  readonly url: string | URL;
  /** @defaultValue 'POST' */
  readonly method?: 'GET' | 'POST' | undefined;
  /** Request headers. A `user-agent` here replaces tokenpoll's. */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /**
   * Your own product token, sent before tokenpoll's: `'my-cli/1.2'` sends
   * `User-Agent: my-cli/1.2 tokenpoll/<version>`. Browsers send their own
   * User-Agent, so there neither is sent.
   * @defaultValue none: `User-Agent: tokenpoll/<version>`
   */
  readonly userAgent?: string | undefined;
  /** The request body, already encoded. */
  readonly body?: string | undefined;
  /** Aborts the request (the driver's per-request signal, or the caller's). */
  readonly signal?: AbortSignal | undefined;
  /** Aborts the request with a `TimeoutError` after this long, on `clock`. @defaultValue 30000 */
  readonly timeoutMs?: number | undefined;
  /** A body larger than this is not read whole: the answer carries a `bodyError` instead. @defaultValue 1 MiB */
  readonly maxBodyBytes?: number | undefined;
  /** The fetch to use. @defaultValue globalThis.fetch */
  readonly fetch?: typeof fetch | undefined;
  /** The clock for the timeout. @defaultValue {@link systemClock} */
  readonly clock?: Clock | undefined;
}

/**
 * The body was larger than `maxBodyBytes`, so it was not read.
 * @group Errors
 */
export class ResponseTooLargeError extends Error {
  /** Always `'ResponseTooLargeError'`. */
  override readonly name = 'ResponseTooLargeError';
}

/**
 * Checks that a URL is HTTPS, or HTTP on a loopback host. With `issuer` (the
 * URL whose metadata named this one), an `https:` issuer's URL must be
 * `https:` too, loopback or not: plain `http:` is allowed only under a
 * loopback issuer that is itself `http:`, so a server's metadata cannot send
 * the client secret or device code in the clear to whatever listens on a
 * local port.
 * @example
 * ```ts
 * import { assertSecureUrl } from 'tokenpoll';
 * assertSecureUrl('https://auth.example.com/token'); // URL
 * assertSecureUrl('http://127.0.0.1:8080/token'); // URL: plain http on loopback
 * assertSecureUrl('http://auth.example.com/token', 'tokenEndpoint'); // throws ConfigurationError: "tokenEndpoint: … must use https: …"
 * ```
 * @throws {@link ConfigurationError} for any other URL.
 * @group Transports
 */
export function assertSecureUrl(url: string | URL, option = 'url', issuer?: URL): URL {
  return checkSecureUrl(url, option, issuer);
}

/**
 * Sends one HTTP request and reads its answer into an {@link HttpTokenResponse}
 * for the classifier, with the safety every token request needs: HTTPS
 * (except on loopback), a timeout, and a cap on the body size. A 2xx body
 * that fails to read, and any body over the cap, come back as `bodyError`,
 * which the classifier treats as a lost grant on a 2xx. Otherwise it throws
 * what fetch threw (a network error or the abort reason), before the headers
 * or while reading a non-2xx body, which the classifier treats as transient.
 * Redirects are not followed.
 *
 * @example
 * A token request of your own, with the checks and caps built in; the classifier says what the answer means.
 * ```ts
 * import { DEVICE_CODE_GRANT_TYPE, classifyHttpResponse, httpRequest } from 'tokenpoll';
 * const response = await httpRequest({
 *   url: 'https://auth.example.com/oauth/token',
 *   method: 'POST',
 *   headers: { 'content-type': 'application/x-www-form-urlencoded' },
 *   body: new URLSearchParams({ grant_type: DEVICE_CODE_GRANT_TYPE, device_code: deviceCode, client_id: 'my-cli' }).toString(),
 *   timeoutMs: 10_000,
 * });
 * const outcome = classifyHttpResponse(response, Date.now()); // { type: 'success', token }, { type: 'authorization_pending' }, …
 * ```
 * @throws {@link ConfigurationError} for a URL that is not HTTPS or loopback.
 * @group Transports
 */
export async function httpRequest(options: HttpRequestOptions): Promise<HttpTokenResponse> {
  return sendHttpRequest({ ...options, url: checkSecureUrl(options.url) });
}

/**
 * {@link httpRequest} for a URL already checked: tokenpoll's own callers parse
 * their URLs once, where the options come in, and send through this.
 * @internal
 */
export async function sendHttpRequest(options: HttpRequestOptions & { readonly url: SecureUrl }): Promise<HttpTokenResponse> {
  const url = options.url;
  const clock = options.clock ?? systemClock;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const headers = withUserAgent(options.headers, options.userAgent);
  const controller = new AbortController();
  const outer = options.signal;
  const onAbort = (): void => controller.abort(outer?.reason);
  if (outer?.aborted) throw outer.reason;
  outer?.addEventListener('abort', onAbort, { once: true });
  const timer = clock.setTimeout(() => controller.abort(new DOMException(`no answer within ${timeoutMs} ms`, 'TimeoutError')), timeoutMs, { unref: true });
  try {
    const init: RequestInit = { method: options.method ?? 'POST', signal: controller.signal, redirect: 'manual' };
    if (headers) init.headers = { ...headers };
    if (options.body !== undefined) init.body = options.body;
    const response = await (options.fetch ?? globalThis.fetch)(url, init);
    try {
      return { status: response.status, headers: response.headers, body: await readCapped(response, maxBodyBytes) };
    } catch (bodyError) {
      // A 2xx whose body is lost may be a grant already issued: hand it over as bodyError, so it is never retried.
      // Any other answer granted nothing, so a body cut short (a reset, a timeout) is a transient fault like any other.
      const success = response.status >= 200 && response.status < 300;
      if (!success && !(bodyError instanceof ResponseTooLargeError)) throw bodyError;
      return { status: response.status, headers: response.headers, bodyError };
    }
  } finally {
    clock.clearTimeout(timer);
    outer?.removeEventListener('abort', onAbort);
  }
}

async function readCapped(response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel();
    throw new ResponseTooLargeError(`the body is ${declared} bytes, above the cap of ${maxBytes}`);
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw new ResponseTooLargeError(`the body is over the cap of ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}
