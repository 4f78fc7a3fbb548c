import { systemClock, type Clock } from '../clock/clock.js';
import type { TokenSet } from '../core/outcome.js';
import { createConfig } from '../core/config.js';
import { isTerminal, type PollState } from '../core/state.js';
import { isTokenPollError, type TokenPollError } from '../errors/base.js';
import { ExpiredTokenError } from '../errors/outcomes.js';
import { ConfigurationError, PollCancelledError, TransportError } from '../errors/failures.js';
import type { PollEvents } from '../runtime/events.js';
import { IsolatedListeners } from '../runtime/listeners.js';
import { resolveOptions, type PollTokenOptions } from '../runtime/options.js';
import { pollToken, type PollHandle } from '../runtime/poller.js';
import { CancelableResult, type CancelablePromise } from '../runtime/result.js';
import type { TokenTransport } from '../transports/types.js';
import { checkVerificationUri } from '../transports/rfc8628/device-authorization.js';

/**
 * A device authorization answer (RFC 8628 §3.2, or AWS StartDeviceAuthorization),
 * normalised. `deviceCode` is a secret: it goes to the token transport only.
 * @see {@link https://www.rfc-editor.org/rfc/rfc8628#section-3.2 | RFC 8628 §3.2}
 * @group Flows
 */
export interface DeviceAuthorization {
  /** The device code (secret). */
  readonly deviceCode: string;
  /** The code the user types. */
  readonly userCode: string;
  /** Where the user goes. */
  readonly verificationUri: string;
  /** The same with the user code filled in, when the server sent one. */
  readonly verificationUriComplete?: string;
  /** `expires_in`, as the server sent it. */
  readonly expiresInSeconds: number | string;
  /** `interval`, as the server sent it. */
  readonly intervalSeconds?: number | string;
  /** A message for the user (Entra sends one). */
  readonly message?: string;
  /** When the answer arrived, as `clock.now()`. */
  readonly issuedAt: number;
}

/**
 * What a login shows the user. It never holds the device code.
 * @see {@link https://www.rfc-editor.org/rfc/rfc8628#section-3.3 | RFC 8628 §3.3}
 * @group Events
 */
export interface CodeEvent {
  /** The code the user types. */
  readonly userCode: string;
  /** Where the user goes. */
  readonly verificationUri: string;
  /** The same with the user code filled in, when the server sent one. */
  readonly verificationUriComplete?: string;
  /** A message for the user, when the server sent one. */
  readonly message?: string;
  /** When the code expires, in wall-clock epoch milliseconds. */
  readonly expiresAt: number;
  /** How long until the code expires, in milliseconds. */
  readonly expiresInMs: number;
  /** 0 for the first code; 1, 2… after restarts. */
  readonly restart: number;
}

/**
 * The events of a whole login: the poll's events, plus `code` each time a
 * device code is issued.
 * @group Events
 */
export interface LoginEvents<TToken = TokenSet> extends PollEvents<TToken> {
  /** A device code was issued: show the user `userCode` and `verificationUri`. */
  code: CodeEvent;
}

/** A login's state: authorizing (asking for a device code), then the poll's. @group Flows */
export type LoginState<TToken = TokenSet> =
  | {
      /** Always `'authorizing'`: waiting for a device code. */
      readonly status: 'authorizing';
      /** 0 for the first code; 1, 2… after restarts. */
      readonly restart: number;
    }
  | PollState<TToken>;

/**
 * A running login, as {@link startDeviceLogin} and the provider flows return it.
 * @group Flows
 */
export interface LoginHandle<TToken = TokenSet> {
  /** Resolves with the token set; rejects with a {@link TokenPollError} subclass. Cancelling it cancels the login. */
  readonly result: CancelablePromise<TToken>;
  /** Where the login is. */
  readonly state: LoginState<TToken>;
  /** Cancels the login at any point: while authorizing or while polling. */
  cancel(reason?: unknown): void;
  /** Adds a listener. */
  on<K extends keyof LoginEvents<TToken>>(event: K, listener: (payload: LoginEvents<TToken>[K]) => void): this;
  /** Adds a listener that runs once. */
  once<K extends keyof LoginEvents<TToken>>(event: K, listener: (payload: LoginEvents<TToken>[K]) => void): this;
  /** Removes a listener. */
  off<K extends keyof LoginEvents<TToken>>(event: K, listener: (payload: LoginEvents<TToken>[K]) => void): this;
}

