import type { RetryableOutcome } from '../core/outcome.js';
import { summarizeFault, type FaultSummary } from '../core/events.js';
import { ErrorCode, TokenPollError } from './base.js';

/**
 * One transient fault (network error, timeout, 5xx, 429, or a `slow_down`
 * that {@link retry} waited out) as an error: the `cause` of
 * {@link RetriesExhaustedError}, which the poller and {@link retry} reject
 * with when their retries run out.
 * @group Errors
 */
export class TransientFaultError extends TokenPollError {
  /** Always `'TransientFaultError'`. */
  override readonly name = 'TransientFaultError';
  /** The fault, without its `cause` (which is the error's own `cause`). */
  readonly fault: FaultSummary;
  constructor(fault: RetryableOutcome) {
    const summary = summarizeFault(fault);
    super(ErrorCode.TRANSIENT_FAULT, `transient fault (${summary.type}): ${summary.message}`, { cause: 'cause' in fault ? fault.cause : undefined });
    this.fault = summary;
  }
  protected override details(): Record<string, unknown> {
    return { fault: this.fault };
  }
}

/**
 * The budget of consecutive transient faults ran out. `cause` is a
 * {@link TransientFaultError} for the last fault.
 * @group Errors
 */
export class RetriesExhaustedError extends TokenPollError {
  /** Always `'RetriesExhaustedError'`. */
  override readonly name = 'RetriesExhaustedError';
  /** Consecutive transient faults, the last included. */
  readonly faults: number;
  /**
   * The call that gave up, with its URL (origin and path): a one-shot call (`'discovery at https://…'`), or the
   * poll loop when its transport names itself (`'polling at https://…/token'`, {@link tokenTransport},
   * {@link awsTokenTransport}). The message starts with it.
   */
  readonly operation: string | undefined;
  constructor(fault: RetryableOutcome, faults: number, operation?: string) {
    const what = `gave up after ${faults} consecutive transient faults; the last was ${fault.type}: ${summarizeFault(fault).message}`;
    super(ErrorCode.RETRIES_EXHAUSTED, operation === undefined ? what : `${operation}: ${what}`, {
      cause: new TransientFaultError(fault),
    });
    this.faults = faults;
    this.operation = operation;
  }
  protected override details(): Record<string, unknown> {
    return this.operation === undefined ? { faults: this.faults } : { faults: this.faults, operation: this.operation };
  }
}

/**
 * A one-shot call's server asked, with `Retry-After`, for a longer wait than
 * the call allows: more than its ceiling on one wait (`maxDelayMs`), or more
 * than is left before its deadline (`maxRetryTimeMs`). The call stops at once
 * rather than hang; `cause` is a {@link TransientFaultError} for the answer.
 * @group Errors
 */
export class RetryAfterTooLongError extends TokenPollError {
  /** Always `'RetryAfterTooLongError'`. */
  override readonly name = 'RetryAfterTooLongError';
  /** The wait the server asked for, in ms. */
  readonly retryAfterMs: number;
  /** The longest wait the call allowed at that point, in ms. */
  readonly limitMs: number;
  /** Which limit it was: the ceiling on one wait, or what was left of the call's deadline. */
  readonly limit: 'maxDelayMs' | 'maxRetryTimeMs';
  /** The call, with its URL (`'discovery at https://…'`), when known. */
  readonly operation: string | undefined;
  constructor(fault: RetryableOutcome, details: { readonly retryAfterMs: number; readonly limitMs: number; readonly limit: 'maxDelayMs' | 'maxRetryTimeMs'; readonly operation?: string | undefined }) {
    const { retryAfterMs, limitMs, limit, operation } = details;
    const allowed = limit === 'maxDelayMs' ? `the ceiling of ${seconds(limitMs)} on one wait (maxDelayMs)` : `the ${seconds(limitMs)} left before the call's deadline (maxRetryTimeMs)`;
    const what = `the server answered ${summarizeFault(fault).message} and asked to wait ${seconds(retryAfterMs)} (Retry-After), longer than ${allowed}`;
    super(ErrorCode.RETRY_AFTER_TOO_LONG, `${operation ?? 'the call'}: ${what}`, { cause: new TransientFaultError(fault) });
    this.retryAfterMs = retryAfterMs;
    this.limitMs = limitMs;
    this.limit = limit;
    this.operation = operation;
  }
  protected override details(): Record<string, unknown> {
    return { retryAfterMs: this.retryAfterMs, limitMs: this.limitMs, limit: this.limit, operation: this.operation };
  }
}

