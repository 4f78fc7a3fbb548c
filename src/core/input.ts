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
  | { readonly type: 'start'; readonly now: number }
  | { readonly type: 'timerFired'; readonly now: number; readonly random?: number }
  | {
      readonly type: 'responseReceived';
      readonly now: number;
      readonly outcome: TokenOutcome<TToken>;
      readonly random?: number;
    }
  | { readonly type: 'cancel'; readonly now: number; readonly reason?: unknown };

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
  | { readonly type: 'request'; readonly attempt: number }
  | { readonly type: 'schedule'; readonly at: number; readonly delayMs: number }
  | AbortEffect
  | EmitEffect
  | { readonly type: 'settle'; readonly state: TerminalState<TToken> };

/** An `emit` effect, typed by event name. @group Lifecycle */
export type EmitEffect = {
  [K in keyof CoreEvents]: { readonly type: 'emit'; readonly name: K; readonly payload: CoreEvents[K] };
}[keyof CoreEvents];

/**
 * An `abort` effect. `cause` says why: the request ran past its own timeout,
 * the caller's timeout ended the flow, or the caller cancelled (with `reason`).
 * @group Lifecycle
 */
export interface AbortEffect {
  readonly type: 'abort';
  readonly cause: 'request-timeout' | 'timeout' | 'cancel';
  readonly reason?: unknown;
}