/** Options for {@link startDeviceLogin}. @group Flows */
export interface DeviceLoginOptions<TToken = TokenSet> {
  /** Asks the server for a device code. Called again only on a restart. */
  authorize(context: { readonly signal: AbortSignal }): Promise<DeviceAuthorization>;
  /** Builds the token transport for one device code. */
  transportFor(authorization: DeviceAuthorization): TokenTransport;
  /** Options passed on to {@link pollToken}. */
  readonly poll?: Omit<PollTokenOptions<TToken>, 'transport' | 'expiresInSeconds' | 'intervalSeconds' | 'issuedAt' | 'signal' | 'clock'>;
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
  /**
   * For provider flows: asked when the poll ends on any other error (not on
   * cancellation): return true to start over with a new code, as `restart`
   * does. Until it answers, the poll's `failed` or `denied` event (and its
   * `stateChange`) is held back, and dropped on a restart. `restarts` counts
   * every restart, whichever callback asked for it.
   * @internal
   */
  readonly restartOn?:
    | ((context: { readonly restarts: number; readonly error: TokenPollError; readonly signal: AbortSignal }) => boolean | Promise<boolean>)
    | undefined;
}

const POLL_EVENTS = ['stateChange', 'attempt', 'pending', 'slowDown', 'retry', 'warning', 'granted', 'denied', 'expired', 'failed', 'cancelled'] as const;
const noop = (): void => {};

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
  return new DeviceLogin(options);
}

class DeviceLogin<TToken> implements LoginHandle<TToken> {
  readonly result: CancelableResult<TToken> = new CancelableResult<TToken>(this);
  readonly #options: DeviceLoginOptions<TToken>;
  readonly #clock: Clock;
  readonly #controller = new AbortController();
  readonly #listeners: IsolatedListeners<LoginEvents<TToken>> = new IsolatedListeners((error, event) => this.#onListenerError(error, event));
  #poll: PollHandle<TToken> | undefined;
  #state: LoginState<TToken> = Object.freeze({ status: 'authorizing', restart: 0 });
  #settled = false;

