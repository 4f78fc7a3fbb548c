import { checkedOutcome, classifyTokenResponse, type Classifier, type TransportAnswer } from '../classify/classify.js';
import { systemClock, type Clock, type TimerOptions } from '../clock/clock.js';
import type { PollConfig } from '../core/config.js';
import type { AbortEffect, PollEffect, PollInput } from '../core/input.js';
import type { TokenOutcome, TokenSet } from '../core/outcome.js';
import { isTerminal, type PollState, type TerminalState } from '../core/state.js';
import { advance, initialState, type StepSink } from '../core/transition.js';
import { errorFromState } from '../errors/from-state.js';
import type { TokenRequestContext, TokenTransport } from '../transports/types.js';
import type { PollEvents, PollListener } from './events.js';
import { IsolatedListeners } from './listeners.js';
import { resolveOptions, type PollTokenOptions } from './options.js';
import { CancelableResult, type CancelablePromise } from './result.js';

/**
 * A running poll, as {@link pollToken} returns it.
 * @group Poller
 */
export interface PollHandle<TToken = TokenSet> {
  /**
   * Resolves with the token once granted; rejects with a {@link TokenPollError}
   * subclass otherwise. `result.cancel()` cancels the poll. It never causes an
   * unhandled rejection on its own, since the same outcome also arrives as a
   * terminal event.
   */
  readonly result: CancelablePromise<TToken>;
  /** The current state of the flow (a frozen snapshot). */
  readonly state: PollState<TToken>;
  /**
   * Cancels the poll: aborts the request in flight, clears the timer, and
   * rejects `result` with {@link PollCancelledError} whose `cause` is `reason`.
   * No token is delivered afterwards, even if the answer in flight was a grant.
   * Does nothing once the flow has settled.
   */
  cancel(reason?: unknown): void;
  /** Adds a listener. A listener that throws is reported as a `listener-error` warning and polling goes on. */
  on<K extends keyof PollEvents<TToken>>(event: K, listener: PollListener<TToken, K>): this;
  /** Adds a listener that runs once. */
  once<K extends keyof PollEvents<TToken>>(event: K, listener: PollListener<TToken, K>): this;
  /** Removes a listener added with `on` or `once`. */
  off<K extends keyof PollEvents<TToken>>(event: K, listener: PollListener<TToken, K>): this;
}

const noop = (): void => {};

/** Every poll shares one of these two, rather than holding its own. */
const KEEP_ALIVE: TimerOptions = Object.freeze({ unref: false });
const UNREF: TimerOptions = Object.freeze({ unref: true });

/**
 * Effect buffers for {@link advance}, shared by every poll: a step takes one,
 * runs its effects and gives it back, so a poll allocates no effects array.
 * A step that starts while another runs its effects (a listener cancelling
 * another poll) takes another.
 */
const spareSinks: { readonly effects: PollEffect<unknown>[]; emits: boolean; readonly inPlace: true }[] = [];

/** What the driver feeds the machine, before the clock and random source are read. */
type InputKind = 'start' | 'timerFired' | 'responseReceived' | 'cancel';

/**
 * The context of one request. Its AbortController is made only when the
 * transport reads `signal` (creating one costs about 2 µs on Node 20, as much
 * as the rest of a poll), and an abort before that is remembered.
 */
class InFlightRequest implements TokenRequestContext {
  readonly attempt: number;
  aborted = false;
  #controller: AbortController | undefined;
  #reason: unknown;

  constructor(attempt: number) {
    this.attempt = attempt;
  }

  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
  }
}

/**
 * The driver: the only stateful part. It feeds the pure state machine with
 * timer, transport and abort inputs, and carries out its effects.
 * @internal
 */
export class Poller<TToken> implements PollHandle<TToken> {
  readonly result: CancelableResult<TToken> = new CancelableResult<TToken>(this);
  #state: PollState<TToken> = initialState;
  readonly #config: PollConfig;
  readonly #transport: TokenTransport;
  readonly #classify: Classifier<TToken>;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #timerOptions: TimerOptions;
  readonly #signal: AbortSignal | undefined;
  /** Made only when there is a signal to listen to. */
  readonly #onAbort: (() => void) | undefined;
  #listeners: IsolatedListeners<PollEvents<TToken>> | undefined;
  #timer: unknown = undefined;
  #request: InFlightRequest | undefined;
  /** Inputs raised while effects run, made only when one is. */
  #queue: [InputKind, unknown][] | undefined;
  #snapshot: PollState<TToken> | undefined;
  /** Set once the flow has fully settled (result and terminal event); a crash before that still settles it as failed. */
  #ended = false;
  #dispatching = false;
  #cancelling = false;

