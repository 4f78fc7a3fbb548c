import type { PollConfig } from './config.js';
import type { PollEffect, PollInput } from './input.js';
import { isTransientOutcome, type TokenOutcome, type TransientOutcome } from './outcome.js';
import { OUTCOME_RULES, type AnswerKind } from './rules.js';
import { ABORT_GRACE_MS, isTerminal, type ActiveState, type IdleState, type PollState } from './state.js';
import { abortInFlight, emit, endingOf, schedule, settle, step, unchanged, warning, type Transition } from './step.js';
import { waitBackoff, waitInterval, waitSlowDown, waitUntil, wakeAt } from './waits.js';

export type { Transition } from './step.js';

/**
 * The state every flow starts in, before its `start` input.
 * @group Lifecycle
 */
export const initialState: IdleState = Object.freeze({ status: 'idle' });

/**
 * The state machine of one device-flow token poll: a pure function from a
 * state, an input and the flow's config to the next state and its effects.
 * It reads no clock, draws no random number and does no I/O: time and
 * randomness arrive with the input, and waits leave as `schedule` effects.
 * The state and effects it returns are fresh and frozen. Terminal states
 * absorb every input. What each answer does is {@link OUTCOME_RULES}.
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
 * step = transition(step.state, { type: 'responseReceived', now: 5100, attempt: 1, outcome: { type: 'slow_down' } }, config);
 * // step.state.intervalMs === 10000
 * ```
 * @see {@link https://www.rfc-editor.org/rfc/rfc8628#section-3.5 | RFC 8628 §3.5}
 * @group Lifecycle
 */
export function transition<TToken>(state: PollState<TToken>, input: PollInput<TToken>, config: PollConfig): Transition<TToken> {
  if (isTerminal(state)) return unchanged(state);
  switch (input.type) {
    case 'start':
      return state.status === 'idle' ? start(input.now, config) : unchanged(state);
    case 'timerFired':
      return state.status === 'idle' ? unchanged(state) : timerFired(state, input.now, input.random ?? 0.5, config);
    case 'responseReceived':
      return state.status === 'idle' ? unchanged(state) : responseReceived(state, input, config);
    case 'cancel':
      return settle(state, { status: 'cancelled', reason: input.reason }, input.now, abortInFlight(state, 'cancel', input.reason));
    case 'crash':
      return crash(state, input.now, input.error);
    default: {
      const unknown: never = input;
      throw new TypeError(`unknown input ${String((unknown as { type: unknown }).type)}`);
    }
  }
}

/** Starts polling: the first poll comes one interval after the code was issued, or at once. */
function start<TToken>(now: number, config: PollConfig): Transition<TToken> {
  const effects: PollEffect<TToken>[] = [emit('stateChange', { from: 'idle', to: 'pending', at: now })];
  for (const problem of config.warnings) effects.push(warning(problem, now));
  let issuedAt = config.issuedAt ?? now;
  if (issuedAt > now) {
    const message = `issuedAt is ${issuedAt - now} ms ahead of the clock's now() (was it read from another clock?); counting from now instead`;
    effects.push(warning({ code: 'issued-at-in-future', message, value: issuedAt }, now));
    issuedAt = now;
  }
  // Frozen, as every state is before the next one is copied from it (see step()).
  const state: ActiveState = Object.freeze({
    status: 'pending',
    phase: 'waiting',
    at: now,
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
    pendingErrors: 0,
    driftWarned: false,
  });
  const expired = overdue(state, now);
  if (expired) return settle(state, expired, now, effects);
  const firstAt = config.firstPoll === 'immediate' ? now : issuedAt + config.intervalMs;
  if (firstAt <= now) return poll(state, now, config, effects);
  return waitUntil(state, { status: 'pending' }, firstAt, now, config.intervalMs, effects);
}

/** The wake-up: poll when due, time a request out, or end the flow at its deadline or timeout. */
function timerFired<TToken>(state: ActiveState, now: number, random: number, config: PollConfig): Transition<TToken> {
  if (now >= state.timeoutAt) return settle(state, { status: 'expired', source: 'timeout' }, now, abortInFlight(state, 'timeout'));
  switch (state.phase) {
    case 'waiting':
      if (now >= state.deadlineAt) return settle(state, { status: 'expired', source: 'deadline' }, now);
      // A timer may fire a little early: then it is simply set again.
      return now >= state.dueAt ? poll(state, now, config) : unchanged(state, [schedule(wakeAt(state, state.dueAt), now)]);
    case 'polling': {
      if (now < state.dueAt) return unchanged(state, [schedule(Math.min(state.dueAt, state.timeoutAt), now)]);
      // The request ran past requestTimeoutMs: abort it, and wait for its answer before anything else,
      // since the abort may cut a grant whose body was arriving.
      const dueAt = now + ABORT_GRACE_MS;
      return step({ ...state, phase: 'aborting', at: now, dueAt }, [...abortInFlight(state, 'request-timeout'), schedule(Math.min(dueAt, state.timeoutAt), now)]);
    }
    case 'aborting':
      if (now < state.dueAt) return unchanged(state, [schedule(Math.min(state.dueAt, state.timeoutAt), now)]);
      // The aborted request never answered (its transport ignores the signal): the timeout is the fault.
      return answered(state, requestTimeout(config), now, random, config);
    default: {
      const unknown: never = state.phase;
      throw new TypeError(`unknown phase ${String(unknown)}`);
    }
  }
}

