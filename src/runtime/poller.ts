import { checkedOutcome, classifyTokenResponse, type Classifier, type TransportAnswer } from '../classify/classify.js';
import { systemClock, type Clock } from '../clock/clock.js';
import type { PollConfig } from '../core/config.js';
import type { AbortEffect, PollEffect, PollInput } from '../core/input.js';
import type { TokenOutcome, TokenSet } from '../core/outcome.js';
import { restoreConfig, restoreState, resumesInFlight, resumeTransition } from '../core/resume.js';
import { isTerminal, type ActiveState, type PollState, type TerminalState } from '../core/state.js';
import { initialState, transition, type Transition } from '../core/transition.js';
import { ConfigurationError } from '../errors/failures.js';
import { errorFromState } from '../errors/from-state.js';
import type { TokenRequestContext, TokenTransport } from '../transports/types.js';
import type { PollEvents, PollListener } from './events.js';
import { IsolatedEmitter } from './listeners.js';
import { resolveOptions, type PollTokenOptions } from './options.js';
import { cancelableResult, type CancelablePromise } from './result.js';
import { checkPollSnapshot, pollSnapshotOf, type PollSnapshot, type Snapshot } from './snapshot.js';

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
  /**
   * Writes the flow down, to be resumed in another process with
   * {@link resumePoll}: plain JSON, times in wall-clock ms. A request in
   * flight now is resumed as failed in transit. Before the poll has started
   * (in the microtask after `pollToken`), it is the state it starts in.
   * Reads the clock; changes nothing: the poll goes on.
   *
   * A snapshot is one moment. Take a new one after each answer (the
   * `pending`, `slowDown` and `retry` events) to keep what it changed: a flow
   * resumed from an older one has the older floor, so it may poll sooner than
   * a later `slow_down` asked, and be told `slow_down` again.
   * @throws {@link SnapshotUnavailableError} once the flow has settled.
   */
  snapshot(): PollSnapshot;
}

/** What the driver feeds the machine: an input, or the first step of a resumed flow. */
type DriverInput<TToken> = PollInput<TToken> | { readonly type: 'resume'; readonly now: number; readonly random: number | undefined };

/** How a resumed poll starts: the state and config read back from its snapshot. @internal */
export interface ResumeFrom {
  readonly state: ActiveState;
  readonly config: PollConfig;
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
  readonly #customBackoff: boolean;
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
  #queue: (() => DriverInput<TToken>)[] | undefined;
  #feeding = false;

