import pRetry from 'p-retry';
import { exponentialBackoff } from '../backoff/exponential.js';
import { SLOW_DOWN_INCREMENT_MS } from '../backoff/device-flow.js';
import { backoffDelay, transientWaitMs } from '../backoff/transient.js';
import type { BackoffStrategy } from '../backoff/types.js';
import { classifyTokenResponse, type Classifier } from '../classify/classify.js';
import { systemClock, type Clock } from '../clock/clock.js';
import { summarizeFault, type RetryEvent } from '../core/events.js';
import { isTransientOutcome, type RetryableOutcome, type TokenOutcome } from '../core/outcome.js';
import { ConfigurationError, PollCancelledError, RetriesExhaustedError, RetryAfterTooLongError } from '../errors/failures.js';

/**
 * Options for {@link retry}.
 * @group Poller
 */
export interface RetryOptions {
  /** Retries after the first attempt. @defaultValue 4 */
  readonly retries?: number | undefined;
  /** The wait before each retry (the largest of this, `Retry-After`, and 5 s after a `slow_down`). @defaultValue exponential from 1 s, factor 2, capped at 20 s, full jitter */
  readonly backoff?: BackoffStrategy | undefined;
  /**
   * Maps what `fn` threw to an outcome; transient faults and `slow_down` are
   * retried, anything else is rethrown. It is called as `classify({ ok: false, error }, { wallNow })`,
   * the same {@link Classifier} shape as the poller's. @defaultValue {@link classifyTokenResponse}
   */
  readonly classify?: Classifier<unknown> | undefined;
  /** Time and timers. @defaultValue {@link systemClock} */
  readonly clock?: Clock | undefined;
  /** A source of numbers in [0, 1) for jitter. @defaultValue Math.random */
  readonly random?: (() => number) | undefined;
  /** Cancels the call: the attempt in flight gets an aborted signal and the result rejects with {@link PollCancelledError}. */
  readonly signal?: AbortSignal | undefined;
  /**
   * The call's deadline, in ms on `clock` from the first attempt: no wait
   * runs past it, so the whole call lasts at most this plus one attempt (an
   * HTTP attempt is bounded by its own request timeout). A `Retry-After`
   * that would pass it rejects with {@link RetryAfterTooLongError}; a backoff
   * wait that would pass it gives up with {@link RetriesExhaustedError}.
   * `Infinity` turns it off. @defaultValue 120000 (2 minutes)
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
  /** 1 for the first attempt. */
  readonly attempt: number;
  /** Aborted when the caller cancels. */
  readonly signal: AbortSignal;
}

const defaultBackoff = exponentialBackoff({ maxDelayMs: 20_000 });

/**
 * Carries what an attempt threw through p-retry untouched. p-retry gives up
 * at once on a TypeError it does not take for a network error, and replaces
 * non-Error throws; this wrapper keeps every failure for the classifier.
 */
class AttemptFailed extends Error {
  readonly original: unknown;
  readonly outcome: TokenOutcome<unknown>;
  constructor(original: unknown, outcome: TokenOutcome<unknown>) {
    super('attempt failed');
    this.original = original;
    this.outcome = outcome;
  }
}

/**
 * Retries a one-shot call (a device authorization request, a client
 * registration, a token refresh) on transient faults, with the same
 * classifier and `retry` event payload as the poller. `fn` signals failure by
 * throwing; what it returns is the result. Built on p-retry, which counts
 * attempts and honours the signal; the waits themselves run on the injectable
 * clock, so they are virtual in tests.
 *
 * Every wait is bounded: by `maxDelayMs` each (a longer `Retry-After` is a
 * {@link RetryAfterTooLongError}, not a hang), and all together by the
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
  const { operation } = options;
  const outer = options.signal;
  if (outer?.aborted) throw new PollCancelledError(outer.reason);
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(outer?.reason);
  outer?.addEventListener('abort', onAbort, { once: true });

  const startedAt = clock.now();
  let previousDelayMs = 0;
  let attempts = 0;
  let tooLong: RetryAfterTooLongError | undefined;
  const attempt = async (attemptNumber: number): Promise<TResult> => {
    attempts = attemptNumber;
    try {
      return await fn({ attempt: attemptNumber, signal: controller.signal });
    } catch (error) {
      throw new AttemptFailed(error, classify({ ok: false, error }, { wallNow: clock.wallNow() }));
    }
  };
  const shouldRetry = async ({ error, attemptNumber, retriesLeft }: { error: Error; attemptNumber: number; retriesLeft: number }): Promise<boolean> => {
    const { outcome } = error as AttemptFailed;
    if (!isRetryable(outcome)) return false;
    previousDelayMs = Math.min(backoffDelay(backoff, { attempt: attemptNumber, previousDelayMs, random: random() }), maxDelayMs);
    const floorMs = outcome.type === 'slow_down' ? SLOW_DOWN_INCREMENT_MS : 0;
    const retryAfterMs = 'retryAfterMs' in outcome ? outcome.retryAfterMs : undefined;
    const leftMs = maxRetryTimeMs - (clock.now() - startedAt);
    // The server's own wait is never shortened (an early retry would only be refused again), so one too long ends the call.
    if (retryAfterMs !== undefined && retryAfterMs > Math.min(maxDelayMs, leftMs)) {
      const limitMs = Math.max(0, Math.min(maxDelayMs, leftMs));
      tooLong = new RetryAfterTooLongError(outcome, { retryAfterMs, limitMs, limit: maxDelayMs <= leftMs ? 'maxDelayMs' : 'maxRetryTimeMs', operation });
      return false;
    }
    const delayMs = Math.min(transientWaitMs(floorMs, previousDelayMs, retryAfterMs), Math.max(maxDelayMs, floorMs));
    if (delayMs > leftMs) return false;
    try {
      const event = { fault: summarizeFault(outcome), attempt: attemptNumber, faults: attemptNumber, delayMs, retriesLeft: retriesLeft - 1 };
      options.onRetry?.(Object.freeze(operation === undefined ? event : { ...event, operation }));
    } catch {
      // A throwing listener must not change what the call does.
    }
    await sleep(clock, delayMs, controller.signal, options.unref ?? false);
    return true;
  };
  try {
    // p-retry counts and stops; the waits are ours, on the injectable clock (its own delay is 0).
    return await pRetry(attempt, { retries, minTimeout: 0, maxTimeout: 0, signal: controller.signal, shouldRetry });
  } catch (error) {
    if (controller.signal.aborted) throw new PollCancelledError(controller.signal.reason);
    if (tooLong) throw tooLong;
    if (!(error instanceof AttemptFailed)) throw error;
    if (isRetryable(error.outcome)) throw new RetriesExhaustedError(error.outcome, attempts, operation);
    throw error.original;
  } finally {
    outer?.removeEventListener('abort', onAbort);
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

/**
 * Waits `delayMs` on `clock`; rejects with the signal's reason when it aborts,
 * clearing its timer.
 * @internal
 */
export function sleep(clock: Clock, delayMs: number, signal: AbortSignal, unref: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = (): void => {
      clock.clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = clock.setTimeout(
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      },
      delayMs,
      { unref },
    );
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
