import { parseSeconds, slowDownInterval } from '../backoff/device-flow.js';
import { backoffDelay, transientWaitMs } from '../backoff/transient.js';
import type { ConfigWarning, PollConfig } from './config.js';
import { summarizeFault, type CoreEvents } from './events.js';
import type { AbortEffect, PollEffect, PollInput } from './input.js';
import type { InvalidResponseOutcome, TokenOutcome, TransientOutcome, UnreadableSuccessOutcome } from './outcome.js';
import { isTerminal, type ActiveState, type ExpiredState, type Failure, type IdleState, type PollState, type TerminalState } from './state.js';

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

type Effects<TToken> = PollEffect<TToken>[];
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
  if (isTerminal(state)) return { state, effects: NO_EFFECTS };
  if (input.type === 'cancel') {
    const attempt = state.status === 'idle' ? 0 : state.attempt;
    const abort: AbortEffect | undefined =
      state.status !== 'idle' && state.phase === 'polling' ? { type: 'abort', cause: 'cancel', reason: input.reason } : undefined;
    return settle(state, { status: 'cancelled', reason: input.reason }, attempt, input.now, [], abort);
  }
  if (state.status === 'idle') return input.type === 'start' ? start(config, input.now) : { state, effects: NO_EFFECTS };
  switch (input.type) {
    case 'start':
      return { state, effects: NO_EFFECTS };
    case 'timerFired':
      return onTimer(state, input.now, input.random ?? 0.5, config);
    case 'responseReceived':
      return state.phase === 'polling'
        ? onResponse(state, input.outcome, input.now, input.random ?? 0.5, config)
        : { state, effects: NO_EFFECTS };
    default: {
      const unknown: never = input;
      throw new TypeError(`unknown input ${String((unknown as { type: unknown }).type)}`);
    }
  }
}

function start<TToken>(config: PollConfig, now: number): Transition<TToken> {
  const effects: Effects<TToken> = [emit('stateChange', { from: 'idle', to: 'pending', at: now })];
  for (const warning of config.warnings) effects.push(warn(warning, now));
  let issuedAt = config.issuedAt ?? now;
  if (issuedAt > now) {
    const message = `issuedAt is ${issuedAt - now} ms ahead of the clock's now() (was it read from another clock?); counting from now instead`;
    effects.push(warn({ code: 'issued-at-in-future', message, value: issuedAt }, now));
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
  };
  const expired = overdue(state, now);
  if (expired) return settle(state, expired, 0, now, effects);
  const firstAt = config.firstPoll === 'immediate' ? now : issuedAt + config.intervalMs;
  if (firstAt <= now) return { state: poll(state, now, config, effects), effects };
  return { state: waitUntil(draft(state), 'pending', firstAt, now, effects), effects };
}

function onTimer<TToken>(state: Active, now: number, random: number, config: PollConfig): Transition<TToken> {
  const effects: Effects<TToken> = [];
  if (now >= state.timeoutAt) return settle(state, { status: 'expired', source: 'timeout' }, state.attempt, now, effects, abortIfPolling(state, 'timeout'));
  if (state.phase === 'waiting') {
    if (now >= state.deadlineAt) return settle(state, { status: 'expired', source: 'deadline' }, state.attempt, now, effects);
    if (now >= state.dueAt) return { state: poll(state, now, config, effects), effects };
    return { state: waitUntil(draft(state), state.status, state.dueAt, now, effects), effects };
  }
  if (now < state.dueAt) {
    effects.push(schedule(Math.min(state.dueAt, state.timeoutAt), now));
    return { state, effects };
  }
  // The request ran past requestTimeoutMs: abort it and treat it as a timeout fault.
  effects.push({ type: 'abort', cause: 'request-timeout' });
  const fault: TransientOutcome = { type: 'timeout', message: `no answer within ${config.requestTimeoutMs} ms` };
  return onFault<TToken>(state, fault, now, random, config, effects);
}

