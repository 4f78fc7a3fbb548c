import { parseSeconds, slowDownInterval } from '../backoff/device-flow.js';
import { backoffDelay, transientWaitMs } from '../backoff/transient.js';
import type { ConfigWarning, PollConfig } from './config.js';
import { summarizeFault, type CoreEvents } from './events.js';
import type { AbortEffect, PollEffect, PollInput } from './input.js';
import { isTransientOutcome, type InvalidResponseOutcome, type OAuthErrorDetail, type TokenOutcome, type TransientOutcome, type UnreadableSuccessOutcome } from './outcome.js';
import { ABORT_GRACE_MS, isTerminal, type ActiveState, type ExpiredState, type Failure, type IdleState, type PollState, type TerminalState } from './state.js';

/**
 * The result of one step of the state machine: the next state and what the
 * driver must do.
 * @group Lifecycle
 */
export interface Transition<TToken = unknown> {
  /** The next state. */
  readonly state: PollState<TToken>;
  /** The effects for the driver to carry out, in order. */
  readonly effects: readonly PollEffect<TToken>[];
}

/**
 * The state every flow starts in, before its `start` input.
 * @group Lifecycle
 */
export const initialState: IdleState = Object.freeze({ status: 'idle' });

const NO_EFFECTS: readonly PollEffect<never>[] = Object.freeze([]);

/**
 * Where {@link advance} writes a step's effects, and how it may build them.
 * {@link transition} uses a fresh one that builds everything; the driver
 * reuses its own, so a poll allocates no effects array, no event payloads
 * nobody listens to and no state copy.
 * @internal
 */
export interface StepSink<TToken = unknown> {
  /** The effects, in order: the step appends to it. */
  readonly effects: PollEffect<TToken>[];
  /** Whether to build `emit` effects (false when nobody listens: the step then leaves them out). */
  readonly emits: boolean;
  /**
   * Whether an active state passed in may be updated in place rather than
   * copied: only for a state that no one else holds (the driver's own, whose
   * callers only ever see frozen copies). Terminal states are always new.
   */
  readonly inPlace: boolean;
}

type Effects<TToken> = StepSink<TToken>;
type Active = ActiveState;
type TerminalWithoutBase<TToken> = TerminalState<TToken> extends infer T
  ? T extends TerminalState<TToken>
    ? Omit<T, 'attempt' | 'at'>
    : never
  : never;

/**
 * The state machine of one device-flow token poll: a pure function from a
 * state, an input and the flow's config to the next state and its effects.
 * It reads no clock, draws no random number and does no I/O: time and
 * randomness arrive with the input, and waits leave as `schedule` effects.
 * Terminal states absorb every input.
 *
 * @example
 * Drive it by hand, as the driver does.
 * ```ts
 * import { createConfig, initialState, transition } from 'tokenpoll';
 * const config = createConfig({ interval: 5, expiresIn: 600 });
 * let step = transition(initialState, { type: 'start', now: 0 }, config);
 * // step.effects: stateChange, then { type: 'schedule', at: 5000, delayMs: 5000 }
 * step = transition(step.state, { type: 'timerFired', now: 5000 }, config);
 * // step.effects: attempt, { type: 'request', attempt: 1 }, schedule the request timeout
 * step = transition(step.state, { type: 'responseReceived', now: 5100, outcome: { type: 'slow_down' } }, config);
 * // step.state.intervalMs === 10000
 * ```
 * @see {@link https://www.rfc-editor.org/rfc/rfc8628#section-3.5 | RFC 8628 §3.5}
 * @group Lifecycle
 */
export function transition<TToken>(
  state: PollState<TToken>,
  input: PollInput<TToken>,
  config: PollConfig,
): Transition<TToken> {
  const sink: StepSink<TToken> = { effects: [], emits: true, inPlace: false };
  const next = advance(state, input, config, sink);
  return { state: next, effects: sink.effects.length > 0 ? sink.effects : NO_EFFECTS };
}

/**
 * {@link transition}, writing its effects into `sink` and returning the next
 * state: the one implementation of every rule, which the driver calls
 * directly. With `sink.emits` false it leaves out the `emit` effects; with
 * `sink.inPlace` it may update and return the active state it was given.
 * @internal
 */
