import pRetry, { AbortError, type RetryContext } from 'p-retry';
import { exponentialBackoff } from '../backoff/exponential.js';
import { backoffDelay, transientWaitMs } from '../core/backoff-strategy.js';
import type { BackoffStrategy } from '../backoff/types.js';
import { classifyTokenResponse, type Classifier } from '../classify/classify.js';
import { systemClock, type Clock } from '../clock/clock.js';
import { summarizeFault, type RetryEvent } from '../core/events.js';
import { SLOW_DOWN_INCREMENT_MS } from '../core/interval.js';
import { isTransientOutcome, type RetryableOutcome, type TokenOutcome } from '../core/outcome.js';
import { ConfigurationError, PollCancelledError, RetriesExhaustedError, RetryAfterTooLongError, TransientFaultError } from '../errors/failures.js';
import { sleep } from './sleep.js';

/**
 * Options for {@link retry}.
 * @group Poller
 */
export interface RetryOptions {
  /** Retries after the first attempt (p-retry's `retries`). @defaultValue 4 */
  readonly retries?: number | undefined;
  /** The wait before each retry (the largest of this, `Retry-After`, and 5 s after a `slow_down`). @defaultValue exponential from 1 s, factor 2, capped at 20 s, full jitter */
  readonly backoff?: BackoffStrategy | undefined;
  /**
   * Maps what `fn` threw to an outcome; transient faults and `slow_down` are
   * retried, anything else is rethrown. It is called as `classify({ ok: false, error }, { wallNow })`,
   * the same {@link Classifier} shape as the poller's. @defaultValue {@link classifyTokenResponse}
   */
  readonly classify?: Classifier<unknown> | undefined;
  /** Time and timers: every wait runs on it. @defaultValue {@link systemClock} */
  readonly clock?: Clock | undefined;
  /** A source of numbers in [0, 1) for jitter. @defaultValue Math.random */
  readonly random?: (() => number) | undefined;
  /** Cancels the call: the attempt in flight sees it aborted and the result rejects with {@link PollCancelledError}. */
  readonly signal?: AbortSignal | undefined;
  /**
   * The call's deadline, in ms on `clock` from the first attempt (p-retry's
   * `maxRetryTime`, counted on the injectable clock): no wait runs past it,
   * so the whole call lasts at most this plus one attempt (an HTTP attempt
   * is bounded by its own request timeout). A `Retry-After` that would pass
   * it rejects with {@link RetryAfterTooLongError}; a backoff wait that would
   * pass it gives up with {@link RetriesExhaustedError}. `Infinity` turns it
   * off. @defaultValue 120000 (2 minutes)
   */
  readonly maxRetryTimeMs?: number | undefined;
  /**
   * The ceiling on any one wait, in ms (p-retry's `maxTimeout`; the poller's
   * `maxIntervalMs` has the same default). A longer backoff delay is
   * shortened to it; a longer `Retry-After` rejects at once with
   * {@link RetryAfterTooLongError}, which says what the server asked for.
   * @defaultValue 60000 (1 minute)
   */
  readonly maxDelayMs?: number | undefined;
  /**
   * Names the call in errors and `onRetry` payloads, such as
   * `'discovery at https://auth.example.com/.well-known/oauth-authorization-server'`.
   * It must not hold a secret. @defaultValue none
   */
  readonly operation?: string | undefined;
  /** Called before each wait, with the same payload as the poller's `retry` event (plus `operation`). A listener that throws is ignored. */
  readonly onRetry?: ((event: OneShotRetryEvent) => void) | undefined;
  /** Let the process exit during a wait. @defaultValue false */
  readonly unref?: boolean | undefined;
}

/**
 * What {@link RetryOptions.onRetry} is given: the poller's `retry` event
 * payload, plus the call's name when {@link RetryOptions.operation} is set.
 * `delayMs` equals `fault.retryAfterMs` (rounded up) when the server's
 * `Retry-After` set the wait.
 * @group Poller
 */
export interface OneShotRetryEvent extends RetryEvent {
  /** {@link RetryOptions.operation}, when set. */
  readonly operation?: string;
}

/** The default of {@link RetryOptions.maxRetryTimeMs}: 2 minutes. @internal */
export const DEFAULT_MAX_RETRY_TIME_MS = 120_000;
/** The default of {@link RetryOptions.maxDelayMs}: 1 minute. @internal */
export const DEFAULT_MAX_DELAY_MS = 60_000;

/** What `fn` is given on each attempt. @group Poller */
export interface RetryAttemptContext {
  /** 1 for the first attempt (p-retry's `attemptNumber`). */
  readonly attempt: number;
  /** Aborted when the caller cancels ({@link RetryOptions.signal}). */
  readonly signal: AbortSignal;
}