function onResponse<TToken>(
  state: Active,
  outcome: TokenOutcome<TToken>,
  now: number,
  random: number,
  config: PollConfig,
): Transition<TToken> {
  const effects: Effects<TToken> = [];
  const attempt = state.attempt;
  switch (outcome.type) {
    case 'success':
      return settle(state, { status: 'granted', token: outcome.token }, attempt, now, effects);
    case 'access_denied':
      return settle(state, { status: 'denied', error: outcome.error }, attempt, now, effects);
    case 'expired_token':
      return settle(state, { status: 'expired', source: 'server', error: outcome.error }, attempt, now, effects);
    case 'oauth_error':
      return settle(state, { status: 'failed', failure: { kind: 'oauth_error', error: outcome.error } }, attempt, now, effects);
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
    case 'authorization_pending': {
      const dueAt = Math.max(now, intervalBase(state, now, config) + state.intervalMs);
      if (state.status !== 'pending') effects.push(emit('stateChange', { from: state.status, to: 'pending', at: now }));
      effects.push(emit('pending', { attempt, at: now, nextPollInMs: cutWait(state, now, dueAt - now) }));
      const next = draft(state);
      next.faults = 0;
      next.backoffMs = 0;
      next.compliantSlowDowns = 0;
      return { state: waitUntil(next, 'pending', dueAt, now, effects, state.intervalMs, true), effects };
    }
    case 'slow_down':
      return onSlowDown<TToken>(state, outcome.interval, now, config, effects);
    default:
      return onFault<TToken>(state, outcome, now, random, config, effects);
  }
}

function onSlowDown<TToken>(state: Active, interval: unknown, now: number, config: PollConfig, effects: Effects<TToken>): Transition<TToken> {
  const serverMs = serverInterval(interval, now, config, effects);
  const intervalMs = slowDownInterval(state.intervalMs, serverMs);
  const compliant =
    state.previousRequestAt !== undefined &&
    state.lastRequestAt !== undefined &&
    state.lastRequestAt - state.previousRequestAt >= state.intervalMs;
  const compliantSlowDowns = compliant ? state.compliantSlowDowns + 1 : 0;
  const warnDrift = !state.driftWarned && compliantSlowDowns >= config.driftThreshold;
  const raised = draft(state);
  raised.intervalMs = intervalMs;
  raised.faults = 0;
  raised.backoffMs = 0;
  raised.compliantSlowDowns = compliantSlowDowns;
  raised.driftWarned = state.driftWarned || warnDrift;
  if (state.status !== 'slow-down') effects.push(emit('stateChange', { from: state.status, to: 'slow-down', at: now }));
  effects.push(
    emit('slowDown', {
      attempt: state.attempt,
      at: now,
      previousIntervalMs: state.intervalMs,
      intervalMs,
      reason: intervalMs > state.intervalMs + 5000 ? 'server-interval' : 'increment',
    }),
  );
  if (warnDrift) {
    effects.push(
      warn(
        {
          code: 'clock-drift-suspected',
          message: `${compliantSlowDowns} slow_down answers in a row although requests were at least the interval apart; the server's clock may run fast against this one`,
          value: compliantSlowDowns,
        },
        now,
      ),
    );
  }
  const next = waitUntil(raised, 'slow-down', intervalBase(state, now, config) + intervalMs, now, effects, intervalMs, true);
  return { state: next, effects };
}

function onFault<TToken>(
  state: Active,
  fault: TransientOutcome,
  now: number,
  random: number,
  config: PollConfig,
  effects: Effects<TToken>,
): Transition<TToken> {
  const expired = overdue(state, now);
  if (expired) return settle(state, expired, state.attempt, now, effects);
  const faults = state.faults + 1;
  if (faults > config.transientRetries) {
    return settle(state, { status: 'failed', failure: { kind: 'retries_exhausted', fault, faults } }, state.attempt, now, effects);
  }
  const backoffMs = backoffDelay(config.backoff, { attempt: faults, previousDelayMs: state.backoffMs, random });
  let delayMs = transientWaitMs(state.intervalMs, backoffMs, 'retryAfterMs' in fault ? fault.retryAfterMs : undefined);
  // RFC 8628 §3.5: after a connection timeout, reduce the polling frequency; doubling is recommended.
  if (fault.type === 'timeout') delayMs = Math.max(delayMs, state.lastWaitMs * 2);
  const retry: CoreEvents['retry'] = {
    fault: summarizeFault(fault),
    attempt: state.attempt,
    faults,
    // What the flow will really wait: a wait that would cross the deadline ends there.
    delayMs: cutWait(state, now, delayMs),
    retriesLeft: config.transientRetries - faults,
  };
  if (state.status !== 'retrying') effects.push(emit('stateChange', { from: state.status, to: 'retrying', at: now }));
  effects.push(emit('retry', retry));
  const next = draft(state);
  next.faults = faults;
  next.backoffMs = backoffMs;
  return { state: waitUntil(next, 'retrying', now + delayMs, now, effects, delayMs, true), effects };
}

