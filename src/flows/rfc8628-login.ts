import { systemClock, type Clock } from '../clock/clock.js';
import type { TokenSet } from '../core/outcome.js';
import type { OneShotSettings } from '../transports/one-shot.js';
import { checkParameters, resolveClient, type ResolvedClient } from '../transports/rfc8628/client-auth.js';
import { AUTHORIZATION_FIELDS, prepareDeviceAuthorization, sendDeviceAuthorization, type PreparedDeviceAuthorization } from '../transports/rfc8628/device-authorization.js';
import { discoverEndpoints, resolveServer, type ResolvedEndpoints, type ResolvedServer } from '../transports/rfc8628/discovery.js';
import type { ClientOptions, OneShotOptions, ServerLocation } from '../transports/rfc8628/options.js';
import { deviceCodeTransport, TOKEN_FIELDS, type ResolvedTokenEndpoint } from '../transports/rfc8628/token-transport.js';
import { checkUserAgent } from '../transports/user-agent.js';
import type { DeviceLoginOptions } from './device-login.js';
import { LoginDriver } from './login-driver.js';
import { resolveLoginPolicies, type LoginPolicies, type LoginSetup } from './login-setup.js';
import { checkLoginSnapshot, loginResume, providerName, type LoginProviderRecord } from './login-snapshot.js';
import { SnapshotInvalidError } from '../errors/snapshot.js';
import { checkSecureUrl, type SecureUrl } from '../transports/secure-url.js';
import type { LoginHandle } from './login-types.js';

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
  return deviceFlowLogin(options);
}

/**
 * {@link loginWithDeviceFlow}, or its resume from a checked snapshot: the same options, and the
 * endpoints the snapshot's login found (no discovery), once they are shown to be the same server.
 * @throws {@link ConfigurationError} for bad options, {@link SnapshotInvalidError} for a snapshot of another login.
 * @internal
 */
export function deviceFlowLogin(options: DeviceFlowLoginOptions, resumed?: unknown): LoginHandle<TokenSet> {
  const login = resolveDeviceFlowLogin(options);
  const snapshot = resumed === undefined ? undefined : checkLoginSnapshot(resumed, login.oneShot.clock.wallNow());
  // Explicit endpoints are known now; an issuer is discovered on the first authorize(), once.
  const { server } = login;
  const issuer = server.endpoints === undefined ? server.issuer : undefined;
  let endpoints = snapshot ? endpointsOf(snapshot.provider, login) : server.endpoints;
  let request: PreparedDeviceAuthorization | undefined;
  const setup: LoginSetup<TokenSet> = {
    async authorize({ signal }) {
      endpoints ??= await discoverEndpoints(issuer!, { ...login.oneShot, signal, validateIssuer: login.validateIssuer });
      request ??= prepareDeviceAuthorization(endpoints.deviceAuthorizationEndpoint, login.client, login.scope, login.authorizationParameters);
      return sendDeviceAuthorization(request, { ...login.oneShot, signal });
    },
    transportFor: (authorization) => deviceCodeTransport(tokenEndpointOf(login, endpoints!), authorization.deviceCode),
    poll: login.poll,
    restart: login.restart,
    clock: login.oneShot.clock,
    signal: login.signal,
    provider: () => ({
      type: 'rfc8628',
      clientId: login.client.clientId,
      issuer: issuer?.href ?? null,
      deviceAuthorizationEndpoint: endpoints!.deviceAuthorizationEndpoint.href,
      tokenEndpoint: endpoints!.tokenEndpoint.href,
    }),
  };
  return new LoginDriver<TokenSet>(setup, snapshot && loginResume(snapshot, setup));
}

/**
 * The endpoints a snapshot's login used, once it is shown to be a login of the same client
 * at the same server as the options: the same client id, and the same endpoints, or the
 * same issuer with both endpoints on its origin.
 * @throws {@link SnapshotInvalidError} when it is not.
 */
