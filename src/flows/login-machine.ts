import { createConfig } from '../core/config.js';
import type { Failure, TerminalState } from '../core/state.js';
import type { TokenPollError } from '../errors/base.js';
import { CallbackError, PollCancelledError } from '../errors/failures.js';
import { OAuthError } from '../errors/outcomes.js';
import type { PollEvents, TerminalEventName } from '../runtime/events.js';
import type { DeviceAuthorization } from '../transports/types.js';
import { endOf, LOGIN_RULES, type LoginRule } from './login-rules.js';
import type { CodeEvent, LoginEvents } from './login-types.js';

/** What the machine knows beyond its state. @internal */
export interface LoginConfig {
  /** The caller gave a `restart` policy, so there is someone to ask. */
  readonly hasRestartPolicy: boolean;
  /** The provider can register its client again (AWS): `client-rejected` ends exist. */
  readonly canReregister: boolean;
  /** The poll's `maxLifetimeMs`, so the `code` event's expiry is the poll's. */
  readonly maxLifetimeMs: number | undefined;
}

/** A poll event, or one the login holds back until it knows whether the poll's end is the login's. @internal */
export interface LoginEmit {
  readonly type: 'emit';
  readonly name: keyof LoginEvents<unknown>;
  readonly payload: unknown;
}

/** How a step ended, with the events held back until the login knows what follows. @internal */
export interface HeldEnd<TToken> {
  readonly result: { readonly ok: true; readonly token: TToken } | { readonly ok: false; readonly error: TokenPollError };
  readonly held: readonly LoginEmit[];
  /**
   * The login's own terminal state, when the step was not a poll (asking for a code failed).
   * Absent when a poll ended: that poll's terminal state is the login's.
   */
  readonly state?: TerminalState<TToken> | undefined;
}

interface Counters {
  /** New codes asked for after the first (the `restart` of the `code` event). */
  readonly restarts: number;
  /** The client was registered again already (once per login). */
  readonly reregistered: boolean;
  /** Requests the latest poll sent (0 before any): the `attempt` of an end the login makes itself. */
  readonly attempt: number;
}

/**
 * Where a login is:
 * - `authorizing`: asking for a device code (after registering again, on a renew);
 * - `polling`: a poll runs; `held` is the poll's end as far as it has come;
 * - `restarting`, `re-registering`: the poll ended and the caller's `restart` policy is asked;
 * - `forgetting`: the login ends, once the rejected registration is forgotten;
 * - `settled`: the end, which absorbs every input. `state` is the login's own terminal
 *   state when it did not end with a poll's end (asking for a code failed, a cancel between
 *   polls, a crash); when it did, it is absent, and the last poll's terminal state is the login's.
 * @internal
 */
export type LoginMachineState<TToken> = Counters &
  (
    | { readonly status: 'authorizing' }
    | { readonly status: 'polling'; readonly held: readonly LoginEmit[] }
    | { readonly status: 'restarting' | 're-registering' | 'forgetting'; readonly end: HeldEnd<TToken> }
    | { readonly status: 'settled'; readonly outcome: TerminalEventName; readonly state: TerminalState<TToken> | undefined }
  );

/** What the driver feeds the machine; `now` is the clock's monotonic time. @internal */
export type LoginInput<TToken> =
  | { readonly type: 'start'; readonly now: number }
  | { readonly type: 'authorized'; readonly now: number; readonly authorization: DeviceAuthorization }
  | { readonly type: 'pollStarted'; readonly now: number; readonly wallNow: number; readonly authorization: DeviceAuthorization; readonly resumed?: boolean }
  | { readonly type: 'failed'; readonly now: number; readonly error: TokenPollError }
  | { readonly type: 'pollEvent'; readonly now: number; readonly name: keyof PollEvents<TToken>; readonly payload: unknown }
  | { readonly type: 'answered'; readonly now: number; readonly yes: boolean }
  | { readonly type: 'forgotten'; readonly now: number }
  | { readonly type: 'cancel'; readonly now: number; readonly reason: unknown }
  /** A callback the caller supplied (the clock, say) threw while the driver built an input or carried out an effect. */
  | { readonly type: 'crash'; readonly now: number; readonly error: unknown };

