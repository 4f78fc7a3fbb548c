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
  constructor(fault: RetryableOutcome, faults: number) {
    super(ErrorCode.RETRIES_EXHAUSTED, `gave up after ${faults} consecutive transient faults; the last was ${fault.type}: ${summarizeFault(fault).message}`, {
      cause: new TransientFaultError(fault),
    });
    this.faults = faults;
  }
  protected override details(): Record<string, unknown> {
    return { faults: this.faults };
  }
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