  constructor(options: DeviceLoginOptions<TToken>) {
    // Check the poll options now, so a mistake throws here rather than after a device code was issued.
    resolveOptions({ ...options.poll, transport: noop, expiresInSeconds: 1 });
    for (const name of ['restart', 'restartOn'] as const) {
      if (options[name] !== undefined && typeof options[name] !== 'function') throw new ConfigurationError(name, 'expected a function');
    }
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    const signal = options.signal;
    if (signal?.aborted) {
      queueMicrotask(() => this.cancel(signal.reason));
    } else {
      signal?.addEventListener('abort', () => this.cancel(signal.reason), { once: true, signal: this.#controller.signal });
      queueMicrotask(() => void this.#run(0));
    }
  }

  get state(): LoginState<TToken> {
    return this.#poll?.state ?? this.#state;
  }

  cancel(reason: unknown = new DOMException('The login was cancelled', 'AbortError')): void {
    if (this.#settled) return;
    // While a poll runs, it owns the cancellation (and its events). Between polls (authorizing, or
    // while the restart callback decides), the login cancels itself.
    if (this.#poll && !isTerminal(this.#poll.state)) return this.#poll.cancel(reason);
    this.#controller.abort(reason);
    this.#fail(new PollCancelledError(reason), 'cancelled');
  }

  on<K extends keyof LoginEvents<TToken>>(event: K, listener: (payload: LoginEvents<TToken>[K]) => void): this {
    this.#listeners.add(event, listener, false);
    return this;
  }

  once<K extends keyof LoginEvents<TToken>>(event: K, listener: (payload: LoginEvents<TToken>[K]) => void): this {
    this.#listeners.add(event, listener, true);
    return this;
  }

  off<K extends keyof LoginEvents<TToken>>(event: K, listener: (payload: LoginEvents<TToken>[K]) => void): this {
    this.#listeners.remove(event, listener);
    return this;
  }

  async #run(restarts: number): Promise<void> {
    if (this.#settled) return;
    this.#poll = undefined;
    this.#state = Object.freeze({ status: 'authorizing', restart: restarts });
    let authorization: DeviceAuthorization;
    try {
      authorization = checkedUris(await this.#options.authorize({ signal: this.#controller.signal }));
    } catch (error) {
      if (this.#settled) return;
      const failure = isTokenPollError(error) ? error : new TransportError(`the device authorization request failed: ${error instanceof Error ? error.message : String(error)}`, error);
      return this.#fail(failure, failure instanceof PollCancelledError ? 'cancelled' : 'failed');
    }
    if (this.#settled) return;
    let poll: PollHandle<TToken>;
    try {
      poll = pollToken<TToken>({
        ...this.#options.poll,
        transport: this.#options.transportFor(authorization),
        expiresInSeconds: authorization.expiresInSeconds,
        intervalSeconds: authorization.intervalSeconds,
        issuedAt: authorization.issuedAt,
        clock: this.#clock,
        signal: this.#controller.signal,
      });
    } catch (error) {
      const failure = isTokenPollError(error) ? error : new TransportError(`the token transport could not be set up: ${error instanceof Error ? error.message : String(error)}`, error);
      return this.#fail(failure, 'failed');
    }
    this.#poll = poll;
    // With restartOn, the poll's failed or denied end is held back until it has decided.
    const held: (() => void)[] = [];
    for (const name of POLL_EVENTS) {
      if (name === 'expired') continue;
      poll.on(name, (payload: PollEvents<TToken>[typeof name]) => {
        const emit = (): void => this.#listeners.emit(name, payload);
        if (this.#options.restartOn && isFailedEnd(name, payload)) held.push(emit);
        else emit();
      });
    }
    this.#emitCode(authorization, restarts);
    try {
      const token = await poll.result;
      this.#settled = true;
      this.result.resolve(token);
    } catch (error) {
      if (await this.#shouldRestart(restarts, error as TokenPollError)) return this.#run(restarts + 1);
      // cancel() may have settled the login while the restart callback was deciding.
      if (this.#settled) return;
      this.#settled = true;
      this.result.reject(error, error instanceof PollCancelledError);
      for (const emit of held) emit();
      if (error instanceof ExpiredTokenError || isExpiredTimeout(poll)) this.#listeners.emit('expired', expiredPayload(poll, error as TokenPollError));
    } finally {
      if (this.#settled) this.#controller.abort();
    }
  }

  async #shouldRestart(restarts: number, error: TokenPollError): Promise<boolean> {
    const { restart, restartOn } = this.#options;
    const decide = error instanceof ExpiredTokenError ? restart : error instanceof PollCancelledError ? undefined : restartOn;
    if (!decide || this.#settled) return false;
    try {
      return (await decide({ restarts, error: error as ExpiredTokenError, signal: this.#controller.signal })) === true && !this.#settled;
    } catch {
      return false;
    }
  }

  #emitCode(authorization: DeviceAuthorization, restart: number): void {
    const now = this.#clock.now();
    // The same sanitising the poll applies (defaults, ceilings), so the code expires when the poll does.
    const { lifetimeMs } = createConfig({ expiresIn: authorization.expiresInSeconds, maxLifetimeMs: this.#options.poll?.maxLifetimeMs });
    const expiresInMs = Math.max(0, Math.min(authorization.issuedAt, now) + lifetimeMs - now);
    const event: { -readonly [K in keyof CodeEvent]: CodeEvent[K] } = {
      userCode: authorization.userCode,
      verificationUri: authorization.verificationUri,
      expiresAt: this.#clock.wallNow() + expiresInMs,
      expiresInMs,
      restart,
    };
    if (authorization.verificationUriComplete !== undefined) event.verificationUriComplete = authorization.verificationUriComplete;
    if (authorization.message !== undefined) event.message = authorization.message;
    this.#listeners.emit('code', Object.freeze(event));
  }

  #onListenerError(error: unknown, event: keyof LoginEvents<TToken>): void {
    // Reported like the poller does; a throwing warning listener is not reported again.
    if (event === 'warning' || !this.#listeners.has('warning')) return;
    try {
      const message = `a listener for '${String(event)}' threw: ${error instanceof Error ? error.message : String(error)}`;
      this.#listeners.emit('warning', Object.freeze({ code: 'listener-error', message, at: this.#clock.now(), cause: error }));
    } catch {
      // Best effort.
    }
  }

  #fail(error: TokenPollError, event: 'failed' | 'cancelled'): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#controller.abort(error);
    this.result.reject(error, event === 'cancelled');
    this.#listeners.emit(event, Object.freeze({ error, attempt: 0, at: this.#clock.now() }) as never);
  }
}

/** Whether a poll event is its `failed` or `denied` end (or the `stateChange` into it). */
function isFailedEnd(name: keyof PollEvents<unknown>, payload: unknown): boolean {
  if (name === 'stateChange') return ['failed', 'denied'].includes((payload as PollEvents<unknown>['stateChange']).to);
  return name === 'failed' || name === 'denied';
}

function isExpiredTimeout<TToken>(poll: PollHandle<TToken>): boolean {
  return poll.state.status === 'expired';
}

function expiredPayload<TToken>(poll: PollHandle<TToken>, error: TokenPollError): LoginEvents<TToken>['expired'] {
  const state = poll.state;
  const source = state.status === 'expired' ? state.source : 'deadline';
  const attempt = state.status === 'idle' ? 0 : state.attempt;
  const at = state.status === 'expired' ? state.at : 0;
  return Object.freeze({ error: error as LoginEvents<TToken>['expired']['error'], source, attempt, at });
}

/**
 * The verification URIs are shown to a person and may be opened for them, so
 * whatever `authorize` returned (a provider of the caller's own included) is
 * held to the rule the built-in providers apply where they read the answer:
 * `https:` (`http:` only on loopback), no user name, space or control
 * character; otherwise {@link InvalidResponseError}, and no code is shown.
 */
function checkedUris(authorization: DeviceAuthorization): DeviceAuthorization {
  checkVerificationUri(authorization.verificationUri, 'verificationUri', 'the device authorization');
  if (authorization.verificationUriComplete !== undefined) checkVerificationUri(authorization.verificationUriComplete, 'verificationUriComplete', 'the device authorization');
  return authorization;
}
