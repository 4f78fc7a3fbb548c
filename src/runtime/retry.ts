import pRetry from 'p-retry';
import { exponentialBackoff } from '../backoff/exponential.js';
import { SLOW_DOWN_INCREMENT_MS } from '../backoff/device-flow.js';
import type { BackoffStrategy } from '../backoff/types.js';
import { classifyThrown } from '../classify/thrown.js';
import { systemClock, type Clock } from '../clock/clock.js';
import { summarizeFault, type RetryEvent } from '../core/events.js';
import { isTransientOutcome, type TokenOutcome, type TransientOutcome } from '../core/outcome.js';
import { ConfigurationError, PollCancelledError, RetriesExhaustedError } from '../errors/failures.js';

/**
 * Options for {@link retry}.
 * @group Poller
 */
export interface RetryOptions {
  /** Retries after the first attempt. @defaultValue 4 */
  readonly retries?: number | undefined;
  /** The wait before each retry (the largest of this, `Retry-After`, and 5 s after a `slow_down`). @defaultValue exponential from 1 s, factor 2, capped at 20 s, full jitter */
  readonly backoff?: BackoffStrategy | undefined;
  /** Maps what `fn` threw to an outcome; transient ones and `slow_down` are retried. @defaultValue {@link classifyThrown} */
  readonly classify?: ((error: unknown) => TokenOutcome<unknown>) | undefined;
  /** Time and timers. @defaultValue {@link systemClock} */
  readonly clock?: Clock | undefined;
  /** A source of numbers in [0, 1) for jitter. @defaultValue Math.random */
  readonly random?: (() => number) | undefined;
  /** Cancels the call: the attempt in flight gets an aborted signal and the result rejects with {@link PollCancelledError}. */
  readonly signal?: AbortSignal | undefined;
  /** No retry starts after this much time (on `clock`) since the first attempt. @defaultValue Infinity */
  readonly maxRetryTimeMs?: number | undefined;
  /** Called before each wait, with the same payload as the poller's `retry` event. */
  readonly onRetry?: ((event: RetryEvent) => void) | undefined;
  /** Let the process exit during a wait. @defaultValue false */
  readonly unref?: boolean | undefined;
}

/** What `fn` is given on each attempt. @group Poller */
export interface RetryAttemptContext {
  /** 1 for the first attempt. */
  readonly attempt: number;
  /** Aborted when the caller cancels. */
  readonly signal: AbortSignal;
}

const defaultBackoff = exponentialBackoff({ maxDelayMs: 20_000 });

/**
 * Retries a one-shot call (a device authorization request, a client
 * registration, a token refresh) on transient faults, with the same
 * classifier and `retry` event payload as the poller. Built on p-retry, which
 * counts attempts and honours the signal; the waits themselves run on the
 * injectable clock, so they are virtual in tests.
 *
 * When the retries run out on a transient fault it rejects with
 * {@link RetriesExhaustedError}; any other error is rethrown as it is.
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
 * @group Poller
 */
export async function retry<TResult>(fn: (context: RetryAttemptContext) => TResult | PromiseLike<TResult>, options: RetryOptions = {}): Promise<TResult> {
  if (typeof fn !== 'function') throw new ConfigurationError('fn', 'expected a function');
  const retries = options.retries ?? 4;
  if (typeof retries !== 'number' || !(retries >= 0)) throw new ConfigurationError('retries', `expected a number of at least 0, got ${String(retries)}`);
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const backoff = options.backoff ?? defaultBackoff;
  const classify = options.classify ?? classifyThrown;
  const maxRetryTimeMs = options.maxRetryTimeMs ?? Number.POSITIVE_INFINITY;
  const controller = new AbortController();
  const outer = options.signal;
  const onAbort = (): void => controller.abort(outer?.reason);
  if (outer?.aborted) throw new PollCancelledError(outer.reason);
  outer?.addEventListener('abort', onAbort, { once: true });

  const startedAt = clock.now();
  let previousDelayMs = 0;
  let lastFault: TransientOutcome | undefined;
  let attempts = 0;
  try {
    return await pRetry(
      (attempt) => {
        attempts = attempt;
        return fn({ attempt, signal: controller.signal });
      },
      {
      retries,
      // p-retry counts and stops; the waits are ours, on the injectable clock.
      minTimeout: 0,
      maxTimeout: 0,
      signal: controller.signal,
      shouldRetry: async ({ error, attemptNumber, retriesLeft }) => {
        const outcome = classify(error);
        if (!isTransientOutcome(outcome) && outcome.type !== 'slow_down') return false;
        const fault: TransientOutcome = isTransientOutcome(outcome)
          ? outcome
          : { type: 'rate_limited', status: 400, message: 'slow_down: the server asked to slow down' };
        lastFault = fault;
        const computed = backoff({ attempt: attemptNumber, previousDelayMs, random: random() });
        previousDelayMs = Number.isFinite(computed) && computed > 0 ? computed : 0;
        const retryAfterMs = 'retryAfterMs' in fault && fault.retryAfterMs !== undefined ? fault.retryAfterMs : 0;
        const delayMs = Math.ceil(Math.max(previousDelayMs, retryAfterMs, outcome.type === 'slow_down' ? SLOW_DOWN_INCREMENT_MS : 0));
        if (clock.now() - startedAt + delayMs > maxRetryTimeMs) return false;
        options.onRetry?.(Object.freeze({ fault: summarizeFault(fault), attempt: attemptNumber, faults: attemptNumber, delayMs, retriesLeft: retriesLeft - 1 }));
        await sleep(clock, delayMs, controller.signal, options.unref ?? false);
        return true;
      },
      },
    );
  } catch (error) {
    if (controller.signal.aborted) throw new PollCancelledError(controller.signal.reason);
    const outcome = classify(error);
    if (isTransientOutcome(outcome)) throw new RetriesExhaustedError(outcome, attempts);
    if (outcome.type === 'slow_down' && lastFault) throw new RetriesExhaustedError(lastFault, attempts);
    throw error;
  } finally {
    outer?.removeEventListener('abort', onAbort);
  }
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
