import { systemClock, type Clock } from '../clock/clock.js';
import type { TokenSet } from '../core/outcome.js';
import type { TokenPollError } from '../errors/base.js';
import type { ConfigurationError } from '../errors/failures.js';
import type { ExpiredTokenError } from '../errors/outcomes.js';
import type { PollTokenOptions } from '../runtime/options.js';
import { checkVerificationUri } from '../transports/rfc8628/device-authorization.js';
import type { DeviceAuthorization, TokenTransport } from '../transports/types.js';
import { LoginDriver } from './login-driver.js';
import { resolveLoginPolicies, type LoginSetup } from './login-setup.js';
import { checkLoginSnapshot, loginResume, providerName } from './login-snapshot.js';
import { SnapshotInvalidError } from '../errors/snapshot.js';
import type { LoginHandle } from './login-types.js';

export type { CodeEvent, LoginEvents, LoginHandle, LoginState } from './login-types.js';
export type { DeviceAuthorization } from '../transports/types.js';

/** Options for {@link startDeviceLogin}. @group Flows */
export interface DeviceLoginOptions<TToken = TokenSet> {
  /** Asks the server for a device code. Called again only on a restart. */
  authorize(context: { readonly signal: AbortSignal }): Promise<DeviceAuthorization>;
  /** Builds the token transport for one device code. */
  transportFor(authorization: DeviceAuthorization): TokenTransport;
  /**
   * Options passed on to {@link pollToken}: all but those each device code and the login
   * itself set (`transport`, `expiresInSeconds`, `intervalSeconds`, `issuedAt`, `signal`, `clock`).
   */
  readonly poll?: Omit<PollTokenOptions<TToken>, 'transport' | 'expiresInSeconds' | 'intervalSeconds' | 'issuedAt' | 'signal' | 'clock'> | undefined;
  /** Time and timers. @defaultValue {@link systemClock} */
  readonly clock?: Clock | undefined;
  /** Cancels the login. */
  readonly signal?: AbortSignal | undefined;
  /**
   * Asked when a device code expires (locally or by the server's
   * `expired_token`): return true to start over with a new code. RFC 8628 §3.5
   * says a client SHOULD wait for the user before restarting, so the default
   * never restarts.
   */
  readonly restart?:
    | ((context: { readonly restarts: number; readonly error: ExpiredTokenError; readonly signal: AbortSignal }) => boolean | Promise<boolean>)
    | undefined;
}

/**
 * Runs a whole device login: asks for a device code, emits `code`, polls, and
 * resolves with the token set. The provider flows (`loginWithDeviceFlow`,
 * `loginWithAwsSso`) are built on it; use it directly for a provider of your own.
 *
 * Bad poll options throw at once ({@link ConfigurationError}); everything
 * else rejects `result` with a {@link TokenPollError}: the poll's, or what
 * `authorize` threw (wrapped in a {@link TransportError} unless it is one
 * already). After an expiry it asks `restart` before starting over with a
 * new code (never, by default).
 *
 * @example
 * A provider of your own: how to get a device code, and a transport for it.
 * ```ts
 * import { DEVICE_CODE_GRANT_TYPE, readHttpResponse, startDeviceLogin } from 'tokenpoll';
 * const login = startDeviceLogin({
 *   async authorize({ signal }) {
 *     const response = await fetch('https://auth.example.com/device', { method: 'POST', body: new URLSearchParams({ client_id: 'my-cli' }), signal });
 *     const answer = await response.json();
 *     return {
 *       deviceCode: answer.device_code,
 *       userCode: answer.user_code,
 *       verificationUri: answer.verification_uri,
 *       expiresInSeconds: answer.expires_in,
 *       intervalSeconds: answer.interval,
 *       issuedAt: performance.now(), // on the login's clock
 *     };
 *   },
 *   transportFor: ({ deviceCode }) => async ({ signal }) => {
 *     const body = new URLSearchParams({ grant_type: DEVICE_CODE_GRANT_TYPE, device_code: deviceCode, client_id: 'my-cli' });
 *     return readHttpResponse(await fetch('https://auth.example.com/token', { method: 'POST', body, signal }));
 *   },
 * });
 * login.on('code', ({ userCode, verificationUri }) => console.log(`Open ${verificationUri} and enter ${userCode}`));
 * const token = await login.result;
 * ```
 * @throws {@link ConfigurationError} for bad poll options.
 * @see {@link https://www.rfc-editor.org/rfc/rfc8628#section-3 | RFC 8628 §3}
 * @see {@link https://www.rfc-editor.org/rfc/rfc8628#section-3.5 | RFC 8628 §3.5} (restarting after expiry)
 * @group Flows
 */
export function startDeviceLogin<TToken = TokenSet>(options: DeviceLoginOptions<TToken>): LoginHandle<TToken> {
  return deviceLogin(options);
}

/**
 * {@link startDeviceLogin}, or its resume from a snapshot of a `startDeviceLogin` login.
 * @throws {@link ConfigurationError} for bad options; for a snapshot, as {@link resumeLogin}.
 * @internal
 */
export function deviceLogin<TToken = TokenSet>(options: DeviceLoginOptions<TToken>, resumed?: unknown): LoginHandle<TToken> {
  const { authorize, transportFor } = options;
  const setup: LoginSetup<TToken> = {
    ...resolveLoginPolicies(options),
    // A provider of the caller's own is held to the rule the built-in providers apply where they read the answer.
    authorize: async ({ signal }) => checkedUris(await authorize({ signal })),
    transportFor: (authorization) => transportFor(authorization),
    clock: options.clock ?? systemClock,
    signal: options.signal,
  };
  if (resumed === undefined) return new LoginDriver<TToken>(setup);
  const snapshot = checkLoginSnapshot(resumed, setup.clock.wallNow());
  if (snapshot.provider.type !== 'custom') throw new SnapshotInvalidError('provider.type', `the snapshot is of ${providerName(snapshot.provider)}, not of startDeviceLogin`);
  return new LoginDriver<TToken>(setup, loginResume(snapshot, setup));
}

/**
 * The verification URIs are shown to a person and may be opened for them, so
 * whatever `authorize` returned is held to the rule the built-in providers
 * apply where they read the answer: `https:` (`http:` only on loopback), no
 * user name, space or control character; otherwise {@link InvalidResponseError},
 * and no code is shown.
 */
function checkedUris(authorization: DeviceAuthorization): DeviceAuthorization {
  checkVerificationUri(authorization.verificationUri, 'verificationUri', 'the device authorization');
  if (authorization.verificationUriComplete !== undefined) checkVerificationUri(authorization.verificationUriComplete, 'verificationUriComplete', 'the device authorization');
  return authorization;
}
