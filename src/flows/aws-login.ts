import { classifyTokenResponse, type Classifier } from '../classify/classify.js';
import type { TokenSet } from '../core/outcome.js';
import { ConfigurationError } from '../errors/failures.js';
import type { ExpiredTokenError, OAuthError } from '../errors/outcomes.js';
import { resolveAwsClient, type AwsSsoOidcClientOptions } from '../transports/aws/client.js';
import { checkStartUrl, startAuthorization } from '../transports/aws/device-authorization.js';
import { checkClientName, checkScopes, forgetRegistration, obtainRegistration } from '../transports/aws/register-client.js';
import { defaultRegistrationCache, type AwsClientRegistration, type AwsRegistrationCache } from '../transports/aws/registration-cache.js';
import { deviceCodeTransport } from '../transports/aws/token-transport.js';
import type { DeviceLoginOptions } from './device-login.js';
import { LoginDriver } from './login-driver.js';
import { resolveLoginPolicies, type LoginSetup } from './login-setup.js';
import { checkLoginSnapshot, loginResume, providerName } from './login-snapshot.js';
import { SnapshotInvalidError } from '../errors/snapshot.js';
import type { LoginHandle } from './login-types.js';

/** Options for {@link loginWithAwsSso}. @group Flows */
export interface AwsSsoLoginOptions extends AwsSsoOidcClientOptions {
  /** The AWS access portal URL, such as `https://d-1234567890.awsapps.com/start`. */
  readonly startUrl: string;
  /** The client name IAM Identity Center shows the user. @defaultValue 'tokenpoll' */
  readonly clientName?: string | undefined;
  /** Scopes to register the client for, such as `sso:account:access`. @defaultValue none (AWS's legacy, scope-less registration) */
  readonly scopes?: readonly string[] | undefined;
  /** Where registrations are kept between logins; `false` registers a new client every time. @defaultValue one in-memory cache per process */
  readonly cache?: AwsRegistrationCache | false | undefined;
  /** A cached registration with less than this left is not used. @defaultValue 900000 (15 min, as botocore) */
  readonly registrationMarginMs?: number | undefined;
  /** Options for the poll (timeouts, backoff, transient budget, first poll…). Its `requestTimeoutMs` defaults to the one above, so that one option bounds every request. */
  readonly poll?: DeviceLoginOptions['poll'];
  /** Cancels the login. */
  readonly signal?: AbortSignal | undefined;
  /**
   * Asked whenever the login needs a new code, which means the user must act
   * again: return true to start over. `error` says why: the code expired
   * ({@link ExpiredTokenError}), or CreateToken rejected the client while
   * polling ({@link OAuthError} with `reregisterClient`; the client is then
   * registered again, once per login). When it answers false, the login
   * rejects with that error. `restarts` counts every restart.
   * @defaultValue never (RFC 8628 §3.5: a client SHOULD wait for the user before restarting)
   */
  readonly restart?:
    | ((context: { readonly restarts: number; readonly error: ExpiredTokenError | OAuthError; readonly signal: AbortSignal }) => boolean | Promise<boolean>)
    | undefined;
}

/**
 * What an AWS SSO login resolves with: the token set, plus what the caller
 * needs to refresh it ({@link refreshAwsToken}) or to write the AWS CLI's SSO
 * cache: the client `registration` (its secret included), the region and
 * the start URL.
 *
 * The registration rides on the result, as the access token does, so it
 * appears only where the token does: in the result and the `granted` event.
 * No other event, state or error holds it.
 * @group Flows
 */
export interface AwsSsoToken extends TokenSet {
  /** The client the token was issued to (a secret: it holds `clientSecret`). */
  readonly registration: AwsClientRegistration;
  /** The region. */
  readonly region: string;
  /** The start URL. */
  readonly startUrl: string;
  /** When the access token expires, in wall-clock epoch ms (from `expiresIn`), when AWS sent a lifetime. */
  readonly expiresAt?: number;
}

/**
 * Logs in to AWS IAM Identity Center with one call: registers a public
 * client (or reuses the cached registration), starts the device
 * authorization, emits `code` (show the user `userCode` and
 * `verificationUriComplete`), polls `CreateToken`, and resolves with an
 * {@link AwsSsoToken}.
 *
 * Client registrations are cached until `clientSecretExpiresAt` (less
 * `registrationMarginMs`). When AWS answers `InvalidClientException` (a
 * revoked or expired registration), the client is registered again, once per
 * login. From StartDeviceAuthorization, before any code was shown, the call
 * is simply repeated. From CreateToken, the device code belonged to the
 * rejected client, and a new code means the user must act again: as after an
 * expiry, the login starts over (a second `code` event, `restart` 1, and the
 * first attempt's `failed` event and `stateChange` are not emitted) only when
 * `restart` says so; otherwise it rejects with that {@link OAuthError}.
 * StartDeviceAuthorization and RegisterClient are retried on transient faults
 * and `SlowDownException` (see `retry`).
 *
 * @example
 * ```ts
 * import { loginWithAwsSso } from 'tokenpoll';
 * const login = loginWithAwsSso({ startUrl: 'https://d-1234567890.awsapps.com/start', region: 'eu-west-1', clientName: 'my-cli' });
 * login.on('code', ({ userCode, verificationUriComplete }) => console.log(`Open ${verificationUriComplete} and check the code ${userCode}`));
 * const token = await login.result; // token.accessToken, token.refreshToken, token.registration.clientId…
 * ```
 * @throws {@link ConfigurationError} at once for a bad option; the result
 * rejects like {@link startDeviceLogin}'s, with {@link AwsSsoOidcError} for
 * an AWS error outside the poll.
 * @see {@link https://docs.aws.amazon.com/singlesignon/latest/OIDCAPIReference/API_RegisterClient.html | RegisterClient in the IAM Identity Center OIDC API Reference}
 * @see {@link https://docs.aws.amazon.com/singlesignon/latest/OIDCAPIReference/API_StartDeviceAuthorization.html | StartDeviceAuthorization in the IAM Identity Center OIDC API Reference}
 * @see {@link https://docs.aws.amazon.com/singlesignon/latest/OIDCAPIReference/API_CreateToken.html | CreateToken in the IAM Identity Center OIDC API Reference}
 * @see {@link https://www.rfc-editor.org/rfc/rfc8628#section-3.5 | RFC 8628 §3.5} (restarting after expiry)
 * @group Flows
 */
