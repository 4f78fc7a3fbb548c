import type { TokenOutcome } from './outcome.js';
import type { CoreEvents } from './events.js';
import type { TerminalState } from './state.js';

/**
 * An input to the state machine. Tagged by `type`; each carries `now`, the
 * monotonic time in milliseconds at which it happened. Inputs that may lead to
 * a jittered wait carry `random`, a number in [0, 1), so the machine itself
 * never draws one.
 * @group Lifecycle
 */
export type PollInput<TToken = unknown> =
  | {
      /** Always `'start'`. */
      readonly type: 'start';
      /** Monotonic time (ms) when it happened. */
      readonly now: number;
    }
  | {
      /** Always `'timerFired'`. */
      readonly type: 'timerFired';
      /** Monotonic time (ms) when it happened. */
      readonly now: number;
      /** A number in [0, 1) for jitter; 0.5 when omitted. */
      readonly random?: number;
    }
  | {
      /** Always `'responseReceived'`. */
      readonly type: 'responseReceived';
      /** Monotonic time (ms) when it happened. */
      readonly now: number;
      /** The classified answer to the request in flight. */
      readonly outcome: TokenOutcome<TToken>;
      /** A number in [0, 1) for jitter; 0.5 when omitted. */
      readonly random?: number;
    }
  | {
      /** Always `'cancel'`. */
      readonly type: 'cancel';
      /** Monotonic time (ms) when it happened. */
      readonly now: number;
      /** Why the caller cancelled. */
      readonly reason?: unknown;
    };

/**
 * An effect for the driver to carry out. Tagged by `type`.
 * - `request`: send one token request now.
 * - `schedule`: wake the machine with `timerFired` at `at` (replaces any earlier schedule).
 * - `abort`: abort the request in flight.
 * - `emit`: emit a lifecycle event.
 * - `settle`: the flow is over; clear everything and deliver the result.
 * @group Lifecycle
 */
export type PollEffect<TToken = unknown> =
  | {
      /** Always `'request'`. */
      readonly type: 'request';
      /** The request's number (1 for the first). */
      readonly attempt: number;
    }
  | {
      /** Always `'schedule'`. */
      readonly type: 'schedule';
      /** Monotonic time (ms) when to fire `timerFired`. */
      readonly at: number;
      /** The same wait, in ms from now (never negative). */
      readonly delayMs: number;
    }
  | AbortEffect
  | EmitEffect
  | {
      /** Always `'settle'`. */
      readonly type: 'settle';
      /** The terminal state the flow ended in. */
      readonly state: TerminalState<TToken>;
    };

/** An `emit` effect, typed by event name. @group Lifecycle */
export type EmitEffect = {
  [K in keyof CoreEvents]: {
    /** Always `'emit'`. */
    readonly type: 'emit';
    /** The event's name. */
    readonly name: K;
    /** The event's frozen payload. */
    readonly payload: CoreEvents[K];
  };
}[keyof CoreEvents];

/**
 * An `abort` effect. `cause` says why: the request ran past its own timeout,
 * the caller's timeout ended the flow, or the caller cancelled (with `reason`).
 * @group Lifecycle
 */
export interface AbortEffect {
  /** Always `'abort'`. */
  readonly type: 'abort';
  /** Why: the request's own timeout, the caller's timeout, or a cancel. */
  readonly cause: 'request-timeout' | 'timeout' | 'cancel';
  /** The reason given to the cancel, for `cause: 'cancel'`. */
  readonly reason?: unknown;
}
