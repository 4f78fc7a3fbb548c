import { readSeconds } from '../../core/interval.js';
import { InvalidResponseError } from '../../errors/failures.js';
import { callOnce, type OneShotSettings } from '../one-shot.js';
import { checkSecureUrl, type SecureUrl } from '../secure-url.js';
import type { DeviceAuthorization } from '../types.js';
import { authenticate, checkParameters, CLIENT_FIELDS, formHeaders, formOf, resolveClient, type ResolvedClient } from './client-auth.js';
import type { ClientOptions, OneShotOptions } from './options.js';

/** Options for {@link requestDeviceAuthorization}. @group RFC 8628 */
export interface DeviceAuthorizationRequestOptions extends ClientOptions, OneShotOptions {
  /** The device authorization endpoint (from {@link discover}, or explicit). */
  readonly deviceAuthorizationEndpoint: string | URL;
  /** The scope asked for: a space-separated string or a list. @defaultValue none (the server's default) */
  readonly scope?: string | readonly string[] | undefined;
  /** Extra form parameters (`audience`, `resource`, `code_challenge`…); they cannot replace `client_id` or `scope`. */
  readonly parameters?: Readonly<Record<string, string>> | undefined;
}

/**
 * Asks the server for a device code (RFC 8628 §3.1): a form-encoded POST of
 * `client_id`, `scope` and any extra parameters, with client authentication
 * when configured. Transient faults (network, timeout, 5xx, 429), `slow_down`
 * and a 200 whose body could not be read are retried with {@link retry}
 * (nothing was granted, so asking again is safe); the answer is normalised by
 * {@link deviceAuthorizationFrom}, `issuedAt` being `clock.now()` when it arrived.
 *
 * @example
 * ```ts
 * import { requestDeviceAuthorization } from 'tokenpoll';
 * const authorization = await requestDeviceAuthorization({
 *   deviceAuthorizationEndpoint: 'https://auth.example.com/device/code',
 *   clientId: 'my-cli',
 *   scope: ['openid', 'offline_access'],
 * });
 * console.log(`Go to ${authorization.verificationUri} and type ${authorization.userCode}`);
 * ```
 * @throws {@link OAuthError} (or {@link AccessDeniedError}, {@link ExpiredTokenError}) when the server answers an OAuth error.
 * @throws {@link InvalidResponseError} when the answer lacks a required member, is not JSON or a form, or has a
 * verification URI that is not `https:` (`http:` only on loopback; see {@link deviceAuthorizationFrom}).
 * @throws {@link RetriesExhaustedError} when transient faults outlast the retries.
 * @throws {@link ConfigurationError} for bad options or an endpoint that is not HTTPS (loopback excepted).
 * @see {@link https://www.rfc-editor.org/rfc/rfc8628#section-3.1 | RFC 8628 §3.1}
 * @group RFC 8628
 */
export async function requestDeviceAuthorization(options: DeviceAuthorizationRequestOptions): Promise<DeviceAuthorization> {
  const url = checkSecureUrl(options.deviceAuthorizationEndpoint, 'deviceAuthorizationEndpoint');
  const client = resolveClient(options);
  const parameters = checkParameters(options.parameters, 'parameters', AUTHORIZATION_FIELDS);
  return sendDeviceAuthorization(prepareDeviceAuthorization(url, client, options.scope, parameters), options);
}

/** The fields of a device authorization request that extra parameters cannot replace. @internal */
export const AUTHORIZATION_FIELDS: readonly string[] = [...CLIENT_FIELDS, 'scope'];

