import type { ConfigWarning } from './config.js';
import type { CoreEvents } from './events.js';
import type { AbortEffect, EmitEffect, PollEffect } from './input.js';
import type { OAuthErrorDetail, TokenOutcome } from './outcome.js';
import type { AnswerFailure, SettleRule } from './rules.js';
import type { ActiveState, Failure, IdleState, PollState, PollStatus, TerminalState } from './state.js';

// The pieces every step of the machine is built from: a frozen step, its effects, and the settle.

/**
 * The result of one step of the state machine: the next state and what the
 * driver must do.
 * @group Lifecycle
 */
export interface Transition<TToken = unknown> {
  /** The next state (frozen). */
  readonly state: PollState<TToken>;
  /** The effects for the driver to carry out, in order (frozen). */
  readonly effects: readonly PollEffect<TToken>[];
}

/** A terminal state before {@link settle} completes it with `attempt` and `at` (each member of the union without them). */
export type Ending<TToken> = TerminalState<TToken> extends infer TState ? (TState extends unknown ? Omit<TState, 'attempt' | 'at'> : never) : never;

/**
 * The step to `state` with `effects`: both frozen, and each effect too.
 *
 * Build each state as one copy of the frozen state before it
 * (`{ ...state, ...changes }`), never from a spread of an object that is not
 * frozen. A literal that starts with such a spread gets a hidden class V8
 * cannot extend in place, so freezing it (or adding a field to it) makes a
 * new hidden class on every call: that made every poll several times slower.
 */
export function step<TToken>(state: PollState<TToken>, effects: PollEffect<TToken>[]): Transition<TToken> {
  for (const effect of effects) Object.freeze(effect);
  return { state: Object.freeze(state), effects: Object.freeze(effects) };
}

/** The step that keeps `state` as it is (an input that does not apply, or a timer set again). */
export function unchanged<TToken>(state: PollState<TToken>, effects: PollEffect<TToken>[] = []): Transition<TToken> {
  return step(state, effects);
}

/** An `emit` effect with a frozen payload. */
export function emit<K extends keyof CoreEvents>(name: K, payload: CoreEvents[K]): EmitEffect<K> {
  // TypeScript cannot see that a name and a payload typed by the same K make one member of EmitEffect<K>.
  return { type: 'emit', name, payload: Object.freeze(payload) } as EmitEffect<K>;
}

/** A `warning` event. */
export function warning(problem: ConfigWarning, now: number): EmitEffect<'warning'> {
  return emit('warning', { code: problem.code, message: problem.message, at: now, value: problem.value });
}

/** A `stateChange` event, when the status does change. */
export function statusChange(from: PollStatus, to: PollStatus, now: number): EmitEffect<'stateChange'>[] {
  return from === to ? [] : [emit('stateChange', { from, to, at: now })];
}

/** Wake the machine at `at`. */
export function schedule(at: number, now: number): PollEffect<never> {
  return { type: 'schedule', at, delayMs: Math.max(0, at - now) };
}

/** Aborts the request in flight (phase `polling` or `aborting`), if there is one; `reason` only for a cancel. */
export function abortInFlight(state: IdleState | ActiveState, cause: AbortEffect['cause'], reason?: unknown): AbortEffect[] {
  if (state.status === 'idle' || state.phase === 'waiting') return [];
  return [cause === 'cancel' ? { type: 'abort', attempt: state.attempt, cause, reason } : { type: 'abort', attempt: state.attempt, cause }];
}

/**
 * Ends the flow: the terminal state (with `attempt` and `at`), after the
 * effects `before` (an `abort` for the request in flight among them), a
 * `stateChange` and the `settle` effect.
 */
export function settle<TToken>(from: IdleState | ActiveState, ending: Ending<TToken>, now: number, before: PollEffect<TToken>[] = []): Transition<TToken> {
  const base = { attempt: from.status === 'idle' ? 0 : from.attempt, at: now };
  // Object.assign, not `{ ...ending, ...base }`: `ending` is not frozen (see step()); the same goes for the copies below.
  const state: TerminalState<TToken> = ending.status === 'failed' ? Object.assign({}, ending, { failure: hiddenCause(ending.failure) }, base) : Object.assign({}, ending, base);
  return step(state, [...before, emit('stateChange', { from: from.status, to: state.status, at: now }), { type: 'settle', state }]);
}

/**
 * What an answer that ends the flow leaves in its terminal state: what its
 * rule says it becomes, with the answer's own fields, read by name (a
 * transport's outcome may carry more, which stays out).
 */
export function endingOf<TToken>(rule: SettleRule, outcome: TokenOutcome<TToken>): Ending<TToken> {
  // The default classifier checks that a success has its token and the OAuth errors their error.
  const said: Said<TToken> = outcome;
  switch (rule.as) {
    case 'granted':
      return { status: 'granted', token: said.token as TToken };
    case 'denied':
      return { status: 'denied', error: said.error! };
    case 'expired':
      return { status: 'expired', source: 'server', error: said.error! };
    case 'failed':
      return { status: 'failed', failure: failureOf(rule.failure, said) };
    default: {
      const unknown: never = rule;
      throw new TypeError(`unknown rule ${JSON.stringify(unknown)}`);
    }
  }
}

/** Every field an answer may carry, read without narrowing the answer: its rule, not its type, says which apply. */
interface Said<TToken> {
  readonly type: string;
  readonly token?: TToken;
  readonly error?: OAuthErrorDetail;
  readonly status?: number;
  readonly message?: string;
  readonly cause?: unknown;
}

function failureOf<TToken>(kind: AnswerFailure, said: Said<TToken>): Failure {
  const status = said.status === undefined ? {} : { status: said.status };
  switch (kind) {
    case 'oauth_error':
      return { kind, error: said.error! };
    case 'lost_grant':
      return { kind, message: said.message!, cause: said.cause, ...status };
    case 'invalid_response':
      return { kind, message: said.message!, ...status };
    case 'transport_error':
      return { kind, message: said.message!, cause: said.cause };
    default: {
      const unknown: never = kind;
      throw new TypeError(`unknown failure ${String(unknown)}`);
    }
  }
}

/**
 * A failure's `cause` is what the transport or a callback threw, which may
 * hold request details (an HTTP client's error often carries the request
 * body). It stays reachable but is made non-enumerable, so a JSON dump of the
 * state leaves it out.
 */
function hiddenCause(failure: Failure): Failure {
  if (failure.kind === 'retries_exhausted') return Object.freeze(Object.assign({}, failure, { fault: withHiddenCause(failure.fault) }));
  return withHiddenCause(failure);
}

function withHiddenCause<T extends object>(value: T): T {
  const copy = Object.assign({}, value);
  if ('cause' in value) Object.defineProperty(copy, 'cause', { value: value.cause, enumerable: false });
  return Object.freeze(copy);
}