/** What the driver carries out, in order. @internal */
export type LoginEffect<TToken> =
  | { readonly type: 'authorize'; readonly renew: boolean }
  | { readonly type: 'poll'; readonly authorization: DeviceAuthorization }
  | { readonly type: 'cancelPoll'; readonly reason: unknown }
  | { readonly type: 'ask'; readonly restarts: number; readonly error: TokenPollError }
  | { readonly type: 'forget' }
  | { readonly type: 'abort'; readonly reason: unknown }
  | LoginEmit
  | { readonly type: 'settle'; readonly result: HeldEnd<TToken>['result'] };

/** The machine's answer to one input. @internal */
export interface LoginStep<TToken> {
  readonly state: LoginMachineState<TToken>;
  readonly effects: readonly LoginEffect<TToken>[];
}

/** The state before `start`. @internal */
export const initialLoginState: LoginMachineState<never> = Object.freeze({ status: 'authorizing', restarts: 0, reregistered: false, attempt: 0 });

const TERMINAL: ReadonlySet<string> = new Set<TerminalEventName>(['granted', 'denied', 'expired', 'failed', 'cancelled']);

/**
 * The login's lifecycle, as a pure function: authorizing → polling → (restarting |
 * re-registering → authorizing…) → settled. No I/O, no timers, no clock: time comes in
 * with the inputs, and what to do goes out as effects. Settled absorbs every input; a
 * `crash` settles the login failed from anywhere else.
 * @internal
 */
export function loginTransition<TToken>(state: LoginMachineState<TToken>, input: LoginInput<TToken>, config: LoginConfig): LoginStep<TToken> {
  if (state.status === 'settled') return step(state);
  const counters: Counters = { restarts: state.restarts, reregistered: state.reregistered, attempt: state.attempt };
  switch (input.type) {
    case 'start':
      return step({ ...counters, status: 'authorizing' }, { type: 'authorize', renew: false });
    case 'authorized':
      return state.status === 'authorizing' ? step(state, { type: 'poll', authorization: input.authorization }) : step(state);
    case 'pollStarted':
      if (state.status !== 'authorizing') return step(state);
      // A new poll: no request sent yet.
      return step({ ...counters, attempt: 0, status: 'polling', held: [] }, { type: 'emit', name: 'code', payload: codeEvent(input, state.restarts, config) });
    case 'failed': {
      if (state.status !== 'authorizing') return step(state);
      const own = ownEnd<TToken>(input.error, state.attempt, input.now);
      const held: LoginEmit = { type: 'emit', name: own.status, payload: Object.freeze({ error: input.error, attempt: state.attempt, at: input.now }) };
      const end: HeldEnd<TToken> = { result: { ok: false, error: input.error }, held: [held], state: own };
      return follow(LOGIN_RULES.authorizing[endOf(input.error, config.canReregister)], counters, end, config);
    }
    case 'pollEvent': {
      if (state.status !== 'polling') return step(state);
      const emit: LoginEmit = { type: 'emit', name: input.name, payload: input.payload };
      const attempt = attemptOf(input.payload) ?? state.attempt;
      // The poll's end (its terminal event, and the stateChange into it) waits until the login knows what follows.
      if (!isEnding(input.name, input.payload)) return step(attempt === state.attempt ? state : { ...state, attempt }, emit);
      const held = [...state.held, emit];
      if (!TERMINAL.has(input.name)) return step({ ...state, held });
      const payload = input.payload as { readonly token?: TToken; readonly error?: TokenPollError };
      const end: HeldEnd<TToken> = { result: input.name === 'granted' ? { ok: true, token: payload.token as TToken } : { ok: false, error: payload.error! }, held };
      return follow(LOGIN_RULES.polling[end.result.ok ? 'granted' : endOf(end.result.error, config.canReregister)], { ...counters, attempt }, end, config);
    }
    case 'answered':
      if (state.status !== 'restarting' && state.status !== 're-registering') return step(state);
      // A yes asks for a new code after one was shown: that is a restart, which the `code` event counts.
      if (input.yes) return startOver({ ...counters, restarts: counters.restarts + 1 }, state.status === 're-registering');
      return giveUp(state.status === 're-registering', counters, state.end);
    case 'forgotten':
      return state.status === 'forgetting' ? settle(counters, state.end) : step(state);
    case 'cancel': {
      // A running poll cancels itself, and its `cancelled` end comes back as a poll event.
      if (state.status === 'polling') return step(state, { type: 'cancelPoll', reason: input.reason });
      const error = new PollCancelledError(input.reason);
      const at = input.now;
      const cancelled: LoginEmit = { type: 'emit', name: 'cancelled', payload: Object.freeze({ error, attempt: state.attempt, at }) };
      const own: TerminalState<TToken> = Object.freeze({ status: 'cancelled', reason: input.reason, attempt: state.attempt, at });
      return step({ ...counters, status: 'settled', outcome: 'cancelled', state: own }, { type: 'abort', reason: input.reason }, cancelled, { type: 'settle', result: { ok: false, error } });
    }
    case 'crash':
      return crash(state, input.now, input.error);
    default: {
      const unknown: never = input;
      throw new TypeError(`unknown login input ${String((unknown as { type?: unknown }).type)}`);
    }
  }
}