/** Milliseconds as whole seconds, rounded up: `Retry-After` counts in seconds. */
function seconds(ms: number): string {
  return `${Math.ceil(Math.max(0, ms) / 1000)} s`;
}

/**
 * A success answer could not be read or parsed. The device code may already
 * be consumed, so tokenpoll never retries it; start a new login.
 * @group Errors
 */
export class LostGrantError extends TokenPollError {
  /** Always `'LostGrantError'`. */
  override readonly name = 'LostGrantError';
  /** The HTTP status of the unreadable success answer, when known. */
  readonly status: number | undefined;
  constructor(message: string, status?: number, cause?: unknown) {
    super(ErrorCode.LOST_GRANT, `a success answer${status === undefined ? '' : ` (HTTP ${status})`} could not be read, and the grant may be lost: ${message}`, { cause });
    this.status = status;
  }
  protected override details(): Record<string, unknown> {
    return { status: this.status };
  }
}

/**
 * An answer that is neither a token, an OAuth error nor a transient fault.
 * @group Errors
 */
export class InvalidResponseError extends TokenPollError {
  /** Always `'InvalidResponseError'`. */
  override readonly name = 'InvalidResponseError';
  /** The HTTP status, when known. */
  readonly status: number | undefined;
  constructor(message: string, status?: number) {
    super(ErrorCode.INVALID_RESPONSE, message);
    this.status = status;
  }
  protected override details(): Record<string, unknown> {
    return { status: this.status };
  }
}

/**
 * The transport (or a classifier) threw something that is not a recognised
 * network fault. `cause` is what it threw.
 * @group Errors
 */
export class TransportError extends TokenPollError {
  /** Always `'TransportError'`. */
  override readonly name = 'TransportError';
  constructor(message: string, cause?: unknown) {
    super(ErrorCode.TRANSPORT_ERROR, message, { cause });
  }
}

/**
 * A callback the caller supplied (the clock, the random source, a backoff
 * strategy) threw, so the flow could not go on. `cause` is what it threw.
 * @group Errors
 */
export class CallbackError extends TokenPollError {
  /** Always `'CallbackError'`. */
  override readonly name = 'CallbackError';
  constructor(message: string, cause?: unknown) {
    super(ErrorCode.CALLBACK_ERROR, message, { cause });
  }
}

/**
 * The caller cancelled, by `cancel()` or through its AbortSignal. `cause` is
 * the reason given, or the signal's `reason`.
 * @group Errors
 */
export class PollCancelledError extends TokenPollError {
  /** Always `'PollCancelledError'`. */
  override readonly name = 'PollCancelledError';
  constructor(reason?: unknown) {
    super(ErrorCode.CANCELLED, 'the poll was cancelled', { cause: reason });
  }
  /** Always `true`: p-cancelable's mark of a cancellation. */
  get isCanceled(): true {
    return true;
  }
}

/**
 * An option is missing, of the wrong type or out of range.
 * @group Errors
 */
export class ConfigurationError extends TokenPollError {
  /** Always `'ConfigurationError'`. */
  override readonly name = 'ConfigurationError';
  /** The option at fault. */
  readonly option: string;
  constructor(option: string, message: string) {
    super(ErrorCode.INVALID_OPTION, `${option}: ${message}`);
    this.option = option;
  }
  protected override details(): Record<string, unknown> {
    return { option: this.option };
  }
}