const defaultBackoff = exponentialBackoff({ maxDelayMs: 20_000 });
/** The signal `fn` is given when the caller passes none: it never aborts. */
const NEVER_ABORTED = /* @__PURE__ */ new AbortController().signal;

/**
 * Retries a one-shot call (a device authorization request, a client
 * registration, a token refresh) on transient faults, with the same
 * classifier and `retry` event payload as the poller. `fn` signals failure by
 * throwing; what it returns is the result.
 *
 * It runs on p-retry, which makes the attempts, numbers them, counts them
 * against `retries`, stops at once on its `AbortError`, and stops when
 * `signal` aborts. tokenpoll supplies what p-retry leaves to its caller:
 * - **What is retried.** Each failure of `fn` goes through the classifier
 *   (the same one the poller uses), and p-retry is handed the verdict: a
 *   transient fault or `slow_down` as a {@link TransientFaultError}, to be
 *   retried; anything else as p-retry's `AbortError`, which ends the call at
 *   once, and then what `fn` threw is rethrown unchanged. So the classifier,
 *   not p-retry's own rule for `TypeError`s, decides what is retried.
 * - **How long to wait, and whether to.** p-retry asks its `shouldRetry`
 *   hook before each retry, once it has checked that retries are left. The
 *   answer is tokenpoll's: the wait is the largest of the backoff delay, the
 *   server's `Retry-After` and, after a `slow_down`, 5 s, each capped by
 *   `maxDelayMs`. A `Retry-After` longer than the cap or than what is left
 *   of the deadline is thrown from the hook as a {@link RetryAfterTooLongError}
 *   (p-retry rejects with what its hooks throw); a backoff wait that would
 *   end past the deadline answers "no".
 * - **The wait itself, on the injectable clock.** p-retry 7 has no delay
 *   option of its own: its waits are global `setTimeout`s, with no clock to
 *   inject. It does await `shouldRetry` before the next attempt, so after
 *   answering "yes" the hook waits, on {@link RetryOptions.clock} (virtual on
 *   a `ManualClock`), then returns. p-retry's own delay is set to 0
 *   (`minTimeout: 0`), so it sets no timer.
 * - **The deadline, on the same clock.** p-retry's `maxRetryTime` reads
 *   `performance.now()`, which an injected clock does not move, so it is not
 *   passed to p-retry: `maxRetryTimeMs` is counted on `clock`, in the hook.
 *
 * Every wait is thus bounded: by `maxDelayMs` each (a longer `Retry-After` is
 * a {@link RetryAfterTooLongError}, not a hang), and all together by the
 * `maxRetryTimeMs` deadline. When the retries or the time run out on a
 * transient fault it rejects with {@link RetriesExhaustedError}; any other
 * error is rethrown as it is.
 *
 * @example
 * ```ts
 * import { retry } from 'tokenpoll';
 * const authorization = await retry(({ signal }) => startDeviceAuthorization({ signal }), {
 *   retries: 3,
 *   onRetry: ({ fault, delayMs }) => console.warn(`${fault.type}; retrying in ${delayMs} ms`),
 * });
 * ```
 * @throws {@link ConfigurationError} when an option is invalid.
 * @throws {@link RetryAfterTooLongError} when the server asks for a longer wait than `maxDelayMs` or the deadline allow.
 * @throws {@link RetriesExhaustedError} when the retries or the deadline run out on a transient fault.
 * @throws {@link PollCancelledError} when `signal` aborts; `cause` is its reason.
 * @group Poller
 */
