import type { TokenSet } from '../core/outcome.js';
import { isTerminal, type TerminalState } from '../core/state.js';
import { isTokenPollError, type TokenPollError } from '../errors/base.js';
import { TransportError } from '../errors/failures.js';
import type { PollEvents } from '../runtime/events.js';
import { IsolatedEmitter } from '../runtime/listeners.js';
import { Poller, pollToken, type PollHandle, type ResumeFrom } from '../runtime/poller.js';
import { SnapshotUnavailableError } from '../errors/snapshot.js';
import { cancelableResult, type CancelablePromise, type SettleableResult } from '../runtime/result.js';
import type { DeviceAuthorization } from '../transports/types.js';
import { initialLoginState, loginTransition, type LoginConfig, type LoginEffect, type LoginInput, type LoginMachineState } from './login-machine.js';
import type { LoginSetup } from './login-setup.js';
import { loginSnapshotOf, type LoginSnapshot } from './login-snapshot.js';
import type { LoginEvents, LoginHandle, LoginState } from './login-types.js';

/** How a resumed login starts: polling for this authorization, its poll read back from the snapshot. @internal */
export interface LoginResume {
  readonly authorization: DeviceAuthorization;
  readonly poll: ResumeFrom;
  readonly restarts: number;
  readonly reregistered: boolean;
}

const POLL_EVENTS = ['stateChange', 'attempt', 'pending', 'slowDown', 'retry', 'warning', 'granted', 'denied', 'expired', 'failed', 'cancelled'] as const;

/** Input without its time, which the driver reads when it feeds the input. */
type Timeless<TToken> = LoginInput<TToken> extends infer TInput ? (TInput extends LoginInput<TToken> ? Omit<TInput, 'now'> : never) : never;

/**
 * The login driver: feeds the pure {@link loginTransition} with what happens (a code
 * arrived, a poll event, the caller's answer, a cancel) and carries out its effects.
 * It decides nothing itself. Like the poll's driver, it is crash-safe: should the
 * caller's clock (or any callback it calls while feeding) throw, the machine gets a
 * `crash` input and the login settles failed; nothing escapes into a promise callback.
 * @internal
 */
export class LoginDriver<TToken = TokenSet> implements LoginHandle<TToken> {
  readonly result: CancelablePromise<TToken>;
  readonly #settle: SettleableResult<TToken>;
  readonly #setup: LoginSetup<TToken>;
  readonly #config: LoginConfig;
  /** Aborts what the login has in flight (authorize, the restart question, forgetting) and detaches from the caller's signal. */
  readonly #controller = new AbortController();
  readonly #events: IsolatedEmitter<LoginEvents<TToken>> = new IsolatedEmitter((error, event) => this.#onListenerError(error, event));
  #machine: LoginMachineState<TToken> = initialLoginState;
  /** The poll of the current step, while it runs. */
  #poll: PollHandle<TToken> | undefined;
  /** The device authorization the current poll polls for. */
  #authorization: DeviceAuthorization | undefined;
  /** The terminal state of the last poll, kept once its step ended: the login's state if its end is the login's. */
  #lastPollEnd: TerminalState<TToken> | undefined;
  #authorizing: LoginState<TToken> = Object.freeze({ status: 'authorizing', restart: 0 });
  /** Inputs raised while effects run (a listener that cancels, say): built and fed after the current one, in order. */
  readonly #queue: (() => Timeless<TToken>)[] = [];
  #dispatching = false;
  /** The clock's time as last read, for a crash input when the clock is what threw. */
  #lastNow = Number.NaN;