/**
 * A callback the caller supplied threw: the login settles failed with a {@link CallbackError},
 * as a poll does, after cancelling the poll, if one runs, and aborting whatever else is in flight
 * (the authorize call, the restart question, forgetting). What the poll held back is dropped.
 */
function crash<TToken>(state: Exclude<LoginMachineState<TToken>, { status: 'settled' }>, at: number, thrown: unknown): LoginStep<TToken> {
  const message = `a callback threw: ${describeThrown(thrown)}`;
  const error = new CallbackError(message, thrown);
  const reason = new DOMException('The login failed: a callback threw', 'AbortError');
  const own: TerminalState<TToken> = Object.freeze({ status: 'failed', failure: withCause({ kind: 'callback_error', message }, thrown), attempt: state.attempt, at });
  const counters: Counters = { restarts: state.restarts, reregistered: state.reregistered, attempt: state.attempt };
  const failed: LoginEmit = { type: 'emit', name: 'failed', payload: Object.freeze({ error, attempt: state.attempt, at }) };
  // A poll may run before the machine knows it (made, but not yet started): `cancelPoll` cancels it if there is one.
  return step({ ...counters, status: 'settled', outcome: 'failed', state: own }, { type: 'cancelPoll', reason }, { type: 'abort', reason }, failed, { type: 'settle', result: { ok: false, error } });
}

/** Applies a rule to a step's end. */
function follow<TToken>(rule: LoginRule, counters: Counters, end: HeldEnd<TToken>, config: LoginConfig): LoginStep<TToken> {
  if (rule.then === 'settle') return settle(counters, end);
  const renew = rule.then === 're-register';
  if (renew && counters.reregistered) return giveUp(renew, counters, end);
  if (!rule.ask) return startOver(counters, renew);
  if (!config.hasRestartPolicy) return giveUp(renew, counters, end);
  const error = (end.result as { readonly error: TokenPollError }).error;
  return step({ ...counters, status: renew ? 're-registering' : 'restarting', end }, { type: 'ask', restarts: counters.restarts, error });
}

/** A new code (after a new registration when `renew`): a held end is dropped, and never emitted. */
function startOver<TToken>(counters: Counters, renew: boolean): LoginStep<TToken> {
  return step({ ...counters, reregistered: counters.reregistered || renew, status: 'authorizing' }, { type: 'authorize', renew });
}

