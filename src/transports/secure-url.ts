import { ConfigurationError } from '../errors/failures.js';

declare const checked: unique symbol;

/**
 * A URL that passed {@link checkSecureUrl} (or was built on the origin of one
 * that did, by {@link secureUrlOn}): `https:`, or `http:` on a loopback host,
 * with no user name or password. Functions that take one trust it and check
 * nothing again: parse once, at the edge.
 * @internal
 */
export type SecureUrl = URL & { readonly [checked]: true };

const LOOPBACK = /^(127(\.\d{1,3}){3}|\[::1\]|localhost)$/i;

/**
 * Checks that a URL is HTTPS, or HTTP on a loopback host. With `issuer` (the
 * URL whose metadata named this one), an `https:` issuer's URL must be
 * `https:` too, loopback or not: plain `http:` is allowed only under a
 * loopback issuer that is itself `http:`, so a server's metadata cannot send
 * the client secret or device code in the clear to whatever listens on a
 * local port. The one place a URL is checked; `assertSecureUrl` is its public name.
 * @throws {@link ConfigurationError} for any other URL.
 * @internal
 */
export function checkSecureUrl(url: string | URL, option = 'url', issuer?: URL): SecureUrl {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigurationError(option, 'not a valid URL');
  }
  // Credentials in a URL would travel in the clear in logs and errors; refuse them without repeating them.
  if (parsed.username !== '' || parsed.password !== '') throw new ConfigurationError(option, `${parsed.protocol}//${parsed.host}${parsed.pathname} must not carry a user name or password`);
  if (parsed.protocol === 'https:') return parsed as SecureUrl;
  if (issuer?.protocol === 'https:') throw new ConfigurationError(option, `${parsed.origin} must use https:, as its issuer ${issuer.origin} does`);
  if (parsed.protocol === 'http:' && LOOPBACK.test(parsed.hostname)) return parsed as SecureUrl;
  throw new ConfigurationError(option, `${parsed.origin} must use https: (plain http: is allowed only for loopback hosts)`);
}

/**
 * A URL on the origin of a checked one (`href` is built from `base`: its
 * origin plus a path or query of tokenpoll's own), so it is as secure as
 * `base` without a second check.
 * @throws {@link TypeError} when `href` leaves `base`'s origin (a bug, never a user's input).
 * @internal
 */
export function secureUrlOn(base: SecureUrl, href: string): SecureUrl {
  const url = new URL(href);
  if (url.origin !== base.origin || url.username !== '' || url.password !== '') throw new TypeError(`${url.origin} is not on the origin of ${base.origin}`);
  return url as SecureUrl;
}