export function loginWithAwsSso(options: AwsSsoLoginOptions): LoginHandle<AwsSsoToken> {
  return awsLogin(options);
}

/**
 * {@link loginWithAwsSso}, or its resume from a snapshot of one: the device code belongs to
 * the client registration `registration` (the snapshot names its client id, never its secret).
 * @throws {@link ConfigurationError} for bad options or a missing registration; for a snapshot, as {@link resumeLogin}.
 * @internal
 */
export function awsLogin(options: AwsSsoLoginOptions, resumed?: unknown, resumedRegistration?: AwsClientRegistration): LoginHandle<AwsSsoToken> {
  // Every option is checked here, once; the calls below take the resolved client and trust it.
  const client = resolveAwsClient(options);
  const startUrl = checkStartUrl(options.startUrl);
  const cache = options.cache === false ? undefined : (options.cache ?? defaultRegistrationCache);
  if (cache && (typeof cache.get !== 'function' || typeof cache.set !== 'function')) {
    throw new ConfigurationError('cache', 'expected an object with get(key) and set(key, registration), or false');
  }
  const marginMs = options.registrationMarginMs;
  if (marginMs !== undefined && (typeof marginMs !== 'number' || !(marginMs >= 0))) {
    throw new ConfigurationError('registrationMarginMs', `expected a number of at least 0, got ${String(marginMs)}`);
  }
  const request = { clientName: checkClientName(options.clientName), scopes: checkScopes(options.scopes), cache, marginMs };
  const { poll, restart } = resolveLoginPolicies<TokenSet>(options);
  const classify = poll?.classify ?? classifyTokenResponse;
  // The registration the current device code belongs to. When to register again is the login machine's rule.
  let registration: AwsClientRegistration | undefined;
  const snapshot = resumed === undefined ? undefined : checkLoginSnapshot(resumed, client.clock.wallNow());
  if (snapshot) {
    const { provider } = snapshot;
    if (provider.type !== 'aws') throw new SnapshotInvalidError('provider.type', `the snapshot is of ${providerName(provider)}, not of loginWithAwsSso`);
    if (provider.region !== client.region || provider.startUrl !== startUrl) throw new SnapshotInvalidError('provider.startUrl', "the snapshot's region and start URL are not the options'");
    if (typeof resumedRegistration !== 'object' || resumedRegistration === null || typeof resumedRegistration.clientSecret !== 'string') {
      throw new ConfigurationError('registration', 'resuming an AWS login needs the client registration its device code was issued to (a snapshot never holds the client secret)');
    }
    if (resumedRegistration.clientId !== provider.clientId) throw new SnapshotInvalidError('provider.clientId', "the snapshot's device code was issued to another client than the registration given");
    registration = resumedRegistration;
  }
  // The token is completed inside the poll, so the result, the granted event and the state all carry it.
  const complete: Classifier<AwsSsoToken> = (answer, context) => {
    const outcome = classify(answer, context);
    if (outcome.type !== 'success') return outcome;
    const token: { -readonly [K in keyof AwsSsoToken]: AwsSsoToken[K] } = { ...outcome.token, registration: registration!, region: client.region, startUrl };
    if (token.expiresInSeconds !== undefined) token.expiresAt = context.wallNow + token.expiresInSeconds * 1000;
    return { type: 'success', token: Object.freeze(token) };
  };
  const setup: LoginSetup<AwsSsoToken> = {
    async authorize({ signal, renew }) {
      registration = await obtainRegistration(client, { ...request, signal }, renew);
      return startAuthorization(client, registration, startUrl, signal);
    },
    transportFor: (authorization) => deviceCodeTransport(client, registration!, authorization.deviceCode),
    forget: (signal) => forgetRegistration(client, { ...request, signal }),
    poll: { ...poll, classify: complete },
    restart,
    clock: client.clock,
    signal: options.signal,
    provider: () => ({ type: 'aws', region: client.region, startUrl, clientId: registration!.clientId }),
  };
  return new LoginDriver<AwsSsoToken>(setup, snapshot && loginResume(snapshot, setup));
}
