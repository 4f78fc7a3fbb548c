import type { HttpTokenResponse } from '../classify/http.js';

/**
 * Reads a fetch `Response` into an {@link HttpTokenResponse} for the
 * classifier. If reading the body of a 2xx fails (the connection drops
 * halfway through a 200, say), the failure is returned as `bodyError`, so a
 * grant the server may already have issued is treated as lost and never
 * retried, instead of as a network error to retry with a consumed device
 * code. For any other status the read error is thrown: nothing was granted,
 * so it is a transient fault.
 *
 * @example
 * ```ts
 * import { pollToken, readHttpResponse } from 'tokenpoll';
 * const poll = pollToken({
 *   transport: async ({ signal }) => readHttpResponse(await fetch(tokenUrl, { method: 'POST', body, signal })),
 *   intervalSeconds: authorization.interval,
 *   expiresInSeconds: authorization.expires_in,
 * });
 * ```
 * @group Transports
 */
export async function readHttpResponse(response: Response): Promise<HttpTokenResponse> {
  try {
    return { status: response.status, headers: response.headers, body: await response.text() };
  } catch (bodyError) {
    // Only a 2xx can have carried a grant; any other answer cut short is a transient fault.
    if (response.status < 200 || response.status >= 300) throw bodyError;
    return { status: response.status, headers: response.headers, bodyError };
  }
}
