import type { OAuthErrorDetail, TransientOutcome } from './outcome.js';

/**
 * Where a flow is. Tagged by `status`; every field is read-only.
 *
 * `idle` exists only before the `start` input. The three active statuses say
 * what the last answer was: `pending` (`authorization_pending`, or nothing yet),
 * `slow-down` (the server asked for a longer interval) and `retrying` (waiting
 * out a transient fault). The five terminal statuses absorb every input.
 * @group Lifecycle
 */
export type PollState<TToken = unknown> = IdleState | ActiveState | TerminalState<TToken>;

/** Every terminal state. @group Lifecycle */
export type TerminalState<TToken = unknown> =
  | GrantedState<TToken>
  | DeniedState
  | ExpiredState
  | FailedState
  | CancelledState;

/** Every status a flow can have. @group Lifecycle */
export type PollStatus = PollState['status'];

/** Before `start`. @group Lifecycle */
export interface IdleState {
  /** Always `'idle'`. */
  readonly status: 'idle';
}

/**
 * How long the machine waits, after aborting a request that ran past
 * `requestTimeoutMs`, for that request's own answer before it counts the
 * timeout as a fault. A transport that honours its signal answers at once
 * (with the abort error, or with what the server had already sent); this
 * bounds the wait for one that does not.
 * @group Lifecycle
 */
export const ABORT_GRACE_MS = 1_000;

/**
 * A flow that is still polling. `phase` says whether it is waiting for its
 * next poll, has a request in flight, or has aborted a request that ran past
 * its timeout and awaits that request's last word.
 * @group Lifecycle
 */
export interface ActiveState {
  /** What the last answer was: `pending` (or no answer yet), `slow-down` or `retrying`. */
  readonly status: 'pending' | 'slow-down' | 'retrying';
  /**
   * `waiting` until the next poll; `polling` while a request is in flight;
   * `aborting` once a request ran past `requestTimeoutMs` and was aborted, until
   * its answer comes back (at most {@link ABORT_GRACE_MS} later): the abort may
   * have cut a grant's body, and a spent device code must not be sent again.
   */
  readonly phase: 'waiting' | 'polling' | 'aborting';
  /** The interval floor in force, in milliseconds. Never decreases. */
  readonly intervalMs: number;
  /** Monotonic time (ms) of the input that made this state: the last time the machine knew. */
  readonly at: number;
  /** When the device code expires on the monotonic clock. */
  readonly deadlineAt: number;
  /** When the caller's own timeout ends the flow (`Infinity` when none). */
  readonly timeoutAt: number;
  /** While waiting: when the next poll is due. While polling: when the request times out. While aborting: when to stop waiting for its answer. */
  readonly dueAt: number;
  /** Requests sent so far. */
  readonly attempt: number;
  /** When the latest request was sent. */
  readonly lastRequestAt: number | undefined;
  /** When the request before it was sent. */
  readonly previousRequestAt: number | undefined;
  /** The wait that preceded the latest request, for the timeout doubling rule. */
  readonly lastWaitMs: number;
  /** Consecutive transient faults. Reset by any well-formed OAuth answer. */
  readonly faults: number;
  /** The previous transient backoff delay (0 after a reset). */
  readonly backoffMs: number;
  /** Consecutive `slow_down` answers whose spacing complied with the floor (the first request's measured from when the code was issued). */
  readonly compliantSlowDowns: number;
  /** Consecutive answers with a code from `pendingErrorCodes`, waited out as pending. Reset by `authorization_pending` and `slow_down`. */
  readonly pendingErrors: number;
  /** Whether the clock-drift warning has been emitted. */
  readonly driftWarned: boolean;
}

interface TerminalBase {
  /** Requests sent in all. */
  readonly attempt: number;
  /** When the flow settled on the monotonic clock. */
  readonly at: number;
}

/** The grant arrived. @group Lifecycle */
export interface GrantedState<TToken = unknown> extends TerminalBase {
  /** Always `'granted'`. */
  readonly status: 'granted';
  /** The token the grant carried. */
  readonly token: TToken;
}

/** The user refused (`access_denied`). @group Lifecycle */
export interface DeniedState extends TerminalBase {
  /** Always `'denied'`. */
  readonly status: 'denied';
  /** The server's `access_denied` error. */
  readonly error: OAuthErrorDetail;
}

