import { ConfigurationError, InvalidResponseError } from '../../errors/failures.js';
import { classifyHttpResponse, parseResponseBody } from '../../classify/http.js';
import { isTransientOutcome } from '../../core/outcome.js';
import { assertSecureUrl } from '../http.js';
import { RetryableAnswer, sendWithRetry } from '../one-shot.js';
import { DiscoveryError, type DiscoveryAttempt } from './discovery-error.js';
import type { EndpointsLocation, OneShotOptions, ServerLocation } from './options.js';

/**
 * What the RFC 8628 helpers need from an authorization server's metadata
 * (RFC 8414 §2), in camelCase, with the document as received in `raw`.
 * @group RFC 8628
 */
export interface AuthorizationServerMetadata {
  /** The issuer identifier. */
  readonly issuer: string;
  /** `device_authorization_endpoint`. */
  readonly deviceAuthorizationEndpoint: string;
  /** `token_endpoint`. */
  readonly tokenEndpoint: string;
  /** `grant_types_supported`, when the server lists them. */
  readonly grantTypesSupported?: readonly string[];
  /** `token_endpoint_auth_methods_supported`, when the server lists them. */
  readonly tokenEndpointAuthMethodsSupported?: readonly string[];
  /** `scopes_supported`, when the server lists them. */
  readonly scopesSupported?: readonly string[];
  /** Which document it came from, or `'explicit'` for endpoints given by the caller. */
  readonly source: 'oauth-authorization-server' | 'openid-configuration' | 'explicit';
  /** Every member of the metadata document as received (empty for explicit endpoints). */
  readonly raw: Readonly<Record<string, unknown>>;
}

/** Options for {@link discover}. @group RFC 8628 */
export interface DiscoveryOptions extends OneShotOptions {
  /**
   * Require the document's `issuer` to be the issuer asked for (RFC 8414 §3.3).
   * Turn it off only for servers whose metadata names a template issuer
   * (Entra's `common` tenant). @defaultValue true
   */
  readonly validateIssuer?: boolean | undefined;
}

/**
 * The two metadata URLs for an issuer, in the order they are tried: RFC 8414's
 * (the well-known segment goes between the host and the issuer's path) and
 * OpenID Connect Discovery's (appended to the issuer).
 * @see {@link https://www.rfc-editor.org/rfc/rfc8414#section-3.1 | RFC 8414 §3.1}
 * @group RFC 8628
 */
export function wellKnownUrls(issuer: string | URL): readonly [oauth: URL, openid: URL] {
  const url = assertSecureUrl(issuer, 'issuer');
  const path = url.pathname.replace(/\/$/, '');
  return [new URL(`${url.origin}/.well-known/oauth-authorization-server${path}`), new URL(`${url.origin}${path}/.well-known/openid-configuration`)];
}

/**
 * Finds the device authorization and token endpoints: from
 * `/.well-known/oauth-authorization-server` (RFC 8414), then
 * `/.well-known/openid-configuration`, moving on when the first is missing
 * (any non-transient error status) or names no device authorization endpoint.
 * Transient faults are retried with {@link retry}. Explicit endpoints are
 * checked and returned without a request.
 *
 * @example
 * ```ts
 * import { discover } from 'tokenpoll';
 * const { deviceAuthorizationEndpoint, tokenEndpoint } = await discover('https://auth.example.com');
 * ```
 * @throws {@link DiscoveryError} when neither document names both endpoints.
 * @throws {@link ConfigurationError} for an issuer or endpoint you gave that is not HTTPS (loopback excepted),
 * or an endpoint you gave that is plain `http:` under an `https:` issuer.
 * @throws {@link InvalidResponseError} when the server's metadata names such an endpoint.
 * @throws {@link RetryAfterTooLongError} when the server asks for a longer wait than the call allows.
 * @throws {@link RetriesExhaustedError} when transient faults outlast the retries.
 * @see {@link https://www.rfc-editor.org/rfc/rfc8414#section-3 | RFC 8414 §3}
 * @see {@link https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderConfig | OpenID Connect Discovery 1.0 §4}
 * @group RFC 8628
 */
