import type { TokenSet } from '../core/outcome.js';
import { isTokenPollError, type TokenPollError } from '../errors/base.js';
import { TransportError } from '../errors/failures.js';
import type { PollEvents } from '../runtime/events.js';
import { IsolatedEmitter } from '../runtime/listeners.js';
import { pollToken, type PollHandle } from '../runtime/poller.js';
import { cancelableResult, type CancelablePromise } from '../runtime/result.js';
import type { DeviceAuthorization } from '../transports/types.js';
import { initialLoginState, loginTransition, type LoginConfig, type LoginEffect, type LoginInput, type LoginMachineState } from './login-machine.js';
import type { LoginSetup } from './login-setup.js';
import type { LoginEvents, LoginHandle, LoginState } from './login-types.js';

const POLL_EVENTS = ['stateChange', 'attempt', 'pending', 'slowDown', 'retry', 'warning', 'granted', 'denied', 'expired', 'failed', 'cancelled'] as const;

/** Input without its time, which the driver reads when it feeds the input. */
type Timeless<TToken> = LoginInput<TToken> extends infer TInput ? (TInput extends LoginInput<TToken> ? Omit<TInput, 'now'> : never) : never;

/**
 * The login driver: feeds the pure {@link loginTransition} with what happens (a code
 * arrived, a poll event, the caller's answer, a cancel) and carries out its effects.
 * It decides nothing itself.
 * @internal
 */
export class LoginDriver<TToken = TokenSet> implements LoginHandle<TToken> {
  readonly result: CancelablePromise<TToken>;
  readonly #settle: { resolve(value: TToken): void; reject(error: unknown): void };
  readonly #setup: LoginSetup<TToken>;
  readonly #config: LoginConfig;
  /** Aborts what the login has in flight (authorize, the restart question, forgetting) and detaches from the caller's signal. */
  readonly #controller = new AbortController();
  readonly #events: IsolatedEmitter<LoginEvents<TToken>> = new IsolatedEmitter((error, event) => this.#onListenerError(error, event));
  #machine: LoginMachineState<TToken> = initialLoginState;
  #poll: PollHandle<TToken> | undefined;
  #authorizing: LoginState<TToken> = Object.freeze({ status: 'authorizing', restart: 0 });
  readonly #queue: LoginInput<TToken>[] = [];
  #dispatching = false;