export function advance<TToken>(state: PollState<TToken>, input: PollInput<TToken>, config: PollConfig, sink: StepSink<TToken>): PollState<TToken> {
  if (isTerminal(state)) return state;
  if (input.type === 'cancel') {
    const attempt = state.status === 'idle' ? 0 : state.attempt;
    const abort: AbortEffect | undefined =
      state.status !== 'idle' && state.phase === 'polling' ? { type: 'abort', cause: 'cancel', reason: input.reason } : undefined;
    return settle(state, { status: 'cancelled', reason: input.reason }, attempt, input.now, sink, abort);
  }
  if (state.status === 'idle') return input.type === 'start' ? start(config, input.now, sink) : state;
  switch (input.type) {
    case 'start':
      return state;
    case 'timerFired':
      return onTimer(state, input.now, input.random ?? 0.5, config, sink);
    case 'responseReceived':
      if (state.phase === 'waiting') return state;
      return onResponse(state, answerOf(state, input.outcome, config), input.now, input.random ?? 0.5, config, sink);
    default: {
      const unknown: never = input;
      throw new TypeError(`unknown input ${String((unknown as { type: unknown }).type)}`);
    }
  }
}

function start<TToken>(config: PollConfig, now: number, effects: Effects<TToken>): PollState<TToken> {
  announce(effects, 'stateChange', { from: 'idle', to: 'pending', at: now });
  for (const warning of config.warnings) warn(effects, warning, now);
  let issuedAt = config.issuedAt ?? now;
  if (issuedAt > now) {
    const message = `issuedAt is ${issuedAt - now} ms ahead of the clock's now() (was it read from another clock?); counting from now instead`;
    warn(effects, { code: 'issued-at-in-future', message, value: issuedAt }, now);
    issuedAt = now;
  }
  const state: Active = {
    status: 'pending',
    phase: 'waiting',
    intervalMs: config.intervalMs,
    deadlineAt: issuedAt + config.lifetimeMs,
    timeoutAt: now + config.timeoutMs,
    dueAt: now,
    attempt: 0,
    lastRequestAt: undefined,
    previousRequestAt: undefined,
    lastWaitMs: config.intervalMs,
    faults: 0,
    backoffMs: 0,
    compliantSlowDowns: 0,
    driftWarned: false,
    pendingErrors: 0,
  };
  const expired = overdue(state, now);
  if (expired) return settle(state, expired, 0, now, effects);
  const firstAt = config.firstPoll === 'immediate' ? now : issuedAt + config.intervalMs;
  if (firstAt <= now) return poll(state, now, config, effects);
  return waitUntil(draft(state, effects), 'pending', firstAt, now, effects);
}

function onTimer<TToken>(state: Active, now: number, random: number, config: PollConfig, effects: Effects<TToken>): PollState<TToken> {
  if (now >= state.timeoutAt) return settle(state, { status: 'expired', source: 'timeout' }, state.attempt, now, effects, abortIfPolling(state, 'timeout'));
  if (state.phase === 'waiting') {
    if (now >= state.deadlineAt) return settle(state, { status: 'expired', source: 'deadline' }, state.attempt, now, effects);
    if (now >= state.dueAt) return poll(state, now, config, effects);
    return waitUntil(draft(state, effects), state.status, state.dueAt, now, effects);
  }
  if (now < state.dueAt) {
    effects.effects.push(schedule(Math.min(state.dueAt, state.timeoutAt), now));
    return state;
  }
  // The aborted request never answered (its transport ignores the signal): the timeout is the fault.
  if (state.phase === 'aborting') return onFault<TToken>(state, requestTimeout(config), now, random, config, effects);
  // The request ran past requestTimeoutMs: abort it, and wait for its answer before anything else,
  // since the abort may cut a grant whose body was arriving.
  const next = draft(state, effects);
  next.phase = 'aborting';
  next.dueAt = now + ABORT_GRACE_MS;
  effects.effects.push({ type: 'abort', cause: 'request-timeout' }, schedule(Math.min(next.dueAt, next.timeoutAt), now));
  return next;
}

/** The fault a request that ran past `requestTimeoutMs` counts as. */
function requestTimeout(config: PollConfig): TransientOutcome {
  return { type: 'timeout', message: `no answer within ${config.requestTimeoutMs} ms` };
}