  constructor(options: PollTokenOptions<TToken>) {
    this.#config = resolveOptions(options);
    this.#transport = options.transport;
    this.#classify = options.classify ?? (classifyTokenResponse as unknown as Classifier<TToken>);
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#timerOptions = options.unref ? UNREF : KEEP_ALIVE;
    const signal = options.signal;
    this.#signal = signal;
    this.#onAbort = signal ? () => this.cancel(signal.reason) : undefined;
    // Start in a microtask, so that listeners attached right after pollToken() returns see every event.
    queueMicrotask(() => this.#start());
  }

  get state(): PollState<TToken> {
    // The machine's own state is not frozen (copying it field by field is what keeps a poll cheap),
    // so callers get a frozen copy, made at most once per transition.
    return (this.#snapshot ??= Object.freeze({ ...this.#state }));
  }

  cancel(reason: unknown = new DOMException('The poll was cancelled', 'AbortError')): void {
    if (isTerminal(this.#state)) return;
    this.#cancelling = true;
    this.#dispatch('cancel', reason);
  }

  on<K extends keyof PollEvents<TToken>>(event: K, listener: PollListener<TToken, K>): this {
    this.#listenersOrCreate().add(event, listener, false);
    return this;
  }

  once<K extends keyof PollEvents<TToken>>(event: K, listener: PollListener<TToken, K>): this {
    this.#listenersOrCreate().add(event, listener, true);
    return this;
  }

  off<K extends keyof PollEvents<TToken>>(event: K, listener: PollListener<TToken, K>): this {
    this.#listeners?.remove(event, listener);
    return this;
  }

  #start(): void {
    if (this.#state.status !== 'idle') return;
    const signal = this.#signal;
    if (signal?.aborted) return this.cancel(signal.reason);
    if (this.#onAbort) signal?.addEventListener('abort', this.#onAbort, { once: true });
    this.#dispatch('start', undefined);
  }

  /** The timer callback, bound once (a bound method is smaller than a closure and its context). */
  readonly #onTimer: () => void = this.#timerFired.bind(this);

  #timerFired(): void {
    this.#timer = undefined;
    this.#dispatch('timerFired', undefined);
  }

  /**
   * Feeds one input to the machine and runs its effects. The input is built
   * here, under the same guard, because building it calls the caller's clock,
   * random source and classifier. Should any caller-supplied callback throw
   * (clock, random, backoff), the flow fails with a {@link CallbackError}
   * instead of hanging with an uncaught exception.
   *
   * @param kind - Which input.
   * @param detail - The transport's answer for `responseReceived`, the reason for `cancel`.
   */
  #dispatch(kind: InputKind, detail: unknown): void {
    // Inputs raised while effects run (a listener calling cancel()) wait their turn.
    if (this.#dispatching) {
      (this.#queue ??= []).push([kind, detail]);
      return;
    }
    this.#dispatching = true;
    try {
      this.#step(kind, detail);
      for (let next = this.#queue?.shift(); next; next = this.#queue?.shift()) this.#step(next[0], next[1]);
    } catch (error) {
      this.#queue = undefined;
      this.#crash(error);
    } finally {
      this.#dispatching = false;
    }
  }

  #step(kind: InputKind, detail: unknown): void {
    const sink = spareSinks.pop() ?? { effects: [], emits: false, inPlace: true };
    // Events nobody listens to are not built; the state is updated in place (callers only see frozen copies).
    sink.emits = this.#listeners !== undefined;
    try {
      this.#state = advance(this.#state, this.#input(kind, detail), this.#config, sink as StepSink<TToken>);
      this.#snapshot = undefined;
      const effects = sink.effects as PollEffect<TToken>[];
      for (let i = 0; i < effects.length; i++) this.#run(effects[i]!);
    } finally {
      // pop() rather than `length = 0`, which V8 does in its runtime: measurably slower for two or three effects.
      const effects = sink.effects;
      while (effects.length > 0) effects.pop();
      spareSinks.push(sink);
    }
  }

  #input(kind: InputKind, detail: unknown): PollInput<TToken> {
    const now = this.#clock.now();
    switch (kind) {
      case 'start':
        return { type: 'start', now };
      case 'timerFired':
        return { type: 'timerFired', now, random: this.#random() };
      case 'responseReceived':
        return { type: 'responseReceived', now, outcome: this.#classifyAnswer(detail as TransportAnswer), random: this.#random() };
      case 'cancel':
        return { type: 'cancel', now, reason: detail };
      default: {
        const unknown: never = kind;
        throw new TypeError(`unknown input ${String(unknown)}`);
      }
    }
  }

  #crash(error: unknown): void {
    // The state may already be terminal (it is updated in place) while settling itself threw: settle as failed then.
    if (this.#ended) return;
    const failure = { kind: 'callback_error', message: `a callback threw: ${error instanceof Error ? error.message : String(error)}` } as const;
    Object.defineProperty(failure, 'cause', { value: error, enumerable: false });
    const from = this.#state.status;
    const attempt = from === 'idle' ? 0 : this.#state.attempt;
    let at: number;
    try {
      at = this.#clock.now();
    } catch {
      at = Number.NaN;
    }
    const state: TerminalState<TToken> = Object.freeze({ status: 'failed', failure: Object.freeze(failure), attempt, at });
    this.#state = state;
    this.#snapshot = undefined;
    this.#run({ type: 'emit', name: 'stateChange', payload: { from, to: 'failed', at } });
    this.#settle(state);
  }

  #run(effect: PollEffect<TToken>): void {
    switch (effect.type) {
      case 'emit':
        if (this.#listeners?.has(effect.name)) this.#listeners.emit(effect.name, Object.freeze(effect.payload));
        return;
      case 'schedule':
        this.#clearTimer();
        this.#timer = this.#clock.setTimeout(this.#onTimer, effect.delayMs, this.#timerOptions);
        return;
      case 'request':
        // A cancel queued by a listener of this very step wins: nothing is sent.
        if (!this.#cancelling) this.#send(effect.attempt);
        return;
      case 'abort':
        this.#abortRequest(effect);
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

  #send(attempt: number): void {
    const request = new InFlightRequest(attempt);
    this.#request = request;
    let pending: unknown;
    try {
      const transport = this.#transport;
      pending = typeof transport === 'function' ? transport(request) : transport.request(request);
    } catch (error) {
      pending = Promise.reject(error);
    }
    void this.#await(request, pending);
  }

  /** Waits for the transport's answer (an await allocates less than two closures passed to then()). Never rejects. */
  async #await(request: InFlightRequest, pending: unknown): Promise<void> {
    let answer: TransportAnswer;
    try {
      answer = { ok: true, value: await pending };
    } catch (error) {
      answer = { ok: false, error };
    }
    this.#answer(request, answer);
  }

  #answer(request: InFlightRequest, answer: TransportAnswer): void {
    // Answers to superseded requests are dropped: after cancel or settle, nothing is delivered. A request
    // aborted for its timeout stays the current one: the machine waits for its answer (phase 'aborting').
    if (request !== this.#request || isTerminal(this.#state)) return;
    this.#request = undefined;
    this.#dispatch('responseReceived', answer);
  }

  #classifyAnswer(answer: TransportAnswer): TokenOutcome<TToken> {
    try {
      const outcome = this.#classify(answer, { wallNow: this.#clock.wallNow() });
      // The default classifier checks what it passes through; a custom one is checked here.
      return this.#classify === classifyTokenResponse ? outcome : checkedOutcome<TToken>(outcome, 'the classifier');
    } catch (error) {
      return { type: 'transport_error', message: `the classifier threw: ${error instanceof Error ? error.message : String(error)}`, cause: error };
    }
  }

  #abortRequest(effect: AbortEffect): void {
    const request = this.#request;
    if (!request) return;
    if (effect.cause !== 'request-timeout') this.#request = undefined;
    const reason =
      effect.cause === 'cancel'
        ? (effect.reason ?? new DOMException('The poll was cancelled', 'AbortError'))
        : new DOMException(effect.cause === 'timeout' ? "The caller's poll timeout passed" : 'The token request timed out', 'TimeoutError');
    request.abort(reason);
  }

  #settle(state: TerminalState<TToken>): void {
    this.#finish(state);
    this.#ended = true;
  }

  #finish(state: TerminalState<TToken>): void {
    try {
      this.#clearTimer();
    } catch {
      // A clock whose clearTimeout throws cannot keep the flow from settling.
    }
    this.#request?.abort(new DOMException('The poll has settled', 'AbortError'));
    this.#request = undefined;
    // Once the signal has fired, its once-listener is already gone. A signal that throws here cannot keep the flow from settling.
    try {
      if (this.#onAbort && this.#signal && !this.#signal.aborted) this.#signal.removeEventListener('abort', this.#onAbort);
    } catch {
      // Best effort, as for the timer above.
    }
    const listeners = this.#listeners;
    this.#listeners = undefined;
    // The result settles before the terminal event, so a listener already sees isCanceled (its callbacks run later anyway).
    if (state.status === 'granted') {
      this.result.resolve(state.token);
      listeners?.emit('granted', Object.freeze({ token: state.token, attempt: state.attempt, at: state.at }));
      listeners?.clear();
      return;
    }
    if (!listeners) {
      // Nobody listens: the error is made only if and when the result is awaited (settledError()).
      this.result.rejectLazily(state.status === 'cancelled');
      return;
    }
    const error = this.settledError();
    this.result.reject(error, state.status === 'cancelled');
    const base = { error, attempt: state.attempt, at: state.at };
    const payload = state.status === 'expired' ? { ...base, source: state.source } : base;
    listeners.emit(state.status, Object.freeze(payload) as never);
    listeners.clear();
  }

  /** The error the result rejects with, made from the terminal state; the result asks for it at most once. @internal */
  settledError(): unknown {
    const state = this.#state;
    if (!isTerminal(state) || state.status === 'granted') throw new TypeError('the poll has not failed');
    return withoutStack(() => errorFromState(state, this.#config.timeoutMs, transportOperation(this.#transport)));
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #listenersOrCreate(): IsolatedListeners<PollEvents<TToken>> {
    if (isTerminal(this.#state)) return new IsolatedListeners(noop);
    return (this.#listeners ??= new IsolatedListeners((error, event) => this.#onListenerError(error, event)));
  }

  #onListenerError(error: unknown, event: keyof PollEvents<TToken>): void {
    // A throwing warning listener is not reported again, or it would recurse.
    const listeners = this.#listeners;
    if (event === 'warning' || !listeners?.has('warning')) return;
    try {
      const message = `a listener for '${String(event)}' threw: ${error instanceof Error ? error.message : String(error)}`;
      listeners.emit('warning', Object.freeze({ code: 'listener-error', message, at: this.#clock.now(), cause: error }));
    } catch {
      // Reporting is best effort: nothing a listener did may break the poll.
    }
  }
}

/**
 * The poll as the transport names itself (`'polling at https://…/token'`), for
 * its errors; read only when a flow fails, so a poll holds nothing more. A
 * transport that names itself wrongly (not a string, a getter that throws)
 * cannot keep the flow from settling: it is then not named.
 */
function transportOperation(transport: TokenTransport): string | undefined {
  try {
    const operation: unknown = transport.operation;
    return typeof operation === 'string' && operation !== '' ? operation : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Builds an error without capturing a stack trace. The driver settles from
 * timer and answer callbacks, so the frames of its errors would only ever name
 * its own internals; capturing them (and collecting them later) was most of
 * what settling a flow cost (see bench/RESULTS.md, scale). Where
 * `Error.stackTraceLimit` cannot be set (a frozen `Error`), the stack is captured as usual.
 */
function withoutStack<T>(make: () => T): T {
  const limit = Error.stackTraceLimit;
  try {
    Error.stackTraceLimit = 0;
  } catch {
    return make();
  }
  try {
    return make();
  } finally {
    Error.stackTraceLimit = limit;
  }
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