  constructor(setup: LoginSetup<TToken>) {
    this.#setup = setup;
    this.#config = { restart: setup.restart !== undefined, reregister: setup.forget !== undefined, maxLifetimeMs: setup.poll?.maxLifetimeMs };
    const { result, resolve, reject } = cancelableResult<TToken>((reason = cancelledByCaller()) => this.#feed({ type: 'cancel', reason }));
    this.result = result;
    this.#settle = { resolve, reject };
    const signal = setup.signal;
    if (signal?.aborted) {
      queueMicrotask(() => this.cancel(signal.reason));
    } else {
      signal?.addEventListener('abort', () => this.cancel(signal.reason), { once: true, signal: this.#controller.signal });
      // Start in a microtask, so that listeners attached right after the call see every event.
      queueMicrotask(() => this.#feed({ type: 'start' }));
    }
  }

  get state(): LoginState<TToken> {
    if (this.#poll) return this.#poll.state;
    if (this.#authorizing.status !== 'authorizing' || this.#authorizing.restart !== this.#machine.restarts) {
      this.#authorizing = Object.freeze({ status: 'authorizing', restart: this.#machine.restarts });
    }
    return this.#authorizing;
  }

  cancel(reason: unknown = cancelledByCaller()): void {
    // One path for every cancel: the result's, so that `result.isCanceled` tells.
    this.result.cancel(reason);
  }

  on<K extends keyof LoginEvents<TToken>>(event: K, listener: (payload: LoginEvents<TToken>[K]) => void): this {
    this.#events.on(event, listener);
    return this;
  }

  once<K extends keyof LoginEvents<TToken>>(event: K, listener: (payload: LoginEvents<TToken>[K]) => void): this {
    this.#events.once(event, listener);
    return this;
  }

  off<K extends keyof LoginEvents<TToken>>(event: K, listener: (payload: LoginEvents<TToken>[K]) => void): this {
    this.#events.off(event, listener);
    return this;
  }

  /** Feeds one input; an input raised while effects run waits its turn. */
  #feed(input: Timeless<TToken>): void {
    this.#queue.push({ ...input, now: this.#setup.clock.now() } as LoginInput<TToken>);
    if (this.#dispatching) return;
    this.#dispatching = true;
    try {
      for (let next = this.#queue.shift(); next !== undefined; next = this.#queue.shift()) {
        const { state, effects } = loginTransition(this.#machine, next, this.#config);
        this.#machine = state;
        for (const effect of effects) this.#carryOut(effect);
      }
    } finally {
      this.#dispatching = false;
    }
  }

  #carryOut(effect: LoginEffect<TToken>): void {
    const signal = this.#controller.signal;
    switch (effect.type) {
      case 'authorize':
        this.#poll = undefined;
        this.#setup.authorize({ signal, renew: effect.renew }).then(
          (authorization) => this.#feed({ type: 'authorized', authorization }),
          (error: unknown) => this.#feed({ type: 'failed', error: typed(error, 'the device authorization request failed') }),
        );
        return;
      case 'poll':
        return this.#startPoll(effect.authorization);
      case 'cancelPoll':
        return this.#poll?.cancel(effect.reason);
      case 'ask':
        void Promise.resolve()
          .then(() => this.#setup.restart?.({ restarts: effect.restarts, error: effect.error, signal }))
          .then((answer) => answer === true, () => false)
          .then((yes) => this.#feed({ type: 'answered', yes }));
        return;
      case 'forget':
        void Promise.resolve()
          .then(() => this.#setup.forget?.(signal))
          // A registration that cannot be forgotten changes nothing: the login's own end stands.
          .catch(() => {})
          .then(() => this.#feed({ type: 'forgotten' }));
        return;
      case 'abort':
        return this.#controller.abort(effect.reason);
      case 'emit':
        return this.#events.emit(effect.name, effect.payload as never);
      case 'settle':
        if (effect.result.ok) this.#settle.resolve(effect.result.token);
        else this.#settle.reject(effect.result.error);
        // Nothing is in flight any more; this only lets go of the caller's signal.
        return this.#controller.abort();
      default: {
        const unknown: never = effect;
        throw new TypeError(`unknown login effect ${String((unknown as { type?: unknown }).type)}`);
      }
    }
  }

  #startPoll(authorization: DeviceAuthorization): void {
    const { clock, poll: options } = this.#setup;
    let poll: PollHandle<TToken>;
    try {
      const transport = this.#setup.transportFor(authorization);
      const { expiresInSeconds, intervalSeconds, issuedAt } = authorization;
      poll = pollToken<TToken>({ ...options, transport, expiresInSeconds, intervalSeconds, issuedAt, clock });
    } catch (error) {
      return this.#feed({ type: 'failed', error: typed(error, 'the token transport could not be set up') });
    }
    this.#poll = poll;
    for (const name of POLL_EVENTS) poll.on(name, (payload: PollEvents<TToken>[typeof name]) => this.#feed({ type: 'pollEvent', name, payload }));
    this.#feed({ type: 'pollStarted', authorization, wallNow: clock.wallNow() });
  }

  #onListenerError(error: unknown, event: keyof LoginEvents<TToken>): void {
    // Reported as the poll reports its own; a throwing warning listener is not reported again.
    if (event === 'warning' || this.#events.listenerCount('warning') === 0) return;
    try {
      const message = `a listener for '${String(event)}' threw: ${error instanceof Error ? error.message : String(error)}`;
      this.#events.emit('warning', Object.freeze({ code: 'listener-error', message, at: this.#setup.clock.now(), cause: error }));
    } catch {
      // Best effort.
    }
  }
}

function cancelledByCaller(): DOMException {
  return new DOMException('The login was cancelled', 'AbortError');
}

/** What a step threw, as the {@link TokenPollError} the login ends with. */
function typed(error: unknown, what: string): TokenPollError {
  return isTokenPollError(error) ? error : new TransportError(`${what}: ${error instanceof Error ? error.message : String(error)}`, error);
}