/** An answer: ignored unless it answers the request in flight; then what {@link OUTCOME_RULES} says. */
function responseReceived<TToken>(state: ActiveState, input: PollInput<TToken> & { type: 'responseReceived' }, config: PollConfig): Transition<TToken> {
  if (state.phase === 'waiting' || input.attempt !== state.attempt) {
    // A grant for a request already given up on (its transport ignored the abort) spent the device code: say so.
    return input.outcome.type === 'success' ? unchanged(state, [lateGrant(input.attempt, input.now)]) : unchanged(state);
  }
  // While aborting, a failure of the request itself (a transient fault, or a thrown error the classifier does not
  // know, such as a client library's own cancel error) is what the abort caused: the request timeout. Anything else
  // is what the server said before the abort (a grant, a lost grant, a pending answer) and counts as it is.
  const aborted = state.phase === 'aborting' && (isTransientOutcome(input.outcome) || input.outcome.type === 'transport_error');
  return answered(state, aborted ? requestTimeout(config) : input.outcome, input.now, input.random ?? 0.5, config);
}

/** A callback the caller supplied threw: the flow fails with `callback_error`, at the last time known if the clock was what threw. */
function crash<TToken>(state: IdleState | ActiveState, now: number, error: unknown): Transition<TToken> {
  const at = Number.isNaN(now) && state.status !== 'idle' ? state.at : now;
  const failure = { kind: 'callback_error', message: `a callback threw: ${describeThrown(error)}`, cause: error } as const;
  return settle(state, { status: 'failed', failure }, at, abortInFlight(state, 'crash'));
}

/** Applies the rule for an answer to the request in flight. */
function answered<TToken>(state: ActiveState, outcome: TokenOutcome<TToken>, now: number, random: number, config: PollConfig): Transition<TToken> {
  const rule = OUTCOME_RULES[answerKind(state, outcome, config)];
  // An answer that ends the flow counts even past the deadline: a grant for a request sent in time is kept.
  if (rule.then === 'settle') return settle(state, endingOf(rule, outcome), now);
  const expired = overdue(state, now);
  if (expired) return settle(state, expired, now);
  switch (rule.wait) {
    case 'interval':
      return waitInterval(state, rule, outcome, now, config);
    case 'slow-down':
      return waitSlowDown(state, rule, outcome, now, config);
    case 'backoff':
      // The table sends only the transient faults here; anything else would be a wrong row.
      if (!isTransientOutcome(outcome)) throw new TypeError(`OUTCOME_RULES: ${outcome.type} cannot be waited out with backoff`);
      return waitBackoff(state, rule, outcome, now, random, config);
    default: {
      const unknown: never = rule;
      throw new TypeError(`unknown rule ${JSON.stringify(unknown)}`);
    }
  }
}

/** Which rule an answer falls under: its type, or `pending_error_code` for a listed code with budget left. */
function answerKind<TToken>(state: ActiveState, outcome: TokenOutcome<TToken>, config: PollConfig): AnswerKind {
  const { codes, max } = config.pendingErrors;
  return outcome.type === 'oauth_error' && codes.has(outcome.error.code) && state.pendingErrors < max ? 'pending_error_code' : outcome.type;
}

/** Sends a request now: emits `attempt`, asks for the request, and schedules its timeout. */
function poll<TToken>(state: ActiveState, now: number, config: PollConfig, before: readonly PollEffect<TToken>[] = []): Transition<TToken> {
  const attempt = state.attempt + 1;
  const sent = state.lastRequestAt;
  const next: ActiveState = { ...state, phase: 'polling', at: now, attempt, previousRequestAt: sent, lastRequestAt: now, dueAt: now + config.requestTimeoutMs };
  return step(next, [
    ...before,
    emit('attempt', { attempt, at: now, intervalMs: state.intervalMs, ...(sent === undefined ? {} : { sinceLastRequestMs: now - sent }) }),
    { type: 'request', attempt },
    schedule(Math.min(next.dueAt, next.timeoutAt), now),
  ]);
}

/** The warning for a grant that answered a request the flow no longer waits for. */
function lateGrant<TToken>(attempt: number, now: number): PollEffect<TToken> {
  const message = `a grant answered request ${attempt} after the flow had given up on it; it is dropped, and the device code it spent will not be granted again`;
  return warning({ code: 'late-grant-dropped', message, value: attempt }, now);
}

/** The fault a request that ran past `requestTimeoutMs` counts as. */
function requestTimeout(config: PollConfig): TransientOutcome {
  return { type: 'timeout', message: `no answer within ${config.requestTimeoutMs} ms` };
}

/** The flow's own clocks: past the caller's timeout, or past the device code's deadline. */
function overdue(state: ActiveState, now: number): { readonly status: 'expired'; readonly source: 'timeout' | 'deadline' } | undefined {
  if (now >= state.timeoutAt) return { status: 'expired', source: 'timeout' };
  if (now >= state.deadlineAt) return { status: 'expired', source: 'deadline' };
  return undefined;
}

/** A thrown value as text, whatever it is (a value whose `toString` throws included). */
function describeThrown(error: unknown): string {
  try {
    return error instanceof Error ? error.message : String(error);
  } catch {
    return 'a value that cannot be printed';
  }
}
