import type { TokenSet } from '../../core/outcome.js';
import { startDeviceLogin, type DeviceLoginOptions, type LoginHandle } from '../../flows/device-login.js';
import { discover, explicitMetadata, hasEndpoints, type AuthorizationServerMetadata } from './discovery.js';
import { assertSecureUrl } from '../http.js';
import { requestDeviceAuthorization } from './device-authorization.js';
import type { ClientOptions, OneShotOptions, ServerLocation } from './options.js';
import { tokenTransport } from './token-transport.js';
import { CLIENT_FIELDS, formWith, resolveClient } from './client-auth.js';

/**
 * Everything {@link loginWithDeviceFlow} takes besides where the server is.
 * @group Flows
 */
export interface DeviceFlowLoginSettings extends ClientOptions, OneShotOptions {
  /** The scope asked for: a space-separated string or a list. @defaultValue none (the server's default) */
  readonly scope?: string | readonly string[] | undefined;
  /** Extra parameters for the device authorization request (`audience`, `resource`, `code_challenge`…). */
  readonly authorizationParameters?: Readonly<Record<string, string>> | undefined;
  /** Extra parameters sent on every token poll (`code_verifier`, `resource`…). */
  readonly tokenParameters?: Readonly<Record<string, string>> | undefined;
  /** See {@link DiscoveryOptions.validateIssuer}. @defaultValue true */
  readonly validateIssuer?: boolean | undefined;
  /** Options for the poll (`timeoutMs`, `transientRetries`, `backoff`, `firstPoll`…). `requestTimeoutMs` defaults to the one above. */
  readonly poll?: DeviceLoginOptions<TokenSet>['poll'];
  /** Asked when a device code expires: return true to start over with a new code. @defaultValue never restart (RFC 8628 §3.5) */
  readonly restart?: DeviceLoginOptions<TokenSet>['restart'];
}

/**
 * Options for {@link loginWithDeviceFlow}: an issuer (discovered) or both
 * endpoints, plus the {@link DeviceFlowLoginSettings}.
 * @group Flows
 */
export type DeviceFlowLoginOptions = ServerLocation & DeviceFlowLoginSettings;

/**
 * Runs a whole RFC 8628 device login in one call: discovery (or the explicit
 * endpoints), the device authorization request, a `code` event to show the
 * user, polling the token endpoint, and the token set. Discovery runs once;
 * a restart after expiry (only when `restart` says so) asks for a new code.
 *
 * Option errors (a non-HTTPS URL, a missing client id) throw at once; server
 * errors reject `result` with the matching {@link TokenPollError} subclass.
 * `retries`, `backoff`, `maxDelayMs`, `maxRetryTimeMs` and `onRetry` govern
 * discovery and the device authorization request; the poll's own transient faults are governed by
 * `poll` (`transientRetries`, `backoff`) and reported as `retry` events.
 *
 * @example
 * ```ts
 * import { loginWithDeviceFlow } from 'tokenpoll';
 * const login = loginWithDeviceFlow({ issuer: 'https://auth.example.com', clientId: 'my-cli', scope: 'openid offline_access' });
 * login.on('code', ({ userCode, verificationUri }) => console.log(`Go to ${verificationUri} and type ${userCode}`));
 * const token = await login.result;
 * ```
 * @throws {@link ConfigurationError} for bad options.
 * @see {@link https://www.rfc-editor.org/rfc/rfc8628#section-3.1 | RFC 8628 §3.1} (device authorization request)
 * @see {@link https://www.rfc-editor.org/rfc/rfc8628#section-3.4 | RFC 8628 §3.4} (token request)
 * @see {@link https://www.rfc-editor.org/rfc/rfc8628#section-3.5 | RFC 8628 §3.5} (token response)
 * @group Flows
 */
export function loginWithDeviceFlow(options: DeviceFlowLoginOptions): LoginHandle<TokenSet> {
  resolveClient(options);
  formWith({}, options.authorizationParameters, 'authorizationParameters', [...CLIENT_FIELDS, 'scope']);
  formWith({}, options.tokenParameters, 'tokenParameters', [...CLIENT_FIELDS, 'grant_type', 'device_code']);
  const http = { fetch: options.fetch, clock: options.clock, requestTimeoutMs: options.requestTimeoutMs, maxBodyBytes: options.maxBodyBytes };
  const { retries, backoff, random, maxRetryTimeMs, maxDelayMs, onRetry } = options;
  const oneShot = { ...http, retries, backoff, random, maxRetryTimeMs, maxDelayMs, onRetry };
  const client = { clientId: options.clientId, clientSecret: options.clientSecret, clientAuthentication: options.clientAuthentication };
  // Explicit endpoints are checked now; an issuer is checked now and discovered on the first authorize().
  let metadata: AuthorizationServerMetadata | undefined;
  if (hasEndpoints(options)) metadata = explicitMetadata(options);
  else assertSecureUrl(options.issuer, 'issuer');
  const loginOptions: { -readonly [K in keyof DeviceLoginOptions<TokenSet>]: DeviceLoginOptions<TokenSet>[K] } = {
    async authorize({ signal }) {
      metadata ??= await discover({ issuer: options.issuer! }, { ...oneShot, signal, validateIssuer: options.validateIssuer });
      return requestDeviceAuthorization({
        ...client,
        ...oneShot,
        signal,
        deviceAuthorizationEndpoint: metadata.deviceAuthorizationEndpoint,
        scope: options.scope,
        parameters: options.authorizationParameters,
      });
    },
    transportFor: (authorization) =>
      tokenTransport({ ...client, ...http, tokenEndpoint: metadata!.tokenEndpoint, deviceCode: authorization.deviceCode, parameters: options.tokenParameters }),
  };
  const poll = options.requestTimeoutMs === undefined ? options.poll : { requestTimeoutMs: options.requestTimeoutMs, ...options.poll };
  if (poll !== undefined) loginOptions.poll = poll;
  if (options.clock !== undefined) loginOptions.clock = options.clock;
  if (options.signal !== undefined) loginOptions.signal = options.signal;
  if (options.restart !== undefined) loginOptions.restart = options.restart;
  return startDeviceLogin(loginOptions);
}
