import type { TokenOutcome } from './outcome.js';
import type { Failure } from './state.js';

/**
 * How a flow waits before its next poll:
 * - `interval`: the interval floor, unchanged;
 * - `slow-down`: the floor raised by 5 s (or to the answer's `interval`), for this and every later poll;
 * - `backoff`: the largest of the floor, the backoff and `Retry-After`, within the `transientRetries` budget.
 * @see {@link https://www.rfc-editor.org/rfc/rfc8628#section-3.5 | RFC 8628 §3.5}
 * @group Lifecycle
 */
export type WaitRule = 'interval' | 'slow-down' | 'backoff';

/**
 * What one kind of answer does to a polling flow: settle it (as what, with
 * which failure), or wait (how, in which status) and poll again; and which
 * event says so. Each way of waiting goes with one status and one event, and
 * each settle with the terminal event of its name.
 * @group Lifecycle
 */
export type OutcomeRule = SettleRule | WaitOutcomeRule;

/** An answer that ends the flow. @group Lifecycle */
export type SettleRule =
  | {
      /** Always `'settle'`. */
      readonly then: 'settle';
      /** The terminal status. */
      readonly as: 'granted' | 'denied' | 'expired';
      /** None: only `failed` has a failure. */
      readonly failure?: never;
      /** The terminal event, named as the status. */
      readonly event: 'granted' | 'denied' | 'expired';
    }
  | {
      /** Always `'settle'`. */
      readonly then: 'settle';
      /** Always `'failed'`. */
      readonly as: 'failed';
      /** The failure's kind. */
      readonly failure: AnswerFailure;
      /** Always `'failed'`. */
      readonly event: 'failed';
    };

/** An answer after which the flow waits and polls again. @group Lifecycle */
export type WaitOutcomeRule =
  | {
      /** Always `'wait'`. */
      readonly then: 'wait';
      /** The floor, unchanged. */
      readonly wait: 'interval';
      /** Always `'pending'`. */
      readonly status: 'pending';
      /** Always `'pending'`. */
      readonly event: 'pending';
    }
  | {
      /** Always `'wait'`. */
      readonly then: 'wait';
      /** The floor, raised. */
      readonly wait: 'slow-down';
      /** Always `'slow-down'`. */
      readonly status: 'slow-down';
      /** Always `'slowDown'`. */
      readonly event: 'slowDown';
    }
  | {
      /** Always `'wait'`. */
      readonly then: 'wait';
      /** The floor, the backoff or `Retry-After`, whichever is longest. */
      readonly wait: 'backoff';
      /** Always `'retrying'`. */
      readonly status: 'retrying';
      /** Always `'retry'`. */
      readonly event: 'retry';
    };

/** The failures an answer itself may end a flow with. @group Lifecycle */
export type AnswerFailure = Exclude<Failure['kind'], 'retries_exhausted' | 'callback_error'>;

/**
 * The kinds of answer {@link OUTCOME_RULES} has a rule for: every
 * {@link TokenOutcome} `type`, plus `pending_error_code`, an `oauth_error`
 * whose code the caller listed in `pendingErrorCodes` (within `maxPendingErrors`).
 * @group Lifecycle
 */
export type AnswerKind = TokenOutcome['type'] | 'pending_error_code';

/**
 * The outcome rules: what each kind of answer to a token request does. The
 * state machine reads this table; the README's behaviour table is checked
 * against it, row for row.
 *
 * Two rules sit around the table. Once the device code's deadline or the
 * caller's `timeoutMs` has passed, an answer that would wait ends the flow
 * `expired` instead (an answer that settles still counts: a grant for a request
 * sent in time is kept). And while a request that ran past `requestTimeoutMs`
 * is being aborted, a transient fault or a `transport_error` is what the abort
 * caused: it counts as a `timeout`.
 * @example
 * ```ts
 * import { OUTCOME_RULES } from 'tokenpoll';
 * OUTCOME_RULES.slow_down; // { then: 'wait', wait: 'slow-down', status: 'slow-down', event: 'slowDown' }
 * OUTCOME_RULES.unreadable_success; // { then: 'settle', as: 'failed', failure: 'lost_grant', event: 'failed' }
 * ```
 * @see {@link https://www.rfc-editor.org/rfc/rfc8628#section-3.5 | RFC 8628 §3.5}
 * @group Lifecycle
 */
export const OUTCOME_RULES: { readonly [K in AnswerKind]: OutcomeRule } = frozen({
  success: { then: 'settle', as: 'granted', event: 'granted' },
  authorization_pending: { then: 'wait', wait: 'interval', status: 'pending', event: 'pending' },
  pending_error_code: { then: 'wait', wait: 'interval', status: 'pending', event: 'pending' },
  slow_down: { then: 'wait', wait: 'slow-down', status: 'slow-down', event: 'slowDown' },
  access_denied: { then: 'settle', as: 'denied', event: 'denied' },
  expired_token: { then: 'settle', as: 'expired', event: 'expired' },
  oauth_error: { then: 'settle', as: 'failed', failure: 'oauth_error', event: 'failed' },
  unreadable_success: { then: 'settle', as: 'failed', failure: 'lost_grant', event: 'failed' },
  invalid_response: { then: 'settle', as: 'failed', failure: 'invalid_response', event: 'failed' },
  transport_error: { then: 'settle', as: 'failed', failure: 'transport_error', event: 'failed' },
  network_error: { then: 'wait', wait: 'backoff', status: 'retrying', event: 'retry' },
  timeout: { then: 'wait', wait: 'backoff', status: 'retrying', event: 'retry' },
  server_error: { then: 'wait', wait: 'backoff', status: 'retrying', event: 'retry' },
  rate_limited: { then: 'wait', wait: 'backoff', status: 'retrying', event: 'retry' },
});

/** Freezes the table and each of its rules. */
function frozen(table: { readonly [K in AnswerKind]: OutcomeRule }): { readonly [K in AnswerKind]: OutcomeRule } {
  for (const rule of Object.values(table)) Object.freeze(rule);
  return Object.freeze(table);
}
