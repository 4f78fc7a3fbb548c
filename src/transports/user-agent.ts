import { ConfigurationError } from '../errors/failures.js';

/**
 * tokenpoll's version, the `version` of its package.json (a test keeps the
 * two equal). A constant rather than a read of package.json, so a browser
 * bundle needs neither a JSON import nor `node:fs`.
 * @internal
 */
export const TOKENPOLL_VERSION = '0.1.0';

/** The product token every request names tokenpoll by: `tokenpoll/<version>`. @internal */
export const TOKENPOLL_PRODUCT = `tokenpoll/${TOKENPOLL_VERSION}`;

/**
 * Checks a client's own `userAgent`: product tokens (`my-cli/1.2`, comments
 * allowed) in visible ASCII separated by single spaces, as a header value
 * must be (RFC 9110 §10.1.5).
 * @throws {@link ConfigurationError} for anything else.
 * @internal
 */
export function checkUserAgent(value: unknown, option = 'userAgent'): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^[\x21-\x7e]+( [\x21-\x7e]+)*$/.test(value)) {
    throw new ConfigurationError(option, `expected product tokens such as 'my-cli/1.2' (visible ASCII, single spaces), got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * The request headers with `User-Agent: [userAgent ]tokenpoll/<version>`
 * added, outside browsers. A browser sends its own User-Agent: Chromium
 * (156, measured) accepts one set on fetch but sends its own in its place,
 * with no preflight; Firefox follows the Fetch standard and would send it,
 * but as it is not a CORS-safelisted header, every cross-origin call would
 * then need a preflight the token endpoint may not answer.
 * A `user-agent` the caller put in `headers` is kept as it is.
 * @throws {@link ConfigurationError} for a `userAgent` that is not product tokens.
 * @internal
 */
export function withUserAgent(headers: Readonly<Record<string, string>> | undefined, userAgent: string | undefined): Readonly<Record<string, string>> | undefined {
  const product = checkUserAgent(userAgent);
  if (inBrowser() || Object.keys(headers ?? {}).some((name) => name.toLowerCase() === 'user-agent')) return headers;
  return { ...headers, 'user-agent': product === undefined ? TOKENPOLL_PRODUCT : `${product} ${TOKENPOLL_PRODUCT}` };
}

/** A browser (or a page-like worker): its `navigator.userAgent` starts `Mozilla/`; Node 21+, Deno and Bun name themselves. */
function inBrowser(): boolean {
  return typeof navigator !== 'undefined' && typeof navigator.userAgent === 'string' && navigator.userAgent.startsWith('Mozilla/');
}