  constructor(setup: LoginSetup<TToken>, resume?: LoginResume) {
    this.#setup = setup;
    this.#config = { hasRestartPolicy: setup.restart !== undefined, canReregister: setup.forget !== undefined, maxLifetimeMs: setup.poll?.maxLifetimeMs };
    this.#settle = cancelableResult<TToken>((reason = cancelledByCaller()) => this.#feed(() => ({ type: 'cancel', reason })));
    this.result = this.#settle.result;
    const signal = setup.signal;
    if (signal?.aborted) {
      queueMicrotask(() => this.cancel(signal.reason));
    } else {
      signal?.addEventListener('abort', () => this.cancel(signal.reason), { once: true, signal: this.#controller.signal });
      // Start in a microtask, so that listeners attached right after the call see every event. A resumed login
      // polls for its snapshot's code at once, as if that code had just arrived (its `code` event says `resumed`).
      if (resume) {
        this.#machine = Object.freeze({ status: 'authorizing', restarts: resume.restarts, reregistered: resume.reregistered, attempt: 0 });
        queueMicrotask(() => this.#startPoll(resume.authorization, resume.poll));
      } else queueMicrotask(() => this.#feed(() => ({ type: 'start' })));
    }
  }

  snapshot(): LoginSnapshot {
    const machine = this.#machine;
    const poll = this.#poll;
    const authorization = this.#authorization;
    if (machine.status !== 'polling' || !poll || !authorization) {
      const status = this.state.status;
      throw new SnapshotUnavailableError(status, status === 'authorizing' ? 'the login has no device code to poll for yet (take it from the code event on)' : `the login has settled (${status})`);
    }
    const provider = this.#setup.provider?.() ?? { type: 'custom' };
    return loginSnapshotOf({ poll: poll.snapshot(), authorization, provider, restarts: machine.restarts, reregistered: machine.reregistered, clock: this.#setup.clock });
  }

  /**
   * Derived from the machine: the running poll's state while polling; once settled, the
   * login's end (the last poll's terminal state when the poll's end is the login's, or the
   * state the login ended in itself); otherwise `authorizing`, which also covers the time
   * between two polls (the restart policy asked, the client registered again or forgotten).
   */
  get state(): LoginState<TToken> {
    const machine = this.#machine;
    if (machine.status === 'polling' && this.#poll) return this.#poll.state;
    if (machine.status === 'settled') {
      const end = machine.state ?? this.#lastPollEnd;
      if (end) return end;
    }
    if (this.#authorizing.status !== 'authorizing' || this.#authorizing.restart !== machine.restarts) {
      this.#authorizing = Object.freeze({ status: 'authorizing', restart: machine.restarts });
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

  /**
   * Feeds one input and carries out the machine's effects; an input raised while effects
   * run waits its turn. The input is built here, under the guard, because building it reads
   * the caller's clock. Should that, or carrying out an effect, throw, the machine gets a
   * `crash` input and settles the login failed. (Its effects, a poll's cancel, an abort, an
   * isolated emit and the settle, do not throw.) Never throws, so it is safe to call from
   * a promise callback.
   */
  #feed(build: () => Timeless<TToken>): void {
    this.#queue.push(build);
    if (this.#dispatching) return;
    this.#dispatching = true;
    try {
      for (let next = this.#queue.shift(); next; next = this.#queue.shift()) {
        try {
          this.#apply({ ...next(), now: this.#now() } as LoginInput<TToken>);
        } catch (error) {
          this.#apply({ type: 'crash', now: orElse(() => this.#now(), this.#lastNow), error });
        }
      }
    } finally {
      this.#dispatching = false;
    }
  }

  #apply(input: LoginInput<TToken>): void {
    const before = this.#machine.status;
    const { state, effects } = loginTransition(this.#machine, input, this.#config);
    this.#machine = state;
    try {
      for (const effect of effects) this.#carryOut(effect);
    } finally {
      // A step has ended: the finished poll is dropped, and only its terminal state kept.
      if ((before === 'polling' && state.status !== 'polling') || state.status === 'settled') this.#dropPoll();
    }
  }

  #now(): number {
    return (this.#lastNow = this.#setup.clock.now());
  }

  #dropPoll(): void {
    const state = this.#poll?.state;
    if (state && isTerminal(state)) this.#lastPollEnd = state;
    this.#poll = undefined;
  }

  #carryOut(effect: LoginEffect<TToken>): void {
    const signal = this.#controller.signal;
    switch (effect.type) {
      case 'authorize':
        this.#lastPollEnd = undefined;
        // A synchronous throw rejects too: it is the step's failure, not a crash.
        new Promise<DeviceAuthorization>((resolve) => resolve(this.#setup.authorize({ signal, renew: effect.renew }))).then(
          (authorization) => this.#feed(() => ({ type: 'authorized', authorization })),
          (error: unknown) => this.#feed(() => ({ type: 'failed', error: typed(error, 'the device authorization request failed') })),
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
          .then((yes) => this.#feed(() => ({ type: 'answered', yes })));
        return;
      case 'forget':
        void Promise.resolve()
          .then(() => this.#setup.forget?.(signal))
          // A registration that cannot be forgotten changes nothing: the login's own end stands.
          .catch(() => {})
          .then(() => this.#feed(() => ({ type: 'forgotten' })));
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

  #startPoll(authorization: DeviceAuthorization, resume?: ResumeFrom): void {
    const { clock, poll: options } = this.#setup;
    let poll: PollHandle<TToken>;
    try {
      const transport = this.#setup.transportFor(authorization);
      const { expiresInSeconds, intervalSeconds, issuedAt } = authorization;
      const pollOptions = { ...options, transport, expiresInSeconds, intervalSeconds, issuedAt, clock };
      poll = resume ? new Poller<TToken>(pollOptions, resume) : pollToken<TToken>(pollOptions);
    } catch (error) {
      return this.#feed(() => ({ type: 'failed', error: typed(error, 'the token transport could not be set up') }));
    }
    this.#poll = poll;
    this.#authorization = authorization;
    for (const name of POLL_EVENTS) poll.on(name, (payload: PollEvents<TToken>[typeof name]) => this.#feed(() => ({ type: 'pollEvent', name, payload })));
    this.#feed(() => ({ type: 'pollStarted', authorization, wallNow: clock.wallNow(), ...(resume ? { resumed: true } : {}) }));
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

/** What `action` returns, or `fallback` if it throws. */
function orElse<T>(action: () => T, fallback: T): T {
  try {
    return action();
  } catch {
    return fallback;
  }
}

/** What a step threw, as the {@link TokenPollError} the login ends with. */
function typed(error: unknown, what: string): TokenPollError {
  return isTokenPollError(error) ? error : new TransportError(`${what}: ${error instanceof Error ? error.message : String(error)}`, error);
}