/**
 * What an answer means. While aborting, a failure of the request itself (a
 * transient fault, or a thrown error the classifier does not know, such as a
 * client library's own cancel error) is what the abort caused, so it is the
 * request timeout; anything else is what the server said before the abort (a
 * grant, a lost grant, a pending answer) and counts as it is.
 */
function answerOf<TToken>(state: Active, outcome: TokenOutcome<TToken>, config: PollConfig): TokenOutcome<TToken> {
  const abortError = isTransientOutcome(outcome) || outcome.type === 'transport_error';
  return state.phase === 'aborting' && abortError ? requestTimeout(config) : outcome;
}

function onResponse<TToken>(
  state: Active,
  outcome: TokenOutcome<TToken>,
  now: number,
  random: number,
  config: PollConfig,
  effects: Effects<TToken>,
): PollState<TToken> {
  const attempt = state.attempt;
  switch (outcome.type) {
    case 'success':
      return settle(state, { status: 'granted', token: outcome.token }, attempt, now, effects);
    case 'access_denied':
      return settle(state, { status: 'denied', error: outcome.error }, attempt, now, effects);
    case 'expired_token':
      return settle(state, { status: 'expired', source: 'server', error: outcome.error }, attempt, now, effects);
    case 'oauth_error':
      if (!isPendingError(state, outcome.error, config)) {
        return settle(state, { status: 'failed', failure: { kind: 'oauth_error', error: outcome.error } }, attempt, now, effects);
      }
      break;
    case 'unreadable_success':
      return settle(state, { status: 'failed', failure: lostGrant(outcome) }, attempt, now, effects);
    case 'invalid_response':
      return settle(state, { status: 'failed', failure: invalidResponse(outcome) }, attempt, now, effects);
    case 'transport_error':
      return settle(state, { status: 'failed', failure: { kind: 'transport_error', message: outcome.message, cause: outcome.cause } }, attempt, now, effects);
    default:
      break;
  }
  const expired = overdue(state, now);
  if (expired) return settle(state, expired, attempt, now, effects);
  switch (outcome.type) {
    case 'authorization_pending':
      return onPending<TToken>(state, now, config, effects, undefined);
    case 'oauth_error':
      // A code the caller listed in pendingErrorCodes, within its budget (checked above).
      return onPending<TToken>(state, now, config, effects, outcome.error);
    case 'slow_down':
      return onSlowDown<TToken>(state, outcome.interval, now, config, effects);
    default:
      return onFault<TToken>(state, outcome, now, random, config, effects);
  }
}

/**
 * `authorization_pending`, or (with `error`) an answer whose code is in
 * `pendingErrorCodes`: waits the interval floor and polls again. Only the
 * latter counts towards `maxPendingErrors`; a real `authorization_pending`
 * resets the count.
 */
function onPending<TToken>(state: Active, now: number, config: PollConfig, effects: Effects<TToken>, error: OAuthErrorDetail | undefined): PollState<TToken> {
  const attempt = state.attempt;
  const dueAt = Math.max(now, intervalBase(state, now, config) + state.intervalMs);
  const pendingErrors = error === undefined ? 0 : state.pendingErrors + 1;
  if (state.status !== 'pending') announce(effects, 'stateChange', { from: state.status, to: 'pending', at: now });
  if (effects.emits) {
    const event: { -readonly [K in keyof CoreEvents['pending']]: CoreEvents['pending'][K] } = { attempt, at: now, nextPollInMs: cutWait(state, now, dueAt - now) };
    if (error !== undefined) event.error = error;
    announce(effects, 'pending', event);
  }
  const next = draft(state, effects);
  next.faults = 0;
  next.backoffMs = 0;
  next.compliantSlowDowns = 0;
  next.pendingErrors = pendingErrors;
  return waitUntil(next, 'pending', dueAt, now, effects, next.intervalMs, true);
}

/** Whether an OAuth error is one the caller listed in `pendingErrorCodes`, with budget left to wait it out. */
function isPendingError(state: Active, error: OAuthErrorDetail, config: PollConfig): boolean {
  return config.pendingErrors.codes.has(error.code) && state.pendingErrors < config.pendingErrors.max;
}

