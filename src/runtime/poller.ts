import { checkedOutcome, classifyTokenResponse, type Classifier, type TransportAnswer } from '../classify/classify.js';
import { systemClock, type Clock } from '../clock/clock.js';
import type { PollConfig } from '../core/config.js';
import type { AbortEffect, PollEffect, PollInput } from '../core/input.js';
import type { TokenOutcome, TokenSet } from '../core/outcome.js';
import { isTerminal, type PollState, type TerminalState } from '../core/state.js';
import { initialState, transition } from '../core/transition.js';
import { errorFromState } from '../errors/from-state.js';
import type { TokenTransport } from '../transports/types.js';
import type { PollEvents, PollListener } from './events.js';
import { IsolatedEmitter } from './listeners.js';
import { resolveOptions, type PollTokenOptions } from './options.js';
import { cancelableResult, type CancelablePromise } from './result.js';

/**
 * A running poll, as {@link pollToken} returns it.
 * @group Poller
 */
export interface PollHandle<TToken = TokenSet> {
  /**
   * Resolves with the token once granted; rejects with a {@link TokenPollError}
   * subclass otherwise. A p-cancelable promise: `result.cancel(reason)` cancels
   * the poll. It never causes an unhandled rejection on its own, since the same
   * outcome also arrives as a terminal event.
   */
  readonly result: CancelablePromise<TToken>;
  /** The current state of the flow (the machine's frozen state). */
  readonly state: PollState<TToken>;
  /**
   * Cancels the poll: aborts the request in flight with `reason`, clears the
   * timer, and rejects `result` with {@link PollCancelledError} whose `cause` is
   * `reason`. No token is delivered afterwards, even if the answer in flight
   * was a grant. Does nothing once the flow has settled.
   */
  cancel(reason?: unknown): void;
  /** Adds a listener. A listener that throws is reported as a `listener-error` warning and polling goes on. */
  on<K extends keyof PollEvents<TToken>>(event: K, listener: PollListener<TToken, K>): this;
  /** Adds a listener that runs once. */
  once<K extends keyof PollEvents<TToken>>(event: K, listener: PollListener<TToken, K>): this;
  /** Removes a listener added with `on` or `once` (its latest registration). */
  off<K extends keyof PollEvents<TToken>>(event: K, listener: PollListener<TToken, K>): this;
}

/**
 * The driver: it feeds the pure state machine ({@link transition}) with inputs
 * (reading the clock and the random source, and classifying answers, as it
 * builds them) and carries out the effects it returns, nothing else. What to
 * send, when, which answer counts, when to abort and how the flow ends are the
 * machine's decisions.
 * @internal
 */