export async function retry<TResult>(fn: (context: RetryAttemptContext) => TResult | PromiseLike<TResult>, options: RetryOptions = {}): Promise<TResult> {
  if (typeof fn !== 'function') throw new ConfigurationError('fn', 'expected a function');
  const retries = options.retries ?? 4;
  if (typeof retries !== 'number' || !(retries >= 0)) throw new ConfigurationError('retries', `expected a number of at least 0, got ${String(retries)}`);
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const backoff = options.backoff ?? defaultBackoff;
  const classify: Classifier<unknown> = options.classify ?? classifyTokenResponse;
  const maxRetryTimeMs = limit(options.maxRetryTimeMs, 'maxRetryTimeMs', DEFAULT_MAX_RETRY_TIME_MS);
  const maxDelayMs = limit(options.maxDelayMs, 'maxDelayMs', DEFAULT_MAX_DELAY_MS);
  const { operation, onRetry } = options;
  const unref = options.unref ?? false;
  const signal = options.signal ?? NEVER_ABORTED;
  if (signal.aborted) throw new PollCancelledError(signal.reason);

  const startedAt = clock.now();
  let previousDelayMs = 0;
  /** The last transient fault handed to p-retry, with its outcome (the error keeps only a summary). */
  let fault: { readonly error: TransientFaultError; readonly outcome: RetryableOutcome; readonly attempt: number } | undefined;
  /** What `fn` threw when it is not retried: p-retry carries only `Error`s, so it waits here to be rethrown as it is. */
  let notRetried: { readonly thrown: unknown } | undefined;

  // One attempt: fn's failure, classified, becomes a fault to retry or p-retry's AbortError.
  const attempt = async (attemptNumber: number): Promise<TResult> => {
    try {
      return await fn({ attempt: attemptNumber, signal });
    } catch (thrown) {
      const outcome = signal.aborted ? undefined : classify({ ok: false, error: thrown }, { wallNow: clock.wallNow() });
      if (outcome !== undefined && isRetryable(outcome)) {
        fault = { error: new TransientFaultError(outcome), outcome, attempt: attemptNumber };
        throw fault.error;
      }
      notRetried = { thrown };
      throw new AbortError('not retried: rethrown as it is');
    }
  };

  // p-retry calls this while retries are left, never for its AbortError: the error is the fault just thrown,
  // unless the signal aborted after fn returned (p-retry then hands over the abort reason, and the call ends).
  const shouldRetry = async ({ error, attemptNumber, retriesLeft }: RetryContext): Promise<boolean> => {
    if (fault === undefined || error !== fault.error) return false;
    const { outcome } = fault;
    previousDelayMs = Math.min(backoffDelay(backoff, { attempt: attemptNumber, previousDelayMs, random: random() }), maxDelayMs);
    const floorMs = outcome.type === 'slow_down' ? SLOW_DOWN_INCREMENT_MS : 0;
    const retryAfterMs = 'retryAfterMs' in outcome ? outcome.retryAfterMs : undefined;
    const leftMs = maxRetryTimeMs - (clock.now() - startedAt);
    // The server's own wait is never shortened (an early retry would only be refused again), so one too long ends the call.
    if (retryAfterMs !== undefined && retryAfterMs > Math.min(maxDelayMs, leftMs)) {
      const limitMs = Math.max(0, Math.min(maxDelayMs, leftMs));
      throw new RetryAfterTooLongError(outcome, { retryAfterMs, limitMs, limit: maxDelayMs <= leftMs ? 'maxDelayMs' : 'maxRetryTimeMs', operation });
    }
    const delayMs = Math.min(transientWaitMs(floorMs, previousDelayMs, retryAfterMs), Math.max(maxDelayMs, floorMs));
    if (delayMs > leftMs) return false; // p-retry rethrows the fault, which becomes RetriesExhaustedError below
    notify(onRetry, { fault: summarizeFault(outcome), attempt: attemptNumber, faults: attemptNumber, delayMs, retriesLeft: retriesLeft - 1 }, operation);
    await sleep(clock, delayMs, signal, unref); // rejects with the abort reason: p-retry then rejects with it
    return true;
  };

  try {
    // minTimeout 0: p-retry's own delay is 0 and it sets no timer; the wait is in shouldRetry, on `clock`.
    return await pRetry(attempt, { retries, minTimeout: 0, signal: options.signal, shouldRetry });
  } catch (error) {
    if (signal.aborted) throw new PollCancelledError(signal.reason);
    if (notRetried !== undefined) throw notRetried.thrown;
    // p-retry rethrows the last fault when the retries run out or shouldRetry says no.
    if (fault !== undefined && error === fault.error) throw new RetriesExhaustedError(fault.outcome, fault.attempt, operation);
    throw error; // what shouldRetry threw: a RetryAfterTooLongError
  }
}

/** Calls `onRetry` with a frozen payload; a throwing listener must not change what the call does. */
function notify(onRetry: RetryOptions['onRetry'], event: RetryEvent, operation: string | undefined): void {
  try {
    onRetry?.(Object.freeze(operation === undefined ? event : { ...event, operation }));
  } catch {
    // Ignored, as documented.
  }
}

/** A limit option: a number of at least 0 (`Infinity` allowed), or its default. */
function limit(value: number | undefined, name: string, defaultMs: number): number {
  if (value === undefined) return defaultMs;
  if (typeof value !== 'number' || !(value >= 0)) throw new ConfigurationError(name, `expected a number of ms of at least 0, got ${String(value)}`);
  return value;
}

function isRetryable(outcome: TokenOutcome<unknown>): outcome is RetryableOutcome {
  return outcome.type === 'slow_down' || isTransientOutcome(outcome);
}
