import type { CoreEvents } from '../core/events.js';
import type { TokenSet } from '../core/outcome.js';
import type { ExpiredState } from '../core/state.js';
import type { TokenPollError } from '../errors/base.js';
import type { AccessDeniedError, ExpiredTokenError, PollTimeoutError } from '../errors/outcomes.js';
import type { PollCancelledError } from '../errors/failures.js';

/**
 * Every lifecycle event a poll emits, by name. Each listener gets one frozen
 * payload object. Exactly one of `granted`, `denied`, `expired`, `failed` and
 * `cancelled` ends every flow, and nothing is emitted after it. Only
 * `granted` carries a secret: the token the caller asked for.
 * @group Events
 */
export interface PollEvents<TToken = TokenSet> extends CoreEvents {
  /** The grant arrived (terminal). */
  granted: GrantedEvent<TToken>;
  /** The user refused (terminal). */
  denied: TerminalEvent<AccessDeniedError>;
  /** The flow ran out of time (terminal). */
  expired: ExpiredEvent;
  /** The flow stopped on an error (terminal). */
  failed: TerminalEvent<TokenPollError>;
  /** The caller cancelled (terminal). */
  cancelled: TerminalEvent<PollCancelledError>;
}

/** What every terminal event carries. @group Events */
export interface TerminalEvent<TError extends TokenPollError> {
  /** The error the result rejects with. */
  readonly error: TError;
  /** Requests sent in all. */
  readonly attempt: number;
  /** Monotonic time (ms) when the flow settled. */
  readonly at: number;
}

/** The flow ran out of time; `source` says whose clock. @group Events */
export interface ExpiredEvent extends TerminalEvent<ExpiredTokenError | PollTimeoutError> {
  /** `server`, `deadline` (the device code's lifetime) or `timeout` (the caller's own). */
  readonly source: ExpiredState['source'];
}

/** The grant arrived. @group Events */
export interface GrantedEvent<TToken = TokenSet> {
  /** The token the grant carried (a secret). */
  readonly token: TToken;
  /** Requests sent in all. */
  readonly attempt: number;
  /** Monotonic time (ms) when the flow settled. */
  readonly at: number;
}

/** A listener for event `K`. @group Events */
export type PollListener<TToken, K extends keyof PollEvents<TToken>> = (payload: PollEvents<TToken>[K]) => void;

/** Names of the terminal events. @group Events */
export type TerminalEventName = 'granted' | 'denied' | 'expired' | 'failed' | 'cancelled';