/**
 * The flow ran out of time. `source` tells why:
 * - `server`: the server answered `expired_token`;
 * - `deadline`: the device code's `expires_in` passed on the local clock;
 * - `timeout`: the caller's own `timeoutMs` passed first.
 * @group Lifecycle
 */
export interface ExpiredState extends TerminalBase {
  /** Always `'expired'`. */
  readonly status: 'expired';
  /** Whose clock ran out: the server's, the device code's deadline, or the caller's timeout. */
  readonly source: 'server' | 'deadline' | 'timeout';
  /** The server's error, when `source` is `server`. */
  readonly error?: OAuthErrorDetail;
}

/** The flow stopped on an error. @group Lifecycle */
export interface FailedState extends TerminalBase {
  /** Always `'failed'`. */
  readonly status: 'failed';
  /** Why the flow failed. */
  readonly failure: Failure;
}

/** The caller cancelled, by `cancel()` or through its AbortSignal. @group Lifecycle */
export interface CancelledState extends TerminalBase {
  /** Always `'cancelled'`. */
  readonly status: 'cancelled';
  /** The reason given to `cancel()` or the signal's `reason`. */
  readonly reason: unknown;
}

/**
 * Why a flow failed.
 * - `oauth_error`: the server answered an OAuth error other than pending, slow-down, denied or expired.
 * - `retries_exhausted`: too many consecutive transient faults; `fault` is the last.
 * - `lost_grant`: a success answer could not be read, and the device code may be consumed.
 * - `invalid_response`: an answer that is none of the above.
 * - `transport_error`: the transport or classifier threw something unrecognised.
 * - `callback_error`: another callback the caller supplied (clock, random source, backoff,
 *   classifier setup) threw; the driver reports it with the `crash` input.
 * @group Lifecycle
 */
export type Failure =
  | {
      /** Always `'oauth_error'`. */
      readonly kind: 'oauth_error';
      /** The OAuth error the server answered. */
      readonly error: OAuthErrorDetail;
    }
  | {
      /** Always `'retries_exhausted'`. */
      readonly kind: 'retries_exhausted';
      /** The last transient fault. */
      readonly fault: TransientOutcome;
      /** Consecutive transient faults, the last included. */
      readonly faults: number;
    }
  | {
      /** Always `'lost_grant'`. */
      readonly kind: 'lost_grant';
      /** The HTTP status of the unreadable success answer, when known. */
      readonly status?: number;
      /** What was wrong with the answer. */
      readonly message: string;
      /** The underlying error, such as what reading the body threw (non-enumerable). */
      readonly cause?: unknown;
    }
  | {
      /** Always `'invalid_response'`. */
      readonly kind: 'invalid_response';
      /** The HTTP status, when known. */
      readonly status?: number;
      /** What was wrong with the answer. */
      readonly message: string;
    }
  | {
      /** Always `'transport_error'`. */
      readonly kind: 'transport_error';
      /** A description of what was thrown. */
      readonly message: string;
      /** What the transport or classifier threw (non-enumerable). */
      readonly cause?: unknown;
    }
  | {
      /** Always `'callback_error'`. */
      readonly kind: 'callback_error';
      /** A description of what was thrown. */
      readonly message: string;
      /** What the callback threw (non-enumerable). */
      readonly cause?: unknown;
    };

/**
 * Whether a state is terminal (it absorbs every input).
 * @example
 * ```ts
 * import { isTerminal } from 'tokenpoll';
 * poll.on('stateChange', () => {
 *   if (isTerminal(poll.state)) console.error(`ended ${poll.state.status}`); // granted, denied, expired, failed or cancelled
 * });
 * ```
 * @group Lifecycle
 */
export function isTerminal<TToken>(state: PollState<TToken>): state is TerminalState<TToken> {
  return state.status !== 'idle' && !isActive(state);
}

/**
 * Whether a state is active (polling or waiting to poll).
 * @example
 * ```ts
 * import { isActive } from 'tokenpoll';
 * if (isActive(poll.state)) console.error(`polling: attempt ${poll.state.attempt}`); // pending, slow-down or retrying
 * ```
 * @group Lifecycle
 */
export function isActive(state: PollState<unknown>): state is ActiveState {
  return state.status === 'pending' || state.status === 'slow-down' || state.status === 'retrying';
}
