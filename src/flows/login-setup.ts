import type { Clock } from '../clock/clock.js';
import type { TokenPollError } from '../errors/base.js';
import { ConfigurationError } from '../errors/failures.js';
import { resolveOptions } from '../runtime/options.js';
import type { DeviceAuthorization, TokenTransport } from '../transports/types.js';
import type { DeviceLoginOptions } from './device-login.js';
import type { LoginProviderRecord } from './login-snapshot.js';

/**
 * The poll options a login passes on: everything but what each code and the login itself
 * set. Defined once, as the public `poll` option of {@link DeviceLoginOptions}. @internal
 */
export type LoginPollOptions<TToken> = NonNullable<DeviceLoginOptions<TToken>['poll']>;

/** Asked whether to start over with a new code; anything but `true` (a throw included) means no. @internal */
export type RestartPolicy<TError extends TokenPollError = TokenPollError> = (context: {
  readonly restarts: number;
  readonly error: TError;
  readonly signal: AbortSignal;
}) => boolean | Promise<boolean>;

/** A login's policies, checked once by {@link resolveLoginPolicies}. @internal */
export interface LoginPolicies<TToken> {
  /** The options every poll of the login gets. */
  readonly poll: LoginPollOptions<TToken> | undefined;
  /** The caller's `restart` policy. */
  readonly restart: RestartPolicy | undefined;
}

/** What a login is made of: how to get a code and poll for it, and its policies, already checked. @internal */
export interface LoginSetup<TToken> extends LoginPolicies<TToken> {
  /** Asks for a device code; `renew` asks for a new client registration first (after the provider rejected the last). */
  authorize(context: { readonly signal: AbortSignal; readonly renew: boolean }): Promise<DeviceAuthorization>;
  /** The token transport for one code. */
  transportFor(authorization: DeviceAuthorization): TokenTransport;
  /**
   * Forgets the rejected client registration. Only a provider that registers its client (AWS)
   * has one, and only then does the login register again when the provider rejects its client.
   */
  readonly forget?: ((signal: AbortSignal) => Promise<void>) | undefined;
  readonly clock: Clock;
  readonly signal: AbortSignal | undefined;
  /** Where the provider is, for a snapshot; a login of the caller's own (`custom`) when absent. Read only while polling. */
  readonly provider?: (() => LoginProviderRecord) | undefined;
}

/**
 * Checks what a login passes on to its polls and asks its caller when the login is made,
 * so that a mistake throws at once rather than after a device code was issued. Each poll
 * the login starts resolves its options again: `pollToken` is public and checks its own
 * input. A login-wide `requestTimeoutMs` bounds the poll's requests too, unless `poll`
 * sets its own.
 * @throws {@link ConfigurationError} for bad poll options, or a `restart` that is not a function.
 * @internal
 */
export function resolveLoginPolicies<TToken>(options: {
  readonly poll?: LoginPollOptions<TToken> | undefined;
  readonly restart?: unknown;
  readonly requestTimeoutMs?: number | undefined;
}): LoginPolicies<TToken> {
  const { restart, requestTimeoutMs } = options;
  const poll = requestTimeoutMs === undefined ? options.poll : { ...options.poll, requestTimeoutMs: options.poll?.requestTimeoutMs ?? requestTimeoutMs };
  resolveOptions<TToken>({ ...poll, transport: noop, expiresInSeconds: 1 });
  if (restart !== undefined && typeof restart !== 'function') throw new ConfigurationError('restart', 'expected a function');
  return { poll, restart: restart as RestartPolicy | undefined };
}

const noop = (): void => {};
