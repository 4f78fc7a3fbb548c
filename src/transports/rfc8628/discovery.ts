import { ConfigurationError, InvalidResponseError } from '../../errors/failures.js';
import { classifyHttpResponse, parseResponseBody } from '../../classify/http.js';
import { isTransientOutcome } from '../../core/outcome.js';
import { RetryableAnswer, sendWithRetry } from '../one-shot.js';
import { checkSecureUrl, secureUrlOn, type SecureUrl } from '../secure-url.js';
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
 * @example
 * ```ts
 * import { wellKnownUrls } from 'tokenpoll';
 * wellKnownUrls('https://auth.example.com/tenant1').map(String);
 * // ['https://auth.example.com/.well-known/oauth-authorization-server/tenant1',
 * //  'https://auth.example.com/tenant1/.well-known/openid-configuration']
 * ```
 * @see {@link https://www.rfc-editor.org/rfc/rfc8414#section-3.1 | RFC 8414 §3.1}
 * @group RFC 8628
 */
export function wellKnownUrls(issuer: string | URL): readonly [oauth: URL, openid: URL] {
  return wellKnownUrlsOf(checkSecureUrl(issuer, 'issuer'));
}

function wellKnownUrlsOf(issuer: SecureUrl): readonly [oauth: SecureUrl, openid: SecureUrl] {
  const path = issuer.pathname.replace(/\/$/, '');
  return [secureUrlOn(issuer, `${issuer.origin}/.well-known/oauth-authorization-server${path}`), secureUrlOn(issuer, `${issuer.origin}${path}/.well-known/openid-configuration`)];
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
  return (await findEndpoints(issuer, options)).metadata;
}

/**
 * The endpoints, checked: their metadata, and both URLs ready to send to.
 * @internal
 */
export interface ResolvedEndpoints {
  readonly metadata: AuthorizationServerMetadata;
  readonly deviceAuthorizationEndpoint: SecureUrl;
  readonly tokenEndpoint: SecureUrl;
}

/**
 * Where the server is, checked once: an issuer to discover, or both endpoints
 * (the `https:` issuer ⇒ `https:` endpoints rule applied).
 * @internal
 */
export type ResolvedServer = { readonly issuer: SecureUrl; readonly endpoints?: undefined } | { readonly endpoints: ResolvedEndpoints };

/**
 * Checks a server location: an issuer, or both endpoints.
 * @throws {@link ConfigurationError} for a location that gives neither, or a URL that is not HTTPS (loopback excepted).
 * @internal
 */
export function resolveServer(location: ServerLocation): ResolvedServer {
  if (hasEndpoints(location)) return Object.freeze({ endpoints: explicitEndpoints(location) });
  return Object.freeze({ issuer: checkSecureUrl(location.issuer, 'issuer') });
}

/** {@link discover}, with the endpoints as URLs to send to. @internal */
export async function findEndpoints(issuer: string | URL | ServerLocation | undefined, options: DiscoveryOptions): Promise<ResolvedEndpoints> {
  const location = (typeof issuer === 'string' || issuer instanceof URL ? { issuer } : issuer) as ServerLocation;
  const server = resolveServer(location);
  return server.endpoints ?? discoverEndpoints(server.issuer, options);
}

/**
 * Discovery for a checked issuer: each well-known document in turn, the
 * endpoints it names checked once, as a server's answer.
 * @throws as {@link discover}.
 * @internal
 */
export async function discoverEndpoints(issuerUrl: SecureUrl, options: DiscoveryOptions): Promise<ResolvedEndpoints> {
  const expected = withoutSlash(issuerUrl.href);
  const attempts: DiscoveryAttempt[] = [];
  const [oauth, openid] = wellKnownUrlsOf(issuerUrl);
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
function serverEndpoint(url: string, member: string, issuer: URL): SecureUrl {
  try {
    return checkSecureUrl(url, member, issuer);
  } catch (error) {
    if (error instanceof ConfigurationError) throw new InvalidResponseError(`the discovery document of ${issuer.origin} is refused: ${error.message}`);
    throw error;
  }
}

/** The metadata in a document; its endpoints keep the issuer's scheme (an `https:` issuer's endpoints are `https:`). */
function metadataFrom(body: Record<string, unknown>, source: AuthorizationServerMetadata['source'], expected: string, issuer: URL): ResolvedEndpoints | string {
  const device = body['device_authorization_endpoint'];
  const token = body['token_endpoint'];
  if (typeof device !== 'string' || device === '') return 'no device_authorization_endpoint';
  if (typeof token !== 'string' || token === '') return 'no token_endpoint';
  const deviceAuthorizationEndpoint = serverEndpoint(device, 'device_authorization_endpoint', issuer);
  const tokenEndpoint = serverEndpoint(token, 'token_endpoint', issuer);
  const metadata: { -readonly [K in keyof AuthorizationServerMetadata]: AuthorizationServerMetadata[K] } = {
    issuer: typeof body['issuer'] === 'string' ? body['issuer'] : expected,
    deviceAuthorizationEndpoint: deviceAuthorizationEndpoint.href,
    tokenEndpoint: tokenEndpoint.href,
    source,
    raw: Object.freeze({ ...body }),
  };
  const grants = stringList(body['grant_types_supported']);
  if (grants) metadata.grantTypesSupported = grants;
  const methods = stringList(body['token_endpoint_auth_methods_supported']);
  if (methods) metadata.tokenEndpointAuthMethodsSupported = methods;
  const scopes = stringList(body['scopes_supported']);
  if (scopes) metadata.scopesSupported = scopes;
  return Object.freeze({ metadata: Object.freeze(metadata), deviceAuthorizationEndpoint, tokenEndpoint });
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

/** The endpoints the caller gave, checked once each (under the issuer's scheme, when one is given). */
function explicitEndpoints(location: EndpointsLocation): ResolvedEndpoints {
  const issuerUrl = location.issuer === undefined ? undefined : checkSecureUrl(location.issuer, 'issuer');
  const deviceAuthorizationEndpoint = checkSecureUrl(location.deviceAuthorizationEndpoint, 'deviceAuthorizationEndpoint', issuerUrl);
  const tokenEndpoint = checkSecureUrl(location.tokenEndpoint, 'tokenEndpoint', issuerUrl);
  const issuer = issuerUrl === undefined ? tokenEndpoint.origin : withoutSlash(issuerUrl.href);
  const metadata: AuthorizationServerMetadata = Object.freeze({
    issuer,
    deviceAuthorizationEndpoint: deviceAuthorizationEndpoint.href,
    tokenEndpoint: tokenEndpoint.href,
    source: 'explicit',
    raw: Object.freeze({}),
  });
  return Object.freeze({ metadata, deviceAuthorizationEndpoint, tokenEndpoint });
}

function stringList(value: unknown): readonly string[] | undefined {
  return Array.isArray(value) && value.every((item) => typeof item === 'string') ? Object.freeze([...value] as string[]) : undefined;
}

function withoutSlash(url: string): string {
  return url.endsWith('/') ? url.slice(0, -1) : url;
}