export async function discover(issuer: string | URL | ServerLocation, options: DiscoveryOptions = {}): Promise<AuthorizationServerMetadata> {
  const location: ServerLocation = typeof issuer === 'string' || issuer instanceof URL ? { issuer } : issuer;
  if (hasEndpoints(location)) return explicitMetadata(location);
  const issuerUrl = assertSecureUrl(location.issuer, 'issuer');
  const expected = withoutSlash(issuerUrl.href);
  const attempts: DiscoveryAttempt[] = [];
  const [oauth, openid] = wellKnownUrls(location.issuer);
  for (const [url, source] of [[oauth, 'oauth-authorization-server'], [openid, 'openid-configuration']] as const) {
    const found = await sendWithRetry(
      'discovery',
      { url, method: 'GET', headers: { accept: 'application/json' } },
      (response, _receivedAt, clock) => {
        if (response.status < 200 || response.status >= 300 || response.bodyError !== undefined) {
          const outcome = classifyHttpResponse(response, clock.wallNow());
          if (isTransientOutcome(outcome)) throw new RetryableAnswer(outcome);
          return `HTTP ${response.status}${response.bodyError === undefined ? '' : ' with an unreadable body'}`;
        }
        const body = parseResponseBody(response);
        if (!body) return 'not a JSON object';
        if (options.validateIssuer !== false && (typeof body['issuer'] !== 'string' || withoutSlash(body['issuer']) !== expected)) {
          return `its issuer ${JSON.stringify(body['issuer'])} is not ${expected}`;
        }
        return metadataFrom(body, source, expected, issuerUrl);
      },
      options,
    );
    if (typeof found !== 'string') return found;
    attempts.push({ url: url.href, problem: found });
  }
  throw new DiscoveryError(expected, attempts);
}

/**
 * An endpoint the server's metadata names, checked as {@link assertSecureUrl}
 * checks the caller's own URLs. What the server sent is a fault of the server,
 * not of the caller's options, so it is an {@link InvalidResponseError}, which
 * is never retried.
 */
function serverEndpoint(url: string, member: string, issuer: URL): URL {
  try {
    return assertSecureUrl(url, member, issuer);
  } catch (error) {
    if (error instanceof ConfigurationError) throw new InvalidResponseError(`the discovery document of ${issuer.origin} is refused: ${error.message}`);
    throw error;
  }
}

/** The metadata in a document; its endpoints keep the issuer's scheme (an `https:` issuer's endpoints are `https:`). */
function metadataFrom(body: Record<string, unknown>, source: AuthorizationServerMetadata['source'], expected: string, issuer: URL): AuthorizationServerMetadata | string {
  const device = body['device_authorization_endpoint'];
  const token = body['token_endpoint'];
  if (typeof device !== 'string' || device === '') return 'no device_authorization_endpoint';
  if (typeof token !== 'string' || token === '') return 'no token_endpoint';
  const metadata: { -readonly [K in keyof AuthorizationServerMetadata]: AuthorizationServerMetadata[K] } = {
    issuer: typeof body['issuer'] === 'string' ? body['issuer'] : expected,
    deviceAuthorizationEndpoint: serverEndpoint(device, 'device_authorization_endpoint', issuer).href,
    tokenEndpoint: serverEndpoint(token, 'token_endpoint', issuer).href,
    source,
    raw: Object.freeze({ ...body }),
  };
  const grants = stringList(body['grant_types_supported']);
  if (grants) metadata.grantTypesSupported = grants;
  const methods = stringList(body['token_endpoint_auth_methods_supported']);
  if (methods) metadata.tokenEndpointAuthMethodsSupported = methods;
  const scopes = stringList(body['scopes_supported']);
  if (scopes) metadata.scopesSupported = scopes;
  return Object.freeze(metadata);
}

/**
 * Whether a location gives endpoints rather than only an issuer.
 * @throws {@link ConfigurationError} when it gives only one endpoint, or nothing.
 * @internal
 */
export function hasEndpoints(location: ServerLocation): location is EndpointsLocation {
  if (typeof location !== 'object' || location === null) throw new ConfigurationError('issuer', 'expected an issuer, or both deviceAuthorizationEndpoint and tokenEndpoint');
  const device = location.deviceAuthorizationEndpoint !== undefined;
  const token = location.tokenEndpoint !== undefined;
  if (device !== token) throw new ConfigurationError(device ? 'tokenEndpoint' : 'deviceAuthorizationEndpoint', 'give both endpoints, or only an issuer');
  if (!device && location.issuer === undefined) throw new ConfigurationError('issuer', 'expected an issuer, or both deviceAuthorizationEndpoint and tokenEndpoint');
  return device;
}

/**
 * The metadata for explicit endpoints, checked.
 * @internal
 */
export function explicitMetadata(location: EndpointsLocation): AuthorizationServerMetadata {
  const issuerUrl = location.issuer === undefined ? undefined : assertSecureUrl(location.issuer, 'issuer');
  const deviceAuthorizationEndpoint = assertSecureUrl(location.deviceAuthorizationEndpoint, 'deviceAuthorizationEndpoint', issuerUrl).href;
  const tokenEndpoint = assertSecureUrl(location.tokenEndpoint, 'tokenEndpoint', issuerUrl);
  const issuer = issuerUrl === undefined ? tokenEndpoint.origin : withoutSlash(issuerUrl.href);
  return Object.freeze({ issuer, deviceAuthorizationEndpoint, tokenEndpoint: tokenEndpoint.href, source: 'explicit', raw: Object.freeze({}) });
}

function stringList(value: unknown): readonly string[] | undefined {
  return Array.isArray(value) && value.every((item) => typeof item === 'string') ? Object.freeze([...value] as string[]) : undefined;
}

function withoutSlash(url: string): string {
  return url.endsWith('/') ? url.slice(0, -1) : url;
}
