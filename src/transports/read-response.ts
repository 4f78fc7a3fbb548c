import type { HttpTokenResponse } from '../classify/http.js';

/**
 * Reads a fetch `Response` into an {@link HttpTokenResponse} for the
 * classifier. It never throws once the headers have arrived: if reading the
 * body fails (the connection drops halfway through a 200, say), the failure
 * is returned as `bodyError`, so a grant the server may already have issued
 * is treated as lost and never retried, instead of as a network error to
 * retry with a consumed device code.
 *
 * @example
 * ```ts
 * import { pollToken, readHttpResponse } from 'tokenpoll';
 * const poll = pollToken({
 *   transport: async ({ signal }) => readHttpResponse(await fetch(tokenUrl, { method: 'POST', body, signal })),
 *   expiresInSeconds: 600,
 * });
 * ```
 * @group Transports
 */
export async function readHttpResponse(response: Response): Promise<HttpTokenResponse> {
  try {
    return { status: response.status, headers: response.headers, body: await response.text() };
  } catch (bodyError) {
    return { status: response.status, headers: response.headers, bodyError };
  }
}
