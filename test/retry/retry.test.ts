import { describe, expect, test, vi } from 'vitest';
import {
  PollCancelledError,
  RetriesExhaustedError,
  TransientFaultError,
  classifyHttpResponse,
  retry,
  type HttpTokenResponse,
  type RetryEvent,
  type TransportAnswer,
} from '../../src/index.js';
import { ManualClock, flushCallbacks, seededRandom } from '../../src/testing.js';

const reset = (): Error => Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }) });
const awsSdk = (name: string, status: number, extra: object = {}): Error =>
  Object.assign(new Error('UnknownError'), { name, $metadata: { httpStatusCode: status }, $fault: status >= 500 ? 'server' : 'client', ...extra });

describe('retry', () => {
  describe('should retry transient faults on the injected clock', () => {
    test('when the call fails twice with network errors, then succeeds', async () => {
      // Arrange
      const clock = new ManualClock();
      const events: RetryEvent[] = [];
      const fn = vi.fn().mockRejectedValueOnce(reset()).mockRejectedValueOnce(awsSdk('InternalServerException', 500)).mockResolvedValueOnce('ok');
      // Act
      const result = await clock.runUntilSettled(
        retry(fn, { clock, backoff: ({ attempt }) => attempt * 1000, onRetry: (e) => events.push(e), random: seededRandom(1) }),
      );
      // Assert
      expect(result).toEqual({ status: 'fulfilled', value: 'ok' });
      expect(fn).toHaveBeenCalledTimes(3);
      expect(clock.now()).toBe(3000);
      expect(events).toEqual([
        { fault: { type: 'network_error', message: 'fetch failed (ECONNRESET)' }, attempt: 1, faults: 1, delayMs: 1000, retriesLeft: 3 },
        { fault: { type: 'server_error', message: 'InternalServerException', status: 500 }, attempt: 2, faults: 2, delayMs: 2000, retriesLeft: 2 },
      ]);
    });

    test('when the server asks to slow down or sends Retry-After, the wait honours it', async () => {
      const clock = new ManualClock();
      const throttled = { type: 'rate_limited', status: 429, message: 'HTTP 429', retryAfterMs: 30_000 } as const;
      const fn = vi.fn().mockRejectedValueOnce(awsSdk('SlowDownException', 400, { error: 'slow_down' })).mockRejectedValueOnce(new Error('throttled')).mockResolvedValueOnce(1);
      const classify = vi.fn((answer: TransportAnswer) => (!answer.ok && (answer.error as Error).message === 'throttled' ? throttled : ({ type: 'slow_down' } as const)));
      const events: RetryEvent[] = [];
      await clock.runUntilSettled(retry(fn, { clock, classify, backoff: () => 0, onRetry: (e) => events.push(e) }));
      expect(clock.now()).toBe(35_000);
      expect(events.map((e) => e.fault.type)).toEqual(['slow_down', 'rate_limited']);
    });

    test('when p-retry counts the attempts, the callee sees each attempt number and a live signal', async () => {
      const clock = new ManualClock();
      const seen: [number, boolean][] = [];
      await clock.runUntilSettled(
        retry(({ attempt, signal }) => {
          seen.push([attempt, signal.aborted]);
          if (attempt < 3) throw reset();
          return 'done';
        }, { clock, backoff: () => 10 }),
      );
      expect(seen).toEqual([[1, false], [2, false], [3, false]]);
    });
  });

  describe('should classify every failure with the shared classifier', () => {
    test('when fn throws a TypeError that the classifier calls a network error', async () => {
      const clock = new ManualClock();
      const fn = vi.fn().mockRejectedValueOnce(new TypeError('socket hang up')).mockResolvedValueOnce('ok');
      const result = await clock.runUntilSettled(retry(fn, { clock, classify: () => ({ type: 'network_error', message: 'hang up' }), backoff: () => 5 }));
      expect(result).toEqual({ status: 'fulfilled', value: 'ok' });
      expect(fn).toHaveBeenCalledTimes(2);
    });

    test('when fn throws something that is not an Error and the classifier calls it transient, it is retried', async () => {
      const clock = new ManualClock();
      const fn = vi.fn().mockRejectedValueOnce('ECONNRESET').mockResolvedValueOnce('ok');
      const result = await clock.runUntilSettled(retry(fn, { clock, classify: () => ({ type: 'network_error', message: 'reset' }), backoff: () => 5 }));
      expect(result).toEqual({ status: 'fulfilled', value: 'ok' });
      expect(fn).toHaveBeenCalledTimes(2);
    });

    test('when fn throws something that is not an Error, it is rethrown as it is', async () => {
      const thrown = { code: 'E_CUSTOM' };
      await expect(retry(() => Promise.reject(thrown), { clock: new ManualClock() })).rejects.toBe(thrown);
    });

    test('when a 503 carries a Retry-After date, the wait reads it against the wall clock', async () => {
      const clock = new ManualClock({ wallEpochMs: Date.UTC(2026, 0, 1) });
      const unavailable = { status: 503, headers: { 'retry-after': 'Thu, 01 Jan 2026 00:01:00 GMT' }, body: '' };
      const fn = vi.fn().mockRejectedValueOnce(unavailable).mockResolvedValueOnce('ok');
      const classify = (answer: TransportAnswer): ReturnType<typeof classifyHttpResponse> =>
        classifyHttpResponse((answer as { error: HttpTokenResponse }).error, clock.wallNow());
      await clock.runUntilSettled(retry(fn, { clock, classify, backoff: () => 0 }));
      expect(clock.now()).toBe(60_000);
    });

    test('when onRetry throws, the call goes on', async () => {
      const clock = new ManualClock();
      const fn = vi.fn().mockRejectedValueOnce(reset()).mockResolvedValueOnce('ok');
      const onRetry = vi.fn(() => {
        throw new Error('listener bug');
      });
      const result = await clock.runUntilSettled(retry(fn, { clock, onRetry, backoff: () => 1 }));
      expect(result).toEqual({ status: 'fulfilled', value: 'ok' });
      expect(onRetry).toHaveBeenCalledTimes(1);
    });
  });

  describe('should stop', () => {
    test('when the retries run out, with the last fault as cause', async () => {
      const clock = new ManualClock();
      const fn = vi.fn().mockRejectedValue(reset());
      const result = await clock.runUntilSettled(retry(fn, { clock, retries: 2, backoff: () => 100 }));
      const error = (result as PromiseRejectedResult).reason as RetriesExhaustedError;
      expect(error).toBeInstanceOf(RetriesExhaustedError);
      expect(error.faults).toBe(3);
      expect(error.cause).toBeInstanceOf(TransientFaultError);
      expect(fn).toHaveBeenCalledTimes(3);
    });

    test('when the error is not transient, it is rethrown at once, unchanged', async () => {
      const clock = new ManualClock();
      const denied = awsSdk('InvalidClientException', 401, { error: 'invalid_client' });
      const fn = vi.fn().mockRejectedValue(denied);
      const result = await clock.runUntilSettled(retry(fn, { clock }));
      expect(result).toEqual({ status: 'rejected', reason: denied });
      expect(fn).toHaveBeenCalledTimes(1);
    });

    test('when retries is 0, the first transient fault ends the call, with no wait', async () => {
      const clock = new ManualClock();
      const fn = vi.fn().mockRejectedValue(reset());
      const onRetry = vi.fn();
      const result = await clock.runUntilSettled(retry(fn, { clock, retries: 0, onRetry }));
      const error = (result as PromiseRejectedResult).reason as RetriesExhaustedError;
      expect(error).toBeInstanceOf(RetriesExhaustedError);
      expect(error.faults).toBe(1);
      expect(fn).toHaveBeenCalledTimes(1);
      expect(onRetry).not.toHaveBeenCalled();
      expect(clock.now()).toBe(0);
    });

    test('when the next wait would pass maxRetryTimeMs', async () => {
      const clock = new ManualClock();
      const fn = vi.fn().mockRejectedValue(reset());
      const result = await clock.runUntilSettled(retry(fn, { clock, retries: 10, backoff: () => 4000, maxRetryTimeMs: 10_000 }));
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(RetriesExhaustedError);
      expect(fn).toHaveBeenCalledTimes(3);
      expect(clock.now()).toBe(8000);
    });

    test('when the signal aborts during a wait, it rejects with PollCancelledError and clears its timer', async () => {
      const clock = new ManualClock();
      const controller = new AbortController();
      const fn = vi.fn().mockRejectedValue(reset());
      const pending = retry(fn, { clock, signal: controller.signal, backoff: () => 60_000 });
      const settled = pending.then(
        () => undefined,
        (error: unknown) => error,
      );
      await flushCallbacks();
      expect(clock.pendingTimers).toBe(1);
      controller.abort('bye');
      const error = await settled;
      expect(error).toBeInstanceOf(PollCancelledError);
      expect((error as Error).cause).toBe('bye');
      expect(clock.pendingTimers).toBe(0);
      expect(fn).toHaveBeenCalledTimes(1);
    });

    test('when the signal aborts while an attempt is in flight, the attempt sees it and the call rejects with PollCancelledError', async () => {
      // Arrange
      const clock = new ManualClock();
      const controller = new AbortController();
      let attemptSignal: AbortSignal | undefined;
      const fn = vi.fn(
        ({ signal }: { signal: AbortSignal }) =>
          new Promise<never>((_resolve, reject) => {
            attemptSignal = signal;
            signal.addEventListener('abort', () => reject(signal.reason));
          }),
      );
      const pending = retry(fn, { clock, signal: controller.signal });
      await flushCallbacks();
      // Act
      controller.abort('stop');
      const settled = await clock.runUntilSettled(pending);
      // Assert
      const error = (settled as PromiseRejectedResult).reason as PollCancelledError;
      expect(error).toBeInstanceOf(PollCancelledError);
      expect(error.cause).toBe('stop');
      expect(attemptSignal?.aborted).toBe(true);
      expect(fn).toHaveBeenCalledTimes(1);
      expect(clock.pendingTimers).toBe(0);
    });

    test('when the signal aborts after fn has answered, the call still rejects with PollCancelledError and makes no further attempt', async () => {
      const clock = new ManualClock();
      const controller = new AbortController();
      const fn = vi.fn(async () => {
        controller.abort('late');
        throw reset();
      });
      const settled = await clock.runUntilSettled(retry(fn, { clock, signal: controller.signal }));
      expect((settled as PromiseRejectedResult).reason).toMatchObject({ name: 'PollCancelledError', cause: 'late' });
      expect(fn).toHaveBeenCalledTimes(1);
      expect(clock.pendingTimers).toBe(0);
    });

    test('when the signal is already aborted, the call is never made', async () => {
      const fn = vi.fn();
      await expect(retry(fn, { signal: AbortSignal.abort('no') })).rejects.toBeInstanceOf(PollCancelledError);
      expect(fn).not.toHaveBeenCalled();
    });
  });
});