/** A device authorization request, built once from resolved options. @internal */
export interface PreparedDeviceAuthorization {
  readonly url: SecureUrl;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * Builds the device authorization request from resolved parts: a checked URL, a
 * resolved client, and extra parameters checked against {@link AUTHORIZATION_FIELDS}.
 * @internal
 */
export function prepareDeviceAuthorization(
  url: SecureUrl,
  client: ResolvedClient,
  scope: string | readonly string[] | undefined,
  parameters: Readonly<Record<string, string>> | undefined,
): PreparedDeviceAuthorization {
  const scopeText = typeof scope === 'string' ? scope : scope?.join(' ');
  const form = formOf(scopeText === undefined ? {} : { scope: scopeText }, parameters);
  const headers = formHeaders();
  authenticate(client, form, headers);
  return Object.freeze({ url, headers: Object.freeze(headers), body: form.toString() });
}

/**
 * Sends a prepared device authorization request (see {@link requestDeviceAuthorization}).
 * @internal
 */
export function sendDeviceAuthorization(request: PreparedDeviceAuthorization, settings: OneShotSettings): Promise<DeviceAuthorization> {
  // Not a grant: a device code nobody has seen just expires, so an unreadable answer is asked for again.
  return callOnce(
    {
      operation: 'the device authorization endpoint',
      request: { url: request.url, method: 'POST', headers: request.headers, body: request.body },
      read: (body, { receivedAt }) => deviceAuthorizationFrom(body, receivedAt),
    },
    settings,
  );
}

/**
 * Normalises a device authorization answer (RFC 8628 §3.2) into a
 * {@link DeviceAuthorization}:
 * - `expires_in` and `interval` sent as numeric strings become numbers
 *   (a number or numeric string is read the same way on every wire; other
 *   values are kept as sent, for the poller to check and warn about);
 * - Google's `verification_url` stands in for `verification_uri`;
 * - a missing or empty `verification_uri_complete` is left out;
 * - Entra's `message` is kept.
 *
 * The verification URIs are shown to the user and may be opened for them,
 * so each must be an `https:` URL (`http:` only on a loopback host), with no
 * user name or password and no space or control character
 * (`checkVerificationUri`); an answer with any other (`javascript:`,
 * `file:`, `http://` on the network, a bare path) is refused, not passed on.
 *
 * @param issuedAt - When the answer arrived, as `clock.now()`.
 * @example
 * ```ts
 * import { deviceAuthorizationFrom } from 'tokenpoll';
 * deviceAuthorizationFrom({ device_code: 'dc', user_code: 'WDJB-MJHT', verification_uri: 'https://example.com/device', expires_in: '1800', interval: 5 }, performance.now());
 * // { deviceCode: 'dc', userCode: 'WDJB-MJHT', verificationUri: 'https://example.com/device', expiresInSeconds: 1800, intervalSeconds: 5, issuedAt: … }
 * ```
 * @throws {@link InvalidResponseError} naming the missing members (`device_code`, `user_code`, `verification_uri`, `expires_in`),
 * or a verification URI that is not `https:`.
 * @see {@link https://www.rfc-editor.org/rfc/rfc8628#section-3.2 | RFC 8628 §3.2}
 * @group RFC 8628
 */
export function deviceAuthorizationFrom(body: Readonly<Record<string, unknown>>, issuedAt: number): DeviceAuthorization {
  const deviceCode = text(body['device_code']);
  const userCode = text(body['user_code']);
  const verificationUri = text(body['verification_uri']) ?? text(body['verification_url']);
  const expiresIn = secondsAsSent(body['expires_in']);
  const missing = [
    deviceCode === undefined && 'device_code',
    userCode === undefined && 'user_code',
    verificationUri === undefined && 'verification_uri',
    expiresIn === undefined && 'expires_in',
  ].filter((name): name is string => name !== false);
  if (missing.length > 0) throw new InvalidResponseError(`the device authorization answer lacks ${missing.join(', ')}`);
  const authorization: { -readonly [K in keyof DeviceAuthorization]: DeviceAuthorization[K] } = {
    deviceCode: deviceCode!,
    userCode: userCode!,
    verificationUri: checkVerificationUri(verificationUri!, 'verification_uri', 'the device authorization answer'),
    expiresInSeconds: expiresIn!,
    issuedAt,
  };
  const complete = text(body['verification_uri_complete']);
  if (complete !== undefined) authorization.verificationUriComplete = checkVerificationUri(complete, 'verification_uri_complete', 'the device authorization answer');
  const interval = secondsAsSent(body['interval']);
  if (interval !== undefined) authorization.intervalSeconds = interval;
  const message = text(body['message']);
  if (message !== undefined) authorization.message = message;
  return Object.freeze(authorization);
}

/**
 * Checks a verification URI a server sent, before anyone shows or opens it:
 * an absolute `https:` URL (`http:` only on a loopback host, as for the
 * endpoints), with no user name or password (`https://bank.example@evil.example/`)
 * and no space or control character (which no URI holds, RFC 3986 §2, and
 * which could act on a terminal). It is returned as sent.
 * @param member - The member's name on the wire, for the message.
 * @param answer - Which answer it came in, for the message.
 * @throws {@link InvalidResponseError} otherwise, naming the member and its scheme.
 * @internal
 */
export function checkVerificationUri(uri: string, member: string, answer: string): string {
  // U+0000–U+0020, DEL and the C1 controls.
  if (/[\u0000-\u0020\u007f-\u009f]/.test(uri)) throw new InvalidResponseError(`${answer} has a ${member} with a space or a control character in it`);
  try {
    checkSecureUrl(uri, member);
  } catch {
    const scheme = URL.canParse(uri) ? ` (${new URL(uri).protocol})` : '';
    throw new InvalidResponseError(`${answer} has a ${member} that is not an https: URL${scheme}, so it is not shown to anyone (http: is allowed only on a loopback host, and no user name or password)`);
  }
  return uri;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/**
 * A seconds member of a device authorization answer (`expires_in`,
 * `interval`; AWS's `expiresIn`), the one reading both wires share: a number,
 * or a numeric string as a number ({@link readSeconds}); another non-empty
 * string as sent, for the poller to check and warn about; `undefined` when
 * absent or empty.
 * @internal
 */
export function secondsAsSent(value: unknown): number | string | undefined {
  return readSeconds(value) ?? text(value);
}