  constructor(options: PollTokenOptions<TToken>, resume?: ResumeFrom) {
    this.#config = resume?.config ?? resolveOptions(options);
    this.#customBackoff = options.backoff !== undefined;
    this.#transport = options.transport;
    this.#classify = options.classify ?? (classifyTokenResponse as unknown as Classifier<TToken>);
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#unref = options.unref ?? false;
    this.#signal = options.signal;
    this.#signal?.addEventListener('abort', this.#onAbort, { once: true });
    // A resumed poll is in its snapshot's state from the start; its first step is taken where a new poll starts.
    if (resume) this.#state = resume.state;
    // Start in a microtask, so that listeners attached right after pollToken() returns see every event.
    queueMicrotask(() => {
      if (this.#signal?.aborted) this.cancel(this.#signal.reason);
      else if (resume) this.#feed(() => this.#resumeInput(resume.state));
      else this.#feed(() => ({ type: 'start', now: this.#clock.now() }));
    });
  }

  snapshot(): PollSnapshot {
    return pollSnapshotOf(this.#state, this.#config, this.#customBackoff, this.#clock);
  }

  /** The first input of a resumed flow; a random number only for the answer an in-flight request is resumed with. */
  #resumeInput(state: ActiveState): DriverInput<TToken> {
    return { type: 'resume', now: this.#clock.now(), random: resumesInFlight(state) ? this.#random() : undefined };
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
  #feed(input: () => DriverInput<TToken>): void {
    if (this.#feeding) {
      (this.#queue ??= []).push(input);
      return;
    }
    this.#feeding = true;
    try {
      for (let next: (() => DriverInput<TToken>) | undefined = input; next; next = this.#queue?.shift()) {
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

  #apply(input: DriverInput<TToken>): void {
    const { state, effects } = this.#step(input);
    this.#state = state;
    for (const effect of effects) this.#run(effect);
  }

  #step(input: DriverInput<TToken>): Transition<TToken> {
    if (input.type !== 'resume') return transition(this.#state, input, this.#config);
    // A cancel may have come first: a settled flow absorbs the resume as any other input.
    const state = this.#state;
    return isTerminal(state) || state.status === 'idle' ? { state, effects: [] } : resumeTransition(state, input.now, this.#config, input.random);
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
    const answer = await askTransport(this.#transport, { attempt, signal: controller.signal });
    this.#takeRequest(attempt);
    // A settled flow absorbs every input: the caller's classifier need not read an answer nobody waits for.
    if (isTerminal(this.#state)) return;
    this.#feed(() => ({ type: 'responseReceived', now: this.#clock.now(), attempt, outcome: classifyAnswer(this.#classify, answer, () => this.#clock.wallNow()), random: this.#random() }));
  }

  /** Takes request `attempt`'s controller out of the requests in flight (and drops the map once none is left). */
  #takeRequest(attempt: number): AbortController | undefined {
    const controller = this.#requests?.get(attempt);
    this.#requests?.delete(attempt);
    if (this.#requests?.size === 0) this.#requests = undefined;
    return controller;
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

/** Sends one request through the transport: what it returned, or what it threw. Never rejects. The fleet's workers send with it too. @internal */
export async function askTransport(transport: TokenTransport, context: TokenRequestContext): Promise<TransportAnswer> {
  try {
    return { ok: true, value: await (typeof transport === 'function' ? transport(context) : transport.request(context)) };
  } catch (error) {
    return { ok: false, error };
  }
}

/**
 * The answer as an outcome. A classifier (or a wall clock) that throws, or an
 * outcome that is malformed, fails the flow, as the rules say. The fleet's
 * workers classify with it too.
 * @internal
 */
export function classifyAnswer<TToken>(classify: Classifier<TToken>, answer: TransportAnswer, wallNow: () => number): TokenOutcome<TToken> {
  try {
    return checkedOutcome<TToken>(classify(answer, { wallNow: wallNow() }), 'the classifier');
  } catch (error) {
    return { type: 'transport_error', message: `the classifier threw: ${describe(error)}`, cause: error };
  }
}

/** What the transport's signal is aborted with: the caller's own reason for a cancel. The fleet's workers use it too. @internal */
export function abortReason(effect: AbortEffect): unknown {
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

/**
 * Options for {@link resumePoll}: what a snapshot cannot hold. The transport
 * (it knows the device code), and the callbacks of the original poll:
 * `classify`, `backoff` (required when the snapshot says the flow had a custom
 * one), `random`. Every other setting (intervals, timeouts, retry budget,
 * pending error codes) comes from the snapshot.
 * @group Snapshots
 */
export type ResumePollOptions<TToken = TokenSet> = Pick<PollTokenOptions<TToken>, 'transport' | 'classify' | 'clock' | 'random' | 'signal' | 'backoff' | 'unref'>;

/**
 * Continues a poll written down with {@link PollHandle.snapshot}, in this
 * process: the same deadline and caller's timeout (wall time), the same
 * interval floor (a `slow_down` before the snapshot still counts), the same
 * retry counters. The next poll comes when it was due; a poll that fell due
 * meanwhile is sent at once. A snapshot taken with a request in flight
 * resumes as if that request failed in transit (a transient
 * `network_error`): the next poll waits the backoff, never less than the
 * floor, from now, so it never follows a request that may have reached the
 * server sooner than the floor allows.
 *
 * The snapshot is checked whole before anything starts.
 * @example
 * ```ts
 * import { pollToken, resumePoll } from 'tokenpoll';
 * // process 1
 * const poll = pollToken({ transport, intervalSeconds: 5, expiresInSeconds: 900 });
 * await store.put(id, JSON.stringify(poll.snapshot()));
 * // process 2, after a restart
 * const resumed = resumePoll(JSON.parse(await store.get(id)), { transport });
 * const token = await resumed.result;
 * ```
 * @throws {@link SnapshotInvalidError} for anything but a poll snapshot in good order (a sealed one included),
 * {@link SnapshotVersionError} for a newer format, {@link SnapshotExpiredError} when its deadline or timeout
 * passed, {@link ConfigurationError} for bad options.
 * @group Snapshots
 */
export function resumePoll<TToken = TokenSet>(snapshot: Snapshot, options: ResumePollOptions<TToken>): PollHandle<TToken> {
  return new Poller<TToken>(options as PollTokenOptions<TToken>, resumeFrom(snapshot, options));
}

/**
 * Checks a poll snapshot and the options it is resumed with, and reads it
 * back onto the clock of `options`.
 * @throws as {@link resumePoll}.
 * @internal
 */
export function resumeFrom<TToken>(snapshot: unknown, options: ResumePollOptions<TToken>, path = ''): ResumeFrom {
  // The options first, as pollToken checks them (the expiry is the snapshot's): the clock is read below.
  resolveOptions<TToken>({ ...options, expiresInSeconds: 1 } as PollTokenOptions<TToken>);
  const clock = options.clock ?? systemClock;
  const now = clock.now();
  const wallNow = clock.wallNow();
  const checked = checkPollSnapshot(snapshot, wallNow, path);
  if (checked.config.backoff === 'custom' && options.backoff === undefined) {
    throw new ConfigurationError('backoff', 'the snapshot was taken from a poll with a custom backoff: pass it again');
  }
  return { state: restoreState(checked.state, now, wallNow, checked.takenAt), config: restoreConfig(checked.config, options.backoff) };
}
