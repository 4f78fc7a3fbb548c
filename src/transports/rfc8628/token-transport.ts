import type { HttpTokenResponse } from '../../classify/http.js';
import { ConfigurationError } from '../../errors/failures.js';
import { sendHttpRequest } from '../http.js';
import { displayUrl } from '../one-shot.js';
import { checkSecureUrl, type SecureUrl } from '../secure-url.js';
import { checkUserAgent } from '../user-agent.js';
import type { TokenRequestContext } from '../types.js';
import { authenticate, checkParameters, CLIENT_FIELDS, formHeaders, formOf, resolveClient, type ResolvedClient } from './client-auth.js';
import type { ClientOptions, HttpOptions } from './options.js';

/**
 * The device code grant type, the `grant_type` of every token poll.
 * @see {@link https://www.rfc-editor.org/rfc/rfc8628#section-3.4 | RFC 8628 §3.4}
 * @group RFC 8628
 */
export const DEVICE_CODE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:device_code';

/** Options for {@link tokenTransport}. @group RFC 8628 */
export interface TokenTransportOptions extends ClientOptions, HttpOptions {
  /** The token endpoint. */
  readonly tokenEndpoint: string | URL;
  /** The device code from the device authorization answer (a secret). */
  readonly deviceCode: string;
  /** Extra form parameters sent on every poll (`code_verifier`, `resource`…); they cannot replace the grant's own fields. */
  readonly parameters?: Readonly<Record<string, string>> | undefined;
}

/**
 * What {@link tokenTransport} returns: a transport function that names itself.
 * @group RFC 8628
 */
export interface TokenTransportFunction {
  (context: TokenRequestContext): Promise<HttpTokenResponse>;
  /** The poll as errors name it: `'polling at <origin and path of the token endpoint>'`. */
  readonly operation: string;
}

/**
 * The token polling transport for RFC 8628 over HTTP: each call sends one
 * form-encoded POST with `grant_type=urn:ietf:params:oauth:grant-type:device_code`,
 * the `device_code`, `client_id` and the extra parameters, authenticated as
 * configured (`none`, `client_secret_basic` or `client_secret_post`), with
 * `Accept: application/json`. It goes through {@link httpRequest}: the
 * driver's signal, a timeout on each request and a cap on the answer's size.
 * It returns the {@link HttpTokenResponse} for the classifier, which reads
 * JSON and form-encoded bodies and GitHub's 200-with-error.
 *
 * The options are checked, and the request built, once, when it is created.
 * Its `operation` (`'polling at https://auth.example.com/token'`, origin and
 * path only) names the step and the endpoint in the errors the poll ends with.
 *
 * @example
 * ```ts
 * import { pollToken, tokenTransport } from 'tokenpoll';
 * const poll = pollToken({
 *   transport: tokenTransport({ tokenEndpoint, clientId: 'my-cli', deviceCode: authorization.deviceCode }),
 *   expiresInSeconds: authorization.expiresInSeconds,
 *   intervalSeconds: authorization.intervalSeconds,
 *   issuedAt: authorization.issuedAt,
 * });
 * ```
 * @throws {@link ConfigurationError} for bad options or an endpoint that is not HTTPS (loopback excepted).
 * @see {@link https://www.rfc-editor.org/rfc/rfc8628#section-3.4 | RFC 8628 §3.4}
 * @group RFC 8628
 */
export function tokenTransport(options: TokenTransportOptions): TokenTransportFunction {
  const url = checkSecureUrl(options.tokenEndpoint, 'tokenEndpoint');
  if (typeof options.deviceCode !== 'string' || options.deviceCode === '') throw new ConfigurationError('deviceCode', 'expected a non-empty string');
  const client = resolveClient(options);
  const parameters = checkParameters(options.parameters, 'parameters', TOKEN_FIELDS);
  const { fetch, clock, requestTimeoutMs, maxBodyBytes } = options;
  const userAgent = checkUserAgent(options.userAgent);
  return deviceCodeTransport({ url, client, parameters, fetch, clock, requestTimeoutMs, maxBodyBytes, userAgent }, options.deviceCode);
}

/** The fields of a token poll that extra parameters cannot replace. @internal */
export const TOKEN_FIELDS: readonly string[] = [...CLIENT_FIELDS, 'grant_type', 'device_code'];

/**
 * The token endpoint of a login, resolved once: its URL checked, the client
 * resolved, the extra parameters checked against {@link TOKEN_FIELDS}.
 * @internal
 */
export interface ResolvedTokenEndpoint extends HttpOptions {
  readonly url: SecureUrl;
  readonly client: ResolvedClient;
  readonly parameters: Readonly<Record<string, string>> | undefined;
}

/**
 * {@link tokenTransport} over a resolved endpoint: it checks nothing again.
 * The request is built once, when it is created.
 * @internal
 */
export function deviceCodeTransport(endpoint: ResolvedTokenEndpoint, deviceCode: string): TokenTransportFunction {
  const { url, client, fetch, clock, requestTimeoutMs, maxBodyBytes, userAgent } = endpoint;
  const form = formOf({ grant_type: DEVICE_CODE_GRANT_TYPE, device_code: deviceCode }, endpoint.parameters);
  const headers = formHeaders();
  authenticate(client, form, headers);
  const body = form.toString();
  const send = ({ signal }: TokenRequestContext): Promise<HttpTokenResponse> =>
    sendHttpRequest({ url, method: 'POST', headers, body, signal, fetch, clock, timeoutMs: requestTimeoutMs, maxBodyBytes, userAgent });
  return describedTransport(send, `polling at ${displayUrl(url)}`);
}

/**
 * A transport function with its read-only `operation`, which the driver puts
 * in front of its errors. It holds only what it is given: never a secret.
 * @internal
 */
export function describedTransport<T extends (context: TokenRequestContext) => unknown>(send: T, operation: string): T & { readonly operation: string } {
  return Object.defineProperty(send, 'operation', { value: operation, enumerable: true }) as T & { readonly operation: string };
}