function endpointsOf(provider: LoginProviderRecord, login: ResolvedDeviceFlowLogin): ResolvedEndpoints {
  if (provider.type !== 'rfc8628') throw new SnapshotInvalidError('provider.type', `the snapshot is of ${providerName(provider)}, not of loginWithDeviceFlow`);
  if (provider.clientId !== login.client.clientId) throw new SnapshotInvalidError('provider.clientId', 'the snapshot is of a login with another clientId than the options');
  const { server } = login;
  if (server.endpoints) {
    if (provider.tokenEndpoint !== server.endpoints.tokenEndpoint.href || provider.deviceAuthorizationEndpoint !== server.endpoints.deviceAuthorizationEndpoint.href) {
      throw new SnapshotInvalidError('provider.tokenEndpoint', "the snapshot's endpoints are not the options' endpoints");
    }
    return server.endpoints;
  }
  if (provider.issuer !== server.issuer.href) throw new SnapshotInvalidError('provider.issuer', "the snapshot's issuer is not the options' issuer");
  // The endpoints come from the snapshot, which may have been edited: they are trusted only on the issuer's own
  // origin, so that an edited snapshot can neither send the client secret elsewhere nor pass off another server's token.
  const url = (name: 'tokenEndpoint' | 'deviceAuthorizationEndpoint'): SecureUrl => {
    let endpoint: SecureUrl;
    try {
      endpoint = checkSecureUrl(provider[name], name, server.issuer);
    } catch {
      throw new SnapshotInvalidError(`provider.${name}`, 'not a secure URL for this issuer');
    }
    if (endpoint.origin !== server.issuer.origin) {
      throw new SnapshotInvalidError(`provider.${name}`, `not on the issuer's origin (${server.issuer.origin}); to resume a login whose endpoints are elsewhere, give them in the options (deviceAuthorizationEndpoint, tokenEndpoint)`);
    }
    return endpoint;
  };
  const tokenEndpoint = url('tokenEndpoint');
  const deviceAuthorizationEndpoint = url('deviceAuthorizationEndpoint');
  // Only the two endpoints are read from here on; the metadata document itself was not kept (nor is it read again).
  const metadata = { issuer: server.issuer.href, tokenEndpoint: tokenEndpoint.href, deviceAuthorizationEndpoint: deviceAuthorizationEndpoint.href, source: 'explicit', raw: {} } as const;
  return Object.freeze({ metadata: Object.freeze(metadata), tokenEndpoint, deviceAuthorizationEndpoint });
}

/** A login's options, parsed once, at the edge: every later step trusts them. */
interface ResolvedDeviceFlowLogin extends LoginPolicies<TokenSet> {
  readonly server: ResolvedServer;
  readonly client: ResolvedClient;
  readonly scope: string | readonly string[] | undefined;
  readonly authorizationParameters: Readonly<Record<string, string>> | undefined;
  readonly tokenParameters: Readonly<Record<string, string>> | undefined;
  readonly validateIssuer: boolean | undefined;
  /** How discovery and the device authorization request are sent and retried (the signal is added per call). */
  readonly oneShot: OneShotSettings & { readonly clock: Clock };
  readonly signal: AbortSignal | undefined;
}

/**
 * Checks every option of {@link loginWithDeviceFlow}, once: the client, the
 * extra parameters, where the server is (explicit endpoints under the
 * `https:` issuer rule), the poll options and the restart policy.
 * @throws {@link ConfigurationError} for the first bad option.
 */
function resolveDeviceFlowLogin(options: DeviceFlowLoginOptions): ResolvedDeviceFlowLogin {
  const client = resolveClient(options);
  const authorizationParameters = checkParameters(options.authorizationParameters, 'authorizationParameters', AUTHORIZATION_FIELDS);
  const tokenParameters = checkParameters(options.tokenParameters, 'tokenParameters', TOKEN_FIELDS);
  const server = resolveServer(options);
  const { fetch, requestTimeoutMs, maxBodyBytes, retries, backoff, random, maxRetryTimeMs, maxDelayMs, onRetry } = options;
  const userAgent = checkUserAgent(options.userAgent);
  const policies = resolveLoginPolicies(options);
  return Object.freeze({
    server,
    client,
    scope: options.scope,
    authorizationParameters,
    tokenParameters,
    validateIssuer: options.validateIssuer,
    oneShot: Object.freeze({ fetch, clock: options.clock ?? systemClock, requestTimeoutMs, maxBodyBytes, userAgent, retries, backoff, random, maxRetryTimeMs, maxDelayMs, onRetry }),
    ...policies,
    signal: options.signal,
  });
}

/** The token endpoint, resolved, for the endpoints found. */
function tokenEndpointOf(login: ResolvedDeviceFlowLogin, endpoints: ResolvedEndpoints): ResolvedTokenEndpoint {
  const { fetch, clock, requestTimeoutMs, maxBodyBytes, userAgent } = login.oneShot;
  return { url: endpoints.tokenEndpoint, client: login.client, parameters: login.tokenParameters, fetch, clock, requestTimeoutMs, maxBodyBytes, userAgent };
}