function onSlowDown<TToken>(state: Active, interval: unknown, now: number, config: PollConfig, effects: Effects<TToken>): PollState<TToken> {
  const serverMs = serverInterval(interval, now, config, effects);
  const previousIntervalMs = state.intervalMs;
  const previousStatus = state.status;
  const base = intervalBase(state, now, config);
  const intervalMs = slowDownInterval(previousIntervalMs, serverMs);
  // The first request has no earlier one: it is measured from when the code was issued, where the server counts from.
  const since = state.previousRequestAt ?? issuedAt(state, config);
  const compliant = state.lastRequestAt !== undefined && state.lastRequestAt - since >= previousIntervalMs;
  const compliantSlowDowns = compliant ? state.compliantSlowDowns + 1 : 0;
  const warnDrift = !state.driftWarned && compliantSlowDowns >= config.driftThreshold;
  // `state` may be the very object `raised` is (sink.inPlace): everything read from it is read above.
  const raised = draft(state, effects);
  raised.intervalMs = intervalMs;
  raised.faults = 0;
  raised.backoffMs = 0;
  raised.compliantSlowDowns = compliantSlowDowns;
  raised.pendingErrors = 0;
  raised.driftWarned = raised.driftWarned || warnDrift;
  if (previousStatus !== 'slow-down') announce(effects, 'stateChange', { from: previousStatus, to: 'slow-down', at: now });
  if (effects.emits) {
    announce(effects, 'slowDown', {
      attempt: raised.attempt,
      at: now,
      previousIntervalMs,
      intervalMs,
      reason: intervalMs > previousIntervalMs + 5000 ? 'server-interval' : 'increment',
    });
  }
  if (warnDrift) {
    warn(
      effects,
      {
        code: 'clock-drift-suspected',
        message: `${compliantSlowDowns} slow_down answers in a row although requests were at least the interval apart; the server's clock may run fast against this one`,
        value: compliantSlowDowns,
      },
      now,
    );
  }
  return waitUntil(raised, 'slow-down', base + intervalMs, now, effects, intervalMs, true);
}

function onFault<TToken>(
  state: Active,
  fault: TransientOutcome,
  now: number,
  random: number,
  config: PollConfig,
  effects: Effects<TToken>,
): PollState<TToken> {
  const expired = overdue(state, now);
  if (expired) return settle(state, expired, state.attempt, now, effects);
  const faults = state.faults + 1;
  if (faults > config.transientRetries) {
    return settle(state, { status: 'failed', failure: { kind: 'retries_exhausted', fault, faults } }, state.attempt, now, effects);
  }
  const backoffMs = backoffDelay(config.backoff, { attempt: faults, previousDelayMs: state.backoffMs, random });
  let delayMs = transientWaitMs(state.intervalMs, backoffMs, 'retryAfterMs' in fault ? fault.retryAfterMs : undefined);
  // RFC 8628 §3.5: after a connection timeout, reduce the polling frequency; doubling is recommended.
  // The doubling stops at the backoff's cap, but never cuts what the floor, the backoff or Retry-After ask for.
  if (fault.type === 'timeout') delayMs = Math.max(delayMs, Math.min(state.lastWaitMs * 2, timeoutCeilingMs(config)));
  if (state.status !== 'retrying') announce(effects, 'stateChange', { from: state.status, to: 'retrying', at: now });
  if (effects.emits) {
    announce(effects, 'retry', {
      fault: summarizeFault(fault),
      attempt: state.attempt,
      faults,
      // What the flow will really wait: a wait that would cross the deadline ends there.
      delayMs: cutWait(state, now, delayMs),
      retriesLeft: config.transientRetries - faults,
    });
  }
  const next = draft(state, effects);
  next.faults = faults;
  next.backoffMs = backoffMs;
  return waitUntil(next, 'retrying', now + delayMs, now, effects, delayMs, true);
}

/**
 * How far the wait after a request timeout may double: the backoff's own cap
 * (`maxDelayMs`), or 60 s (the default backoff's) for a strategy without one.
 */
function timeoutCeilingMs(config: PollConfig): number {
  const cap = config.backoff.maxDelayMs;
  return typeof cap === 'number' && cap >= 0 ? cap : DEFAULT_TIMEOUT_CEILING_MS;
}

const DEFAULT_TIMEOUT_CEILING_MS = 60_000;