/** Reads the `interval` a `slow_down` answer carried, clamped to the ceiling; warns about bad values. */
function serverInterval<TToken>(interval: unknown, now: number, config: PollConfig, effects: Effects<TToken>): number | undefined {
  if (interval === undefined) return undefined;
  const parsed = parseSeconds(interval);
  if (!parsed.ok) {
    const message = `slow_down carried an interval that is not a positive number of seconds (${typeof interval === 'string' ? JSON.stringify(interval.slice(0, 32)) : String(interval)}); adding 5 s instead`;
    effects.push(warn({ code: 'interval-invalid', message, value: interval }, now));
    return undefined;
  }
  if (parsed.ms <= config.maxIntervalMs) return parsed.ms;
  const message = `slow_down asked for an interval of ${parsed.ms / 1000} s, above the ceiling; using ${config.maxIntervalMs / 1000} s`;
  effects.push(warn({ code: 'interval-clamped', message, value: interval }, now));
  return config.maxIntervalMs;
}

/** Sends a request now: emits `attempt`, asks for the request, and schedules its timeout. */
function poll<TToken>(state: Active, now: number, config: PollConfig, effects: Effects<TToken>): Active {
  const attempt = state.attempt + 1;
  const next = draft(state);
  next.phase = 'polling';
  next.attempt = attempt;
  next.previousRequestAt = state.lastRequestAt;
  next.lastRequestAt = now;
  next.dueAt = now + config.requestTimeoutMs;
  const event: { -readonly [K in keyof CoreEvents['attempt']]: CoreEvents['attempt'][K] } = { attempt, at: now, intervalMs: state.intervalMs };
  if (state.lastRequestAt !== undefined) event.sinceLastRequestMs = now - state.lastRequestAt;
  effects.push(emit('attempt', event), { type: 'request', attempt }, schedule(Math.min(next.dueAt, next.timeoutAt), now));
  return next;
}

/**
 * Waits until `dueAt` (never before now). The wake-up is cut short at the
 * deadline or the caller's timeout, where the flow then settles. Takes a
 * fresh {@link draft} and fills it in.
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
  if (!statusAnnounced && state.status !== status) effects.push(emit('stateChange', { from: state.status, to: status, at: now }));
  const due = Math.max(now, dueAt);
  effects.push(schedule(wakeAt(state, due), now));
  state.status = status;
  state.phase = 'waiting';
  state.dueAt = due;
  state.lastWaitMs = waitMs;
  return state;
}

type Draft = { -readonly [K in keyof Active]: Active[K] };

/**
 * A fresh copy of an active state to fill in before it is returned. Written
 * out field by field: the state keeps one shape, and V8 copies it an order of
 * magnitude faster than an object spread (measured in bench/).
 */
function draft(s: Active): Draft {
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

function settle<TToken>(
  from: PollState<TToken>,
  terminal: TerminalWithoutBase<TToken>,
  attempt: number,
  now: number,
  effects: Effects<TToken>,
  abort?: AbortEffect,
): Transition<TToken> {
  const state = Object.freeze({ ...terminal, attempt, at: now, ...hiddenCause(terminal) }) as TerminalState<TToken>;
  if (abort) effects.push(abort);
  effects.push(emit('stateChange', { from: from.status, to: state.status, at: now }), { type: 'settle', state });
  return { state, effects };
}

/**
 * A failure's `cause` is what the transport threw, which may hold request
 * details (an HTTP client's error often carries the request body). It stays
 * reachable but is made non-enumerable, so a JSON dump of the state leaves it out.
 */
function hiddenCause<TToken>(terminal: TerminalWithoutBase<TToken>): object {
  if (terminal.status !== 'failed') return {};
  const failure = terminal.failure;
  if (failure.kind === 'retries_exhausted') return { failure: Object.freeze({ ...failure, fault: withHiddenCause(failure.fault) }) };
  return 'cause' in failure ? { failure: withHiddenCause(failure) } : {};
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

function emit<K extends keyof CoreEvents>(name: K, payload: CoreEvents[K]): PollEffect<never> {
  return { type: 'emit', name, payload } as unknown as PollEffect<never>;
}

function warn(warning: ConfigWarning, now: number): PollEffect<never> {
  return emit('warning', { code: warning.code, message: warning.message, at: now, value: warning.value });
}
