import PCancelable from 'p-cancelable';
import type { TokenSet } from '../../core/outcome.js';
import { OAuthError } from '../../errors/outcomes.js';
import { startDeviceLogin, type DeviceAuthorization, type DeviceLoginOptions, type LoginEvents, type LoginHandle, type LoginState } from '../../flows/device-login.js';
import { IsolatedListeners } from '../../runtime/listeners.js';
import type { AwsClient } from './client.js';
import { startAuthorization } from './device-authorization.js';
import type { AwsSsoToken } from './login.js';
import { obtainRegistration, type RegistrationRequest } from './register-client.js';
import type { AwsClientRegistration } from './registration-cache.js';
import { deviceCodeTransport } from './token-transport.js';

/** What {@link AwsSsoLogin} needs, checked. @internal */
export interface AwsSsoLoginSetup {
  readonly client: AwsClient;
  readonly startUrl: string;
  readonly registration: RegistrationRequest;
  readonly poll: DeviceLoginOptions['poll'];
  readonly signal: AbortSignal | undefined;
  readonly restart: DeviceLoginOptions['restart'];
}

type Events = LoginEvents<AwsSsoToken>;
const EVENTS = ['code', 'stateChange', 'attempt', 'pending', 'slowDown', 'retry', 'warning', 'granted', 'denied', 'expired', 'failed', 'cancelled'] as const;
const noop = (): void => {};

/**
 * A login over {@link startDeviceLogin} that can start over once with a new
 * client registration when CreateToken answers `InvalidClientException`: the
 * inner login is replaced, and its events are forwarded with the code count
 * and the token completed.
 * @internal
 */
export class AwsSsoLogin implements LoginHandle<AwsSsoToken> {
  readonly result: PCancelable<AwsSsoToken>;
  readonly #setup: AwsSsoLoginSetup;
  readonly #listeners = new IsolatedListeners<Events>(noop);
  #inner!: LoginHandle<TokenSet>;
  #registration: AwsClientRegistration | undefined;
  #renew = false;
  #reregistered = false;
  #codes = 0;
  #token: AwsSsoToken | undefined;
  #settled = false;
  #resolve!: (token: AwsSsoToken) => void;
  #reject!: (error: unknown) => void;

  constructor(setup: AwsSsoLoginSetup) {
    this.#setup = setup;
    this.result = new PCancelable<AwsSsoToken>((resolve, reject, onCancel) => {
      this.#resolve = resolve;
      this.#reject = reject;
      onCancel.shouldReject = false;
      onCancel(() => this.cancel());
    });
    this.result.catch(noop);
    this.#start();
  }

  get state(): LoginState<AwsSsoToken> {
    const state = this.#inner.state;
    if (state.status === 'authorizing') return Object.freeze({ status: 'authorizing', restart: this.#codes });
    if (state.status === 'granted') return Object.freeze({ ...state, token: this.#complete(state.token) });
    return state;
  }

  cancel(...reason: [reason?: unknown]): void {
    if (!this.#settled) this.#inner.cancel(...reason);
  }

  on<K extends keyof Events>(event: K, listener: (payload: Events[K]) => void): this {
    this.#listeners.add(event, listener, false);
    return this;
  }

  once<K extends keyof Events>(event: K, listener: (payload: Events[K]) => void): this {
    this.#listeners.add(event, listener, true);
    return this;
  }

  off<K extends keyof Events>(event: K, listener: (payload: Events[K]) => void): this {
    this.#listeners.remove(event, listener);
    return this;
  }

  #start(): void {
    const { poll, signal, restart } = this.#setup;
    const inner = startDeviceLogin<TokenSet>({
      authorize: ({ signal: authorizeSignal }) => this.#authorize(authorizeSignal),
      transportFor: (authorization: DeviceAuthorization) => deviceCodeTransport(this.#setup.client, this.#registration!, authorization.deviceCode),
      clock: this.#setup.client.clock,
      ...(poll === undefined ? {} : { poll }),
      ...(signal === undefined ? {} : { signal }),
      ...(restart === undefined ? {} : { restart }),
    });
    this.#inner = inner;
    for (const name of EVENTS) inner.on(name, (payload: LoginEvents<TokenSet>[typeof name]) => this.#forward(inner, name, payload));
    inner.result.then(
      (token) => this.#settle(inner, () => this.#resolve(this.#complete(token))),
      (error: unknown) => this.#settle(inner, () => this.#reject(error)),
    );
  }

  async #authorize(signal: AbortSignal): Promise<DeviceAuthorization> {
    const { client, startUrl } = this.#setup;
    const request = { ...this.#setup.registration, signal };
    const renew = this.#renew;
    this.#renew = false;
    this.#registration = await obtainRegistration(client, request, renew);
    try {
      return await startAuthorization(client, this.#registration, startUrl, signal);
    } catch (error) {
      if (!this.#mayReregister(error)) throw error;
      this.#reregistered = true;
      this.#registration = await obtainRegistration(client, request, true);
      return startAuthorization(client, this.#registration, startUrl, signal);
    }
  }

  #forward<K extends keyof Events>(inner: LoginHandle<TokenSet>, name: K, payload: LoginEvents<TokenSet>[K]): void {
    if (inner !== this.#inner || this.#settled) return;
    if (name === 'stateChange' && this.#restartsAfter(inner)) return;
    if (name === 'failed' && this.#mayReregister((payload as Events['failed']).error)) {
      // CreateToken rejected the client: its device code is useless, so start over with a new client.
      this.#reregistered = true;
      this.#renew = true;
      return this.#start();
    }
    let out: unknown = payload;
    if (name === 'code') out = Object.freeze({ ...(payload as Events['code']), restart: this.#codes++ });
    if (name === 'granted') out = Object.freeze({ ...(payload as LoginEvents<TokenSet>['granted']), token: this.#complete((payload as LoginEvents<TokenSet>['granted']).token) });
    this.#listeners.emit(name, out as Events[K]);
  }

  /** Whether the inner login's poll just failed in a way that makes the login start over. */
  #restartsAfter(inner: LoginHandle<TokenSet>): boolean {
    const state = inner.state;
    return state.status === 'failed' && state.failure.kind === 'oauth_error' && state.failure.error.reregisterClient === true && !this.#reregistered && !this.#settled;
  }

  #mayReregister(error: unknown): boolean {
    return !this.#reregistered && !this.#settled && error instanceof OAuthError && error.reregisterClient;
  }

  #settle(inner: LoginHandle<TokenSet>, settle: () => void): void {
    if (inner !== this.#inner || this.#settled) return;
    this.#settled = true;
    settle();
  }

  #complete(token: TokenSet): AwsSsoToken {
    if (this.#token) return this.#token;
    const { client, startUrl } = this.#setup;
    const result: { -readonly [K in keyof AwsSsoToken]: AwsSsoToken[K] } = { ...token, registration: this.#registration!, region: client.region, startUrl };
    if (token.expiresInSeconds !== undefined) result.expiresAt = client.clock.wallNow() + token.expiresInSeconds * 1000;
    return (this.#token = Object.freeze(result));
  }
}
