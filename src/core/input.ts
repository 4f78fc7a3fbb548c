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
      /**
       * The number of the request this answers, as its `request` effect gave it.
       * The machine ignores an answer to any request but the one it waits on (a stale answer).
       */
      readonly attempt: number;
      /** The classified answer. */
      readonly outcome: TokenOutcome<TToken>;
      /** A number in [0, 1) for jitter; 0.5 when omitted. */
      readonly random?: number;
    }
  | {
      /** Always `'cancel'`. */
      readonly type: 'cancel';
      /** Monotonic time (ms) when it happened. */
      readonly now: number;
      /** Why the caller cancelled: kept in the `cancelled` state and handed to the `abort` effect. */
      readonly reason?: unknown;
    }
  | {
      /** Always `'crash'`. */
      readonly type: 'crash';
      /**
       * Monotonic time (ms) when it happened, or `NaN` when the clock itself threw:
       * the machine then uses the last time it knew.
       */
      readonly now: number;
      /** What a callback the caller supplied (clock, random source, backoff, classifier setup) threw. */
      readonly error: unknown;
    };

/**
 * An effect for the driver to carry out. Tagged by `type`.
 * - `request`: send one token request now.
 * - `schedule`: wake the machine with `timerFired` at `at` (replaces any earlier schedule).
 * - `abort`: abort the request in flight.
 * - `emit`: emit a lifecycle event.
 * - `settle`: the flow is over; clear the timer and deliver the result. Every
 *   settle that leaves a request in flight comes after an `abort` for it.
 * @group Lifecycle
 */
export type PollEffect<TToken = unknown> =
  | {
      /** Always `'request'`. */
      readonly type: 'request';
      /** The request's number (1 for the first): its answer comes back with it. */
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

/** An `emit` effect, typed by event name (any of them by default). @group Lifecycle */
export type EmitEffect<TName extends keyof CoreEvents = keyof CoreEvents> = {
  [K in TName]: {
    /** Always `'emit'`. */
    readonly type: 'emit';
    /** The event's name. */
    readonly name: K;
    /** The event's frozen payload. */
    readonly payload: CoreEvents[K];
  };
}[TName];

/**
 * An `abort` effect: abort request `attempt`. `cause` says why: the request
 * ran past its own timeout, the caller's timeout ended the flow, the caller
 * cancelled (with `reason`), or a callback threw.
 * @group Lifecycle
 */
export interface AbortEffect {
  /** Always `'abort'`. */
  readonly type: 'abort';
  /** The request to abort. */
  readonly attempt: number;
  /** Why: the request's own timeout, the caller's timeout, a cancel, or a crash. */
  readonly cause: 'request-timeout' | 'timeout' | 'cancel' | 'crash';
  /** The reason given to the cancel, for `cause: 'cancel'`: abort the request with it. */
  readonly reason?: unknown;
}