/** Reads the `interval` a `slow_down` answer carried, clamped to the ceiling; warns about bad values. */
function serverInterval<TToken>(interval: unknown, now: number, config: PollConfig, effects: Effects<TToken>): number | undefined {
  if (interval === undefined) return undefined;
  const parsed = parseSeconds(interval);
  if (!parsed.ok) {
    const message = `slow_down carried an interval that is not a positive number of seconds (${typeof interval === 'string' ? JSON.stringify(interval.slice(0, 32)) : String(interval)}); adding 5 s instead`;
    warn(effects, { code: 'interval-invalid', message, value: interval }, now);
    return undefined;
  }
  if (parsed.ms <= config.maxIntervalMs) return parsed.ms;
  const message = `slow_down asked for an interval of ${parsed.ms / 1000} s, above the ceiling; using ${config.maxIntervalMs / 1000} s`;
  warn(effects, { code: 'interval-clamped', message, value: interval }, now);
  return config.maxIntervalMs;
}

/** Sends a request now: emits `attempt`, asks for the request, and schedules its timeout. */
function poll<TToken>(state: Active, now: number, config: PollConfig, effects: Effects<TToken>): Active {
  const attempt = state.attempt + 1;
  const previousRequestAt = state.lastRequestAt;
  const next = draft(state, effects);
  next.phase = 'polling';
  next.attempt = attempt;
  next.previousRequestAt = previousRequestAt;
  next.lastRequestAt = now;
  next.dueAt = now + config.requestTimeoutMs;
  if (effects.emits) {
    const event: { -readonly [K in keyof CoreEvents['attempt']]: CoreEvents['attempt'][K] } = { attempt, at: now, intervalMs: next.intervalMs };
    if (previousRequestAt !== undefined) event.sinceLastRequestMs = now - previousRequestAt;
    announce(effects, 'attempt', event);
  }
  effects.effects.push({ type: 'request', attempt }, schedule(Math.min(next.dueAt, next.timeoutAt), now));
  return next;
}

/**
 * Waits until `dueAt` (never before now). The wake-up is cut short at the
 * deadline or the caller's timeout, where the flow then settles. Takes a
 * {@link draft} and fills it in.
 */
function waitUntil<TToken>(
  state: Draft,
  status: Active['status'],
  dueAt: number,
  now: number,
  effects: Effects<TToken>,
  waitMs: number = state.lastWaitMs,
  statusAnnounced = false,
): Active {
  if (!statusAnnounced && state.status !== status) announce(effects, 'stateChange', { from: state.status, to: status, at: now });
  const due = Math.max(now, dueAt);
  effects.effects.push(schedule(wakeAt(state, due), now));
  state.status = status;
  state.phase = 'waiting';
  state.dueAt = due;
  state.lastWaitMs = waitMs;
  return state;
}

type Draft = { -readonly [K in keyof Active]: Active[K] };

/**
 * The active state to fill in before it is returned: the state itself when
 * the sink allows updates in place (the driver's own state), else a fresh
 * copy. The copy is written out field by field: the state keeps one shape,
 * and V8 copies it an order of magnitude faster than an object spread
 * (measured in bench/). Callers read what they need from `s` before writing
 * to the draft, since the two may be one object.
 */
function draft<TToken>(s: Active, sink: StepSink<TToken>): Draft {
  if (sink.inPlace) return s as Draft;
  return {
    status: s.status,
    phase: s.phase,
    intervalMs: s.intervalMs,
    deadlineAt: s.deadlineAt,
    timeoutAt: s.timeoutAt,
    dueAt: s.dueAt,
    attempt: s.attempt,
    lastRequestAt: s.lastRequestAt,
    previousRequestAt: s.previousRequestAt,
    lastWaitMs: s.lastWaitMs,
    faults: s.faults,
    backoffMs: s.backoffMs,
    compliantSlowDowns: s.compliantSlowDowns,
    driftWarned: s.driftWarned,
    pendingErrors: s.pendingErrors,
  };
}

/** When a wait for `dueAt` really wakes the machine: at the deadline or the caller's timeout, if sooner. */
function wakeAt(state: Active, dueAt: number): number {
  return Math.min(dueAt, state.deadlineAt, state.timeoutAt);
}