/** The login does not start over: the end stands, once a rejected registration is forgotten. */
function giveUp<TToken>(renew: boolean, counters: Counters, end: HeldEnd<TToken>): LoginStep<TToken> {
  return renew ? step({ ...counters, status: 'forgetting', end }, { type: 'forget' }) : settle(counters, end);
}

/** The end stands: its held events go out, then the result settles. */
function settle<TToken>(counters: Counters, end: HeldEnd<TToken>): LoginStep<TToken> {
  const outcome = outcomeOf(end);
  return step({ ...counters, status: 'settled', outcome, state: end.state }, ...end.held, { type: 'settle', result: end.result });
}

/** The terminal state of a login that ended because asking for a code failed: cancelled, or failed with what was thrown. */
function ownEnd<TToken>(error: TokenPollError, attempt: number, at: number): TerminalState<TToken> {
  if (error instanceof PollCancelledError) return Object.freeze({ status: 'cancelled', reason: error.cause, attempt, at });
  const failure: Failure =
    error instanceof OAuthError
      ? { kind: 'oauth_error', error: error.error }
      : error instanceof CallbackError
        ? withCause({ kind: 'callback_error', message: error.message }, error.cause)
        : withCause({ kind: 'transport_error', message: error.message }, error);
  return Object.freeze({ status: 'failed', failure: Object.freeze(failure), attempt, at });
}

/** A failure with its `cause` kept but not enumerable, as the poll's failures keep theirs: a JSON dump of the state does not print it. */
function withCause<TFailure extends { readonly kind: 'transport_error' | 'callback_error'; readonly message: string }>(failure: TFailure, cause: unknown): TFailure {
  return Object.freeze(Object.defineProperty({ ...failure }, 'cause', { value: cause, enumerable: false }));
}

/** The `attempt` a poll event carries, if any. */
function attemptOf(payload: unknown): number | undefined {
  const attempt = (payload as { readonly attempt?: unknown } | undefined)?.attempt;
  return typeof attempt === 'number' ? attempt : undefined;
}

/** A thrown value as text, whatever it is (one whose `toString` throws included). */
function describeThrown(error: unknown): string {
  try {
    return error instanceof Error ? error.message : String(error);
  } catch {
    return 'a value that cannot be printed';
  }
}

function outcomeOf(end: HeldEnd<unknown>): TerminalEventName {
  const last = end.held.at(-1)?.name;
  return last !== undefined && TERMINAL.has(last) ? (last as TerminalEventName) : end.result.ok ? 'granted' : 'failed';
}

/** Whether a poll event is (or announces) the poll's end. */
function isEnding(name: keyof PollEvents<unknown>, payload: unknown): boolean {
  if (name === 'stateChange') return TERMINAL.has((payload as PollEvents<unknown>['stateChange']).to);
  return TERMINAL.has(name);
}

/** The `code` event: when the code expires, by the same sanitising the poll applies (defaults, ceilings). */
function codeEvent(input: Extract<LoginInput<unknown>, { type: 'pollStarted' }>, restart: number, config: LoginConfig): CodeEvent {
  const { authorization, now } = input;
  const { lifetimeMs } = createConfig({ expiresIn: authorization.expiresInSeconds, maxLifetimeMs: config.maxLifetimeMs });
  const expiresInMs = Math.max(0, Math.min(authorization.issuedAt, now) + lifetimeMs - now);
  const event: { -readonly [K in keyof CodeEvent]: CodeEvent[K] } = {
    userCode: authorization.userCode,
    verificationUri: authorization.verificationUri,
    expiresAt: input.wallNow + expiresInMs,
    expiresInMs,
    restart,
  };
  if (authorization.verificationUriComplete !== undefined) event.verificationUriComplete = authorization.verificationUriComplete;
  if (authorization.message !== undefined) event.message = authorization.message;
  if (input.resumed === true) event.resumed = true;
  return Object.freeze(event);
}

function step<TToken>(state: LoginMachineState<TToken>, ...effects: LoginEffect<TToken>[]): LoginStep<TToken> {
  return Object.freeze({ state: Object.freeze(state), effects: Object.freeze(effects) });
}