export class Poller<TToken> implements PollHandle<TToken> {
  readonly #config: PollConfig;
  readonly #transport: TokenTransport;
  readonly #classify: Classifier<TToken>;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #unref: boolean;
  readonly #signal: AbortSignal | undefined;
  readonly #result = cancelableResult<TToken>((reason = new DOMException('The poll was cancelled', 'AbortError')) =>
    this.#feed(() => ({ type: 'cancel', now: this.#clock.now(), reason })),
  );
  /** Made by the first `on` or `once`: a flow nobody listens to (most, in a service) emits into nothing. */
  #events: IsolatedEmitter<PollEvents<TToken>> | undefined;
  #state: PollState<TToken> = initialState;
  #timer: unknown = undefined;
  /** The controller of each request sent and not yet answered or aborted, by its attempt number; none between polls. */
  #requests: Map<number, AbortController> | undefined;
  /** Inputs raised while effects run (a listener that cancels, say): fed after the current one, in order. Made when first needed. */
  #queue: (() => PollInput<TToken>)[] | undefined;
  #feeding = false;

  constructor(options: PollTokenOptions<TToken>) {
    this.#config = resolveOptions(options);
    this.#transport = options.transport;
    this.#classify = options.classify ?? (classifyTokenResponse as unknown as Classifier<TToken>);
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#unref = options.unref ?? false;
    this.#signal = options.signal;
    this.#signal?.addEventListener('abort', this.#onAbort, { once: true });
    // Start in a microtask, so that listeners attached right after pollToken() returns see every event.
    queueMicrotask(() => {
      if (this.#signal?.aborted) this.cancel(this.#signal.reason);
      else this.#feed(() => ({ type: 'start', now: this.#clock.now() }));
    });
  }

  get result(): CancelablePromise<TToken> {
    return this.#result.result;
  }

  get state(): PollState<TToken> {
    return this.#state;
  }

  cancel(reason?: unknown): void {
    // One path for every cancel (this, result.cancel(), the signal), so that result.isCanceled always agrees.
    this.result.cancel(reason);
  }

  on<K extends keyof PollEvents<TToken>>(event: K, listener: PollListener<TToken, K>): this {
    this.#listeners().on(event, listener);
    return this;
  }

  once<K extends keyof PollEvents<TToken>>(event: K, listener: PollListener<TToken, K>): this {
    this.#listeners().once(event, listener);
    return this;
  }

  off<K extends keyof PollEvents<TToken>>(event: K, listener: PollListener<TToken, K>): this {
    this.#events?.off(event, listener);
    return this;
  }

  #listeners(): IsolatedEmitter<PollEvents<TToken>> {
    return (this.#events ??= new IsolatedEmitter((error, event) => this.#reportListenerError(error, event)));
  }

  readonly #onAbort = (): void => this.cancel(this.#signal?.reason);

  readonly #onTimer = (): void => {
    this.#timer = undefined;
    this.#feed(() => ({ type: 'timerFired', now: this.#clock.now(), random: this.#random() }));
  };

  /**
   * Feeds one input to the machine and carries out its effects. The input is
   * built here, under the guard, because building it calls the caller's clock,
   * random source and classifier. Should any of them, or a backoff or a timer
   * call, throw, the machine gets a `crash` input, and settles the flow as
   * failed. (The effects that come before a `settle` in one step, `abort` and
   * `emit`, cannot throw, so a terminal state always reaches its `settle`.)
   */
  #feed(input: () => PollInput<TToken>): void {
    if (this.#feeding) {
      (this.#queue ??= []).push(input);
      return;
    }
    this.#feeding = true;
    try {
      for (let next: (() => PollInput<TToken>) | undefined = input; next; next = this.#queue?.shift()) {
        try {
          this.#apply(next());
        } catch (error) {
          // `now` is NaN when the clock is what throws: the machine then uses the last time it knew.
          this.#apply({ type: 'crash', now: orElse(() => this.#clock.now(), Number.NaN), error });
        }
      }
    } finally {
      this.#feeding = false;
    }
  }

  #apply(input: PollInput<TToken>): void {
    const { state, effects } = transition(this.#state, input, this.#config);
    this.#state = state;
    for (const effect of effects) this.#run(effect);
  }

  #run(effect: PollEffect<TToken>): void {
    switch (effect.type) {
      case 'request':
        void this.#send(effect.attempt);
        return;
      case 'schedule':
        this.#clearTimer();
        this.#timer = this.#clock.setTimeout(this.#onTimer, effect.delayMs, { unref: this.#unref });
        return;
      case 'abort':
        this.#takeRequest(effect.attempt)?.abort(abortReason(effect));
        return;
      case 'emit':
        this.#events?.emit(effect.name, effect.payload as never);
        return;
      case 'settle':
        this.#settle(effect.state);
        return;
      default: {
        const unknown: never = effect;
        throw new TypeError(`unknown effect ${String(unknown)}`);
      }
    }
  }

  /** Sends request `attempt` and feeds its answer, whatever it is, back to the machine. Never rejects. */
  async #send(attempt: number): Promise<void> {
    const controller = new AbortController();
    (this.#requests ??= new Map()).set(attempt, controller);
    let answer: TransportAnswer;
    try {
      const context = { attempt, signal: controller.signal };
      const transport = this.#transport;
      answer = { ok: true, value: await (typeof transport === 'function' ? transport(context) : transport.request(context)) };
    } catch (error) {
      answer = { ok: false, error };
    }
    this.#takeRequest(attempt);
    // A settled flow absorbs every input: the caller's classifier need not read an answer nobody waits for.
    if (isTerminal(this.#state)) return;
    this.#feed(() => ({ type: 'responseReceived', now: this.#clock.now(), attempt, outcome: this.#classifyAnswer(answer), random: this.#random() }));
  }

  /** Takes request `attempt`'s controller out of the requests in flight (and drops the map once none is left). */
  #takeRequest(attempt: number): AbortController | undefined {
    const controller = this.#requests?.get(attempt);
    this.#requests?.delete(attempt);
    if (this.#requests?.size === 0) this.#requests = undefined;
    return controller;
  }

  /** The answer as an outcome. A classifier that throws or returns a malformed outcome fails the flow, as the rules say. */
  #classifyAnswer(answer: TransportAnswer): TokenOutcome<TToken> {
    try {
      return checkedOutcome<TToken>(this.#classify(answer, { wallNow: this.#clock.wallNow() }), 'the classifier');
    } catch (error) {
      return { type: 'transport_error', message: `the classifier threw: ${describe(error)}`, cause: error };
    }
  }

  /** Clears the timer, lets go of the signal, delivers the result, then emits the terminal event. Never throws. */
  #settle(state: TerminalState<TToken>): void {
    // A clock or a signal that throws here cannot keep the flow from settling.
    orElse(() => this.#clearTimer(), undefined);
    orElse(() => this.#signal?.removeEventListener('abort', this.#onAbort), undefined);
    // The result settles first, so that a terminal listener already sees result.isCanceled.
    if (state.status === 'granted') {
      this.#result.resolve(state.token);
      this.#events?.emit('granted', Object.freeze({ token: state.token, attempt: state.attempt, at: state.at }));
    } else {
      const error = errorFromState(state, this.#config.timeoutMs, transportOperation(this.#transport));
      this.#result.reject(error);
      const base = { error, attempt: state.attempt, at: state.at };
      this.#events?.emit(state.status, Object.freeze(state.status === 'expired' ? { ...base, source: state.source } : base) as never);
    }
    this.#events?.removeAllListeners();
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #reportListenerError(error: unknown, event: keyof PollEvents<TToken>): void {
    if (event === 'warning') return; // a throwing warning listener is not reported again, or it would recurse
    const message = `a listener for '${String(event)}' threw: ${describe(error)}`;
    this.#events?.emit('warning', Object.freeze({ code: 'listener-error', message, at: this.#clock.now(), cause: error }));
  }
}

/** What the transport's signal is aborted with: the caller's own reason for a cancel. */
function abortReason(effect: AbortEffect): unknown {
  switch (effect.cause) {
    case 'cancel':
      return effect.reason;
    case 'request-timeout':
      return new DOMException('The token request timed out', 'TimeoutError');
    case 'timeout':
      return new DOMException("The caller's poll timeout passed", 'TimeoutError');
    case 'crash':
      return new DOMException('The poll failed: a callback threw', 'AbortError');
  }
}

/**
 * The poll as the transport names itself (`'polling at https://…/token'`), for
 * its errors. A transport that names itself wrongly (not a string, a getter
 * that throws) cannot keep the flow from settling: it is then not named.
 */
function transportOperation(transport: TokenTransport): string | undefined {
  const operation: unknown = orElse(() => transport.operation, undefined);
  return typeof operation === 'string' && operation !== '' ? operation : undefined;
}

/** What `action` returns, or `fallback` if it throws: for the steps that may not keep a flow from settling. */
function orElse<T>(action: () => T, fallback: T): T {
  try {
    return action();
  } catch {
    return fallback;
  }
}

/** A thrown value as text, whatever it is (one whose `toString` throws included). */
function describe(error: unknown): string {
  return orElse(() => (error instanceof Error ? error.message : String(error)), 'a value that cannot be printed');
}

/**
 * Polls a token endpoint until the grant arrives, the user denies, the device
 * code expires, the flow fails or the caller cancels. Honours RFC 8628's
 * interval and `slow_down`, waits out transient faults with backoff, and never
 * sends a request at or after the deadline.
 *
 * Polling starts in a microtask, so listeners attached right after this call
 * see every event.
 *
 * @example
 * ```ts
 * import { pollToken } from 'tokenpoll';
 * const poll = pollToken({
 *   transport: ({ signal }) => requestToken(deviceCode, signal),
 *   intervalSeconds: authorization.interval,
 *   expiresInSeconds: authorization.expires_in,
 * });
 * poll.on('slowDown', ({ intervalMs }) => console.log(`polling every ${intervalMs / 1000} s`));
 * const token = await poll.result;
 * ```
 * @throws {@link ConfigurationError} when an option is missing or invalid.
 * @see {@link https://www.rfc-editor.org/rfc/rfc8628#section-3.4 | RFC 8628 §3.4 and §3.5}
 * @group Poller
 */
export function pollToken<TToken = TokenSet>(options: PollTokenOptions<TToken>): PollHandle<TToken> {
  return new Poller<TToken>(options);
}
