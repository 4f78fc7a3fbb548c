import type { PollStatus } from './state.js';
import type { OAuthErrorDetail, RetryableOutcome } from './outcome.js';

/**
 * The lifecycle events the state machine itself emits (everything but the
 * terminal event, which the driver derives from the terminal state).
 * Payloads carry no device code, client secret or token.
 * @group Events
 */
export interface CoreEvents {
  /** The status changed. */
  stateChange: StateChangeEvent;
  /** A token request is about to be sent. */
  attempt: AttemptEvent;
  /** The server answered `authorization_pending`, or an error code the caller listed in `pendingErrorCodes`. */
  pending: PendingEvent;
  /** The server answered `slow_down`. */
  slowDown: SlowDownEvent;
  /** A transient fault is being waited out. */
  retry: RetryEvent;
  /** Something odd but survivable happened. */
  warning: WarningEvent;
}

/** The status changed. @group Events */
export interface StateChangeEvent {
  /** The status before. */
  readonly from: PollStatus;
  /** The status after. */
  readonly to: PollStatus;
  /** Monotonic time (ms) when it happened. */
  readonly at: number;
}

/** A token request is about to be sent. @group Events */
export interface AttemptEvent {
  /** 1 for the first request. */
  readonly attempt: number;
  /** Monotonic time (ms) when it happened. */
  readonly at: number;
  /** The interval floor in force. */
  readonly intervalMs: number;
  /** Time since the previous request was sent, when there was one. */
  readonly sinceLastRequestMs?: number;
}

/**
 * `authorization_pending`: the user has not answered yet. Also emitted, with
 * `error`, for an answer whose error code is in `pendingErrorCodes`.
 * @see {@link https://www.rfc-editor.org/rfc/rfc8628#section-3.5 | RFC 8628 §3.5}
 * @group Events
 */
export interface PendingEvent {
  /** The request that was answered (1 for the first). */
  readonly attempt: number;
  /** Monotonic time (ms) when it happened. */
  readonly at: number;
  /** How long until the next poll. */
  readonly nextPollInMs: number;
  /** The server's error, when an error code from `pendingErrorCodes` was waited out as pending. */
  readonly error?: OAuthErrorDetail;
}

/**
 * The server asked for a longer interval (`slow_down`).
 * @see {@link https://www.rfc-editor.org/rfc/rfc8628#section-3.5 | RFC 8628 §3.5}
 * @group Events
 */
export interface SlowDownEvent {
  /** The request that was answered (1 for the first). */
  readonly attempt: number;
  /** Monotonic time (ms) when it happened. */
  readonly at: number;
  /** The interval floor before, in ms. */
  readonly previousIntervalMs: number;
  /** The interval floor now in force, in ms. */
  readonly intervalMs: number;
  /** `increment`: the RFC's +5 s. `server-interval`: the answer carried a larger `interval`. */
  readonly reason: 'increment' | 'server-interval';
}

/** A transient fault is being waited out. @group Events */
export interface RetryEvent {
  /** The fault, without its `cause` (which may hold request details). */
  readonly fault: FaultSummary;
  /** The request that failed (1-based, counting every request of the flow or call). */
  readonly attempt: number;
  /** Consecutive faults so far, this one included. */
  readonly faults: number;
  /** The wait before the next request. */
  readonly delayMs: number;
  /** How many more consecutive faults the budget allows. */
  readonly retriesLeft: number;
}

/** A transient fault as events report it. @group Events */
export interface FaultSummary {
  /** The kind of fault: a transient one, or `slow_down` when {@link retry} waits one out. */
  readonly type: RetryableOutcome['type'];
  /** A human-readable description of the fault. */
  readonly message: string;
  /** The HTTP status, for `server_error` and `rate_limited`. */
  readonly status?: number;
  /** The wait the server asked for with `Retry-After`, in ms. */
  readonly retryAfterMs?: number;
}

/**
 * Something odd but survivable. `code` says what:
 * - `interval-invalid`, `expires-in-invalid`: 0, negative, NaN or unreadable; the default was used;
 * - `interval-clamped`, `expires-in-clamped`: absurdly large; clamped to the ceiling;
 * - `issued-at-in-future`: `issuedAt` is later than the clock's `now()` (most likely read from another clock); now was used;
 * - `clock-drift-suspected`: repeated `slow_down` although the spacing complied;
 * - `listener-error`: an event listener threw (polling goes on);
 * - `late-grant-dropped`: a grant answered a request the flow had already given up on (its transport ignored the abort); the token is dropped, and the device code it spent will not be granted again.
 * @group Events
 */
export interface WarningEvent {
  /** Which kind of warning it is. */
  readonly code: WarningCode;
  /** A human-readable description. */
  readonly message: string;
  /** Monotonic time (ms) when it happened. */
  readonly at: number;
  /** The offending value, when it is not a secret. */
  readonly value?: unknown;
  /** The thrown error, for `listener-error`. */
  readonly cause?: unknown;
}

/** @group Events */
export type WarningCode =
  | 'interval-invalid'
  | 'interval-clamped'
  | 'expires-in-invalid'
  | 'expires-in-clamped'
  | 'issued-at-in-future'
  | 'clock-drift-suspected'
  | 'listener-error'
  | 'late-grant-dropped';

/**
 * Summarises a fault for events and errors, dropping its `cause`.
 * @example
 * ```ts
 * import { summarizeFault } from 'tokenpoll';
 * summarizeFault({ type: 'network_error', message: 'socket hang up (ECONNRESET)', cause: error }); // { type: 'network_error', message: 'socket hang up (ECONNRESET)' }
 * ```
 * @group Events
 */
export function summarizeFault(fault: RetryableOutcome): FaultSummary {
  const message = fault.type === 'slow_down' ? 'the server asked to slow down' : fault.message;
  const summary: { -readonly [K in keyof FaultSummary]: FaultSummary[K] } = { type: fault.type, message };
  if (fault.type === 'server_error' || fault.type === 'rate_limited') {
    summary.status = fault.status;
    if (fault.retryAfterMs !== undefined) summary.retryAfterMs = fault.retryAfterMs;
  }
  return Object.freeze(summary);
}
