import type { TerminalState } from '../core/state.js';
import type { TokenPollError } from './base.js';
import { AccessDeniedError, ExpiredTokenError, OAuthError, PollTimeoutError } from './outcomes.js';
import { CallbackError, InvalidResponseError, LostGrantError, PollCancelledError, RetriesExhaustedError, TransportError } from './failures.js';

/**
 * The error that a terminal state other than `granted` rejects with.
 * @param timeoutMs - The caller's timeout, for the message of a timed-out flow.
 * @param operation - The poll as the transport names it, with its URL (`'polling at https://auth.example.com/token'`,
 * a transport's `operation`). The failures that concern the endpoint start with it: a {@link RetriesExhaustedError}
 * (its `operation`), a {@link TransportError} and an {@link InvalidResponseError}.
 * @example
 * A driver of your own, on the pure {@link transition}, rejects as `pollToken` does.
 * ```ts
 * import { errorFromState, isTerminal } from 'tokenpoll';
 * if (isTerminal(state) && state.status !== 'granted') throw errorFromState(state, timeoutMs); // AccessDeniedError, ExpiredTokenError, …
 * ```
 * @group Errors
 */
export function errorFromState(state: Exclude<TerminalState, { status: 'granted' }>, timeoutMs: number, operation?: string): TokenPollError {
  const at = operation === undefined || operation === '' ? '' : `${operation}: `;
  switch (state.status) {
    case 'denied':
      return new AccessDeniedError(state.error);
    case 'expired':
      return state.source === 'timeout' ? new PollTimeoutError(timeoutMs) : new ExpiredTokenError(state.source, state.error);
    case 'cancelled':
      return new PollCancelledError(state.reason);
    case 'failed': {
      const failure = state.failure;
      switch (failure.kind) {
        case 'oauth_error':
          return new OAuthError(failure.error);
        case 'retries_exhausted':
          return new RetriesExhaustedError(failure.fault, failure.faults, at === '' ? undefined : operation);
        case 'lost_grant':
          return new LostGrantError(failure.message, failure.status, failure.cause);
        case 'invalid_response':
          return new InvalidResponseError(at + failure.message, failure.status);
        case 'transport_error':
          return new TransportError(at + failure.message, failure.cause);
        case 'callback_error':
          return new CallbackError(failure.message, failure.cause);
        default: {
          const unknown: never = failure;
          throw new TypeError(`unknown failure ${String(unknown)}`);
        }
      }
    }
    default: {
      const unknown: never = state;
      throw new TypeError(`unknown terminal state ${String(unknown)}`);
    }
  }
}