/** A wait of `waitMs` from `now`, cut at the deadline or the caller's timeout; exact when not cut. */
function cutWait(state: Active, now: number, waitMs: number): number {
  const wake = wakeAt(state, now + waitMs);
  return wake === now + waitMs ? waitMs : wake - now;
}

function lostGrant(outcome: UnreadableSuccessOutcome): Failure {
  return outcome.status === undefined
    ? { kind: 'lost_grant', message: outcome.message, cause: outcome.cause }
    : { kind: 'lost_grant', message: outcome.message, cause: outcome.cause, status: outcome.status };
}

function invalidResponse(outcome: InvalidResponseOutcome): Failure {
  return outcome.status === undefined
    ? { kind: 'invalid_response', message: outcome.message }
    : { kind: 'invalid_response', message: outcome.message, status: outcome.status };
}

/**
 * When the device code was issued (the sanitised `issuedAt`), recovered from
 * the deadline `start` set from it rather than kept in every flow's state.
 */
function issuedAt(state: Active, config: PollConfig): number {
  return state.deadlineAt - config.lifetimeMs;
}

function intervalBase(state: Active, now: number, config: PollConfig): number {
  return config.intervalFrom === 'request' && state.lastRequestAt !== undefined ? state.lastRequestAt : now;
}

function overdue(state: Active, now: number): Omit<ExpiredState, 'attempt' | 'at'> | undefined {
  if (now >= state.timeoutAt) return { status: 'expired', source: 'timeout' };
  if (now >= state.deadlineAt) return { status: 'expired', source: 'deadline' };
  return undefined;
}

function abortIfPolling(state: Active, cause: AbortEffect['cause']): AbortEffect | undefined {
  return state.phase === 'polling' ? { type: 'abort', cause } : undefined;
}

/**
 * Ends the flow. `terminal` must be a fresh object: it is completed with
 * `attempt` and `at` and frozen, rather than copied (settling 100,000
 * cancelled flows at once is measured in bench/, scale).
 */
function settle<TToken>(
  from: PollState<TToken>,
  terminal: TerminalWithoutBase<TToken>,
  attempt: number,
  now: number,
  effects: Effects<TToken>,
  abort?: AbortEffect,
): TerminalState<TToken> {
  const state = terminal as { -readonly [K in keyof TerminalState<TToken>]: TerminalState<TToken>[K] } & { failure?: Failure };
  state.attempt = attempt;
  state.at = now;
  if (state.status === 'failed') state.failure = hiddenCause(state.failure!);
  Object.freeze(state);
  const settled = state as TerminalState<TToken>;
  if (abort) effects.effects.push(abort);
  announce(effects, 'stateChange', { from: from.status, to: settled.status, at: now });
  effects.effects.push({ type: 'settle', state: settled });
  return settled;
}

/**
 * A failure's `cause` is what the transport threw, which may hold request
 * details (an HTTP client's error often carries the request body). It stays
 * reachable but is made non-enumerable, so a JSON dump of the state leaves it out.
 */
function hiddenCause(failure: Failure): Failure {
  if (failure.kind === 'retries_exhausted') return Object.freeze({ ...failure, fault: withHiddenCause(failure.fault) });
  return 'cause' in failure ? withHiddenCause(failure) : failure;
}

function withHiddenCause<T extends object>(value: T): T {
  if (!('cause' in value)) return value;
  const copy = { ...value };
  Object.defineProperty(copy, 'cause', { value: value.cause, enumerable: false });
  return Object.freeze(copy);
}

function schedule<TToken>(at: number, now: number): PollEffect<TToken> {
  return { type: 'schedule', at, delayMs: Math.max(0, at - now) };
}

/** Appends an `emit` effect, unless the sink leaves them out. Payloads worth skipping are built under `if (sink.emits)`. */
function announce<TToken, K extends keyof CoreEvents>(sink: StepSink<TToken>, name: K, payload: CoreEvents[K]): void {
  if (sink.emits) sink.effects.push({ type: 'emit', name, payload } as unknown as PollEffect<TToken>);
}

function warn<TToken>(sink: StepSink<TToken>, warning: ConfigWarning, now: number): void {
  announce(sink, 'warning', { code: warning.code, message: warning.message, at: now, value: warning.value });
}
