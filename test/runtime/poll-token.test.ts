import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, test, vi } from 'vitest';
import {
  AccessDeniedError,
  CallbackError,
  ConfigurationError,
  ErrorCode,
  ExpiredTokenError,
  InvalidResponseError,
  LostGrantError,
  OAuthError,
  PollCancelledError,
  PollTimeoutError,
  pollToken,
  systemClock,
  TransportError,
  classifyTokenResponse,
  type TokenSet,
} from '../../src/index.js';
import { ManualClock, flushCallbacks, scriptedTransport, type ScriptStep } from '../../src/testing.js';
import { runFlow, startFlow } from '../helpers/run-flow.js';

const token: TokenSet = { accessToken: 'at-1', tokenType: 'Bearer', raw: {} };
const grant: ScriptStep = { type: 'success', token };
const pending: ScriptStep = { type: 'authorization_pending' };

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('pollToken', () => {
  describe('should ride out a realistic login', () => {
    test('when the server says pending, slow down, fails with a proxy 502 and a bare 429, then grants', async () => {
      // Arrange
      const run = startFlow(
        [
          pending,
          { reply: { status: 200, headers: { 'content-type': 'application/json' }, body: '{"error":"slow_down","interval":12}' } },
          { reply: { status: 502, headers: { 'content-type': 'text/html' }, body: '<html>Bad Gateway</html>' } },
          { reply: { status: 429, headers: { 'Retry-After': '40' }, body: '' } },
          { reply: { status: 200, body: JSON.stringify({ access_token: 'at-9', token_type: 'Bearer', expires_in: 3600 }) } },
        ],
        { intervalSeconds: 5, backoff: () => 0 },
      );
      // Act
      const result = await runFlow(run);
      // Assert
      expect(result).toMatchObject({ status: 'fulfilled', value: { accessToken: 'at-9', tokenType: 'Bearer', expiresInSeconds: 3600 } });
      expect(run.transport.requests.map((r) => r.at)).toEqual([5000, 10_000, 22_000, 34_000, 74_000]);
      expect(run.events.map((e) => e.name)).toEqual([
        'stateChange', 'attempt', 'pending', 'attempt', 'stateChange', 'slowDown', 'attempt', 'stateChange', 'retry',
        'attempt', 'retry', 'attempt', 'stateChange', 'granted',
      ]);
      const retries = run.events.filter((e) => e.name === 'retry').map((e) => e.payload);
      expect(retries).toEqual([
        { fault: { type: 'server_error', message: 'HTTP 502', status: 502 }, attempt: 3, faults: 1, delayMs: 12_000, retriesLeft: 9 },
        { fault: { type: 'rate_limited', message: 'HTTP 429 Too Many Requests', status: 429, retryAfterMs: 40_000 }, attempt: 4, faults: 2, delayMs: 40_000, retriesLeft: 8 },
      ]);
      expect(run.clock.pendingTimers).toBe(0);
    });

    test('when listeners are attached right after the call, they see the very first event', async () => {
      const run = startFlow([grant]);
      await runFlow(run);
      expect(run.events[0]).toMatchObject({ name: 'stateChange', payload: { from: 'idle', to: 'pending' } });
    });

    test('when the state is read along the way', async () => {
      const run = startFlow([pending, grant]);
      expect(run.poll.state.status).toBe('idle');
      await flushCallbacks();
      expect(run.poll.state).toMatchObject({ status: 'pending', phase: 'waiting' });
      await runFlow(run);
      expect(run.poll.state).toMatchObject({ status: 'granted', token, attempt: 2 });
    });
  });

  describe('should reject with an error that names the outcome', () => {
    test('when the user denies, keeping AWS reason', async () => {
      const run = startFlow([{ type: 'access_denied', error: { code: 'access_denied', reason: 'KMS_AccessDeniedException' } }]);
      const result = await runFlow(run);
      const error = (result as PromiseRejectedResult).reason as AccessDeniedError;
      expect(error).toBeInstanceOf(AccessDeniedError);
      expect(error.code).toBe(ErrorCode.ACCESS_DENIED);
      expect(error.error.reason).toBe('KMS_AccessDeniedException');
      expect(run.events.at(-1)).toMatchObject({ name: 'denied', payload: { error } });
    });

    test('when the server says expired_token, the local deadline passes, or the caller times out, each differently', async () => {
      const server = await runFlow(startFlow([{ type: 'expired_token', error: { code: 'expired_token' } }]));
      const deadline = await runFlow(startFlow([pending], { expiresInSeconds: 30 }));
      const timeout = await runFlow(startFlow([pending], { timeoutMs: 12_000 }));
      const reasons = [server, deadline, timeout].map((r) => (r as PromiseRejectedResult).reason as Error & { code: string });
      expect(reasons[0]).toBeInstanceOf(ExpiredTokenError);
      expect(reasons[0]).toMatchObject({ source: 'server', code: ErrorCode.EXPIRED_TOKEN });
      expect(reasons[1]).toBeInstanceOf(ExpiredTokenError);
      expect(reasons[1]).toMatchObject({ source: 'deadline', code: ErrorCode.DEADLINE_REACHED });
      expect(reasons[2]).toBeInstanceOf(PollTimeoutError);
      expect(reasons[2]!.code).toBe(ErrorCode.POLL_TIMEOUT);
    });

    test('when the deadline passes during a wait, the flow settles at the deadline, not an interval later', async () => {
      const run = startFlow([pending], { intervalSeconds: 20, expiresInSeconds: 50 });
      await runFlow(run);
      expect(run.transport.requests.map((r) => r.at)).toEqual([20_000, 40_000]);
      expect(run.poll.state).toMatchObject({ status: 'expired', source: 'deadline', at: 50_000 });
      expect(run.events.at(-1)).toMatchObject({ name: 'expired', at: 50_000, payload: { source: 'deadline' } });
    });

    test('when AWS says InvalidClientException, the error says to register the client again', async () => {
      const run = startFlow([{ fail: Object.assign(new Error('UnknownError'), { name: 'InvalidClientException', $metadata: { httpStatusCode: 401 }, error: 'invalid_client', error_description: 'client expired' }) }]);
      const error = ((await runFlow(run)) as PromiseRejectedResult).reason as OAuthError;
      expect(error).toBeInstanceOf(OAuthError);
      expect(error.reregisterClient).toBe(true);
      expect(error.error).toMatchObject({ code: 'invalid_client', exception: 'InvalidClientException', description: 'client expired', status: 401 });
    });

    test('when a success answer cannot be read, it is never retried', async () => {
      const run = startFlow([{ reply: { status: 200, body: '{"access_tok' } }, grant], { transientRetries: 10 });
      const error = ((await runFlow(run)) as PromiseRejectedResult).reason as LostGrantError;
      expect(error).toBeInstanceOf(LostGrantError);
      expect(error.status).toBe(200);
      expect(run.transport.requests).toHaveLength(1);
    });
  });

  describe('should expose a frozen snapshot of its state', () => {
    test('when a caller tries to change it, the flow is unaffected', async () => {
      const run = startFlow([pending, pending, grant], { intervalSeconds: 5 });
      await flushCallbacks();
      const snapshot = run.poll.state as { intervalMs: number };
      expect(Object.isFrozen(snapshot)).toBe(true);
      expect(() => (snapshot.intervalMs = 1)).toThrow(TypeError);
      await runFlow(run);
      expect(run.transport.requests.map((r) => r.at)).toEqual([5000, 10_000, 15_000]);
    });
  });

  describe('should time out requests that hang', () => {
    test('when the server never answers, the request is aborted and retried with a doubled wait', async () => {
      const run = startFlow([{ hang: true }, grant], { intervalSeconds: 5, requestTimeoutMs: 10_000, backoff: () => 0 });
      const result = await runFlow(run);
      expect(result.status).toBe('fulfilled');
      const [first, second] = run.transport.requests;
      expect(first).toMatchObject({ at: 5000, abortedAt: 15_000 });
      expect(second!.at).toBe(25_000);
    });
  });

  describe('should attribute every answer to its own request', () => {
    test('when a timed-out request answers late, while the next one is in flight, the late answer is dropped', async () => {
      // Arrange: a transport that ignores its signal, so request 1 answers after it was given up on.
      const clock = new ManualClock();
      const answerAt = (at: number, outcome: object): Promise<object> => new Promise((resolve) => clock.setTimeout(() => resolve(outcome), at - clock.now()));
      const sent: number[] = [];
      const transport = ({ attempt }: { attempt: number }): Promise<object> => {
        sent.push(clock.now());
        return attempt === 1 ? answerAt(30_000, { type: 'authorization_pending' }) : answerAt(33_000, { type: 'success', token });
      };
      const poll = pollToken({ transport, clock, intervalSeconds: 5, expiresInSeconds: 600, requestTimeoutMs: 10_000, backoff: () => 0 });
      // Act
      const result = await clock.runUntilSettled(poll.result);
      // Assert: request 1 at 5 s times out at 15 s, and its answer is awaited for ABORT_GRACE_MS (1 s);
      // request 2 at 26 s (the doubled wait); request 1's late pending at 30 s is not request 2's answer.
      expect(sent).toEqual([5000, 16_000 + 10_000]);
      expect(result).toEqual({ status: 'fulfilled', value: token });
      expect(poll.state).toMatchObject({ status: 'granted', at: 33_000 });
    });
  });

  describe('should cancel cleanly', () => {
    test('when cancelled while the in-flight answer is a grant, the grant is never delivered', async () => {
      // Arrange
      const run = startFlow([{ reply: grant, latencyMs: 1000 }]);
      const granted = vi.fn();
      run.poll.on('granted', granted);
      await flushCallbacks();
      run.clock.increment(5500); // the request is in flight, its grant due at 6000
      // Act
      run.poll.cancel('changed my mind');
      run.clock.increment(10_000);
      const result = await runFlow(run);
      // Assert
      expect(result.status).toBe('rejected');
      const error = (result as PromiseRejectedResult).reason as PollCancelledError;
      expect(error).toBeInstanceOf(PollCancelledError);
      expect(error.cause).toBe('changed my mind');
      expect(granted).not.toHaveBeenCalled();
      expect(run.transport.requests[0]).toMatchObject({ abortedAt: 5500 });
      expect(run.transport.requests[0]!.answeredAt).toBeUndefined();
      expect(run.clock.pendingTimers).toBe(0);
    });

    test('when the signal is already aborted, no request is ever sent', async () => {
      const controller = new AbortController();
      controller.abort(new Error('too late'));
      const run = startFlow([grant], { signal: controller.signal, firstPoll: 'immediate' });
      const result = await runFlow(run);
      expect(run.transport.requests).toHaveLength(0);
      expect(((result as PromiseRejectedResult).reason as Error).cause).toEqual(new Error('too late'));
      expect(run.clock.pendingTimers).toBe(0);
    });

    test.each([
      ['cancelled', (run: ReturnType<typeof startFlow>) => run.poll.cancel()],
      ['expired', (run: ReturnType<typeof startFlow>) => run.clock.increment(0)],
    ])('when the flow ends %s, no listener is left on the caller signal', async (_how, end) => {
      const controller = new AbortController();
      const run = startFlow([pending], { signal: controller.signal, expiresInSeconds: 30 });
      await flushCallbacks();
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
      end(run);
      await runFlow(run);
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    });

    test('when cancel() has no reason, the error and the aborted request share one AbortError', async () => {
      const run = startFlow([{ reply: pending, latencyMs: 1000 }], { firstPoll: 'immediate' });
      await flushCallbacks();
      run.poll.cancel();
      const result = await runFlow(run);
      const error = (result as PromiseRejectedResult).reason as PollCancelledError;
      expect(error.cause).toBeInstanceOf(DOMException);
      expect((error.cause as DOMException).name).toBe('AbortError');
    });

    test('when result.cancel(reason) is called, the reason is kept', async () => {
      const run = startFlow([pending]);
      await flushCallbacks();
      run.poll.result.cancel('user closed the window');
      const result = await runFlow(run);
      expect(((result as PromiseRejectedResult).reason as Error).cause).toBe('user closed the window');
      expect(run.poll.result.isCanceled).toBe(true);
    });

    test('when cancelled after the grant arrived but before it was processed, the grant is not delivered', async () => {
      const run = startFlow([grant], { firstPoll: 'immediate' });
      await Promise.resolve(); // start: the request is sent and its promise is already resolved
      expect(run.transport.requests).toHaveLength(1);
      run.poll.cancel('too late');
      const result = await runFlow(run);
      expect(result.status).toBe('rejected');
      expect(run.events.some((e) => e.name === 'granted')).toBe(false);
    });

    test('when the flow settles, no listener is left on the caller signal', async () => {
      const controller = new AbortController();
      const run = startFlow([pending, grant], { signal: controller.signal });
      await flushCallbacks();
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
      await runFlow(run);
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    });

    test('when result.cancel() is called (p-cancelable), it cancels the poll', async () => {
      const run = startFlow([pending]);
      await flushCallbacks();
      run.poll.result.cancel();
      const result = await runFlow(run);
      expect(run.poll.result.isCanceled).toBe(true);
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(PollCancelledError);
      expect(run.poll.state.status).toBe('cancelled');
    });

    test('when nobody listens and the result is awaited only after the cancel, it rejects with the cancel reason', async () => {
      // Arrange
      const clock = new ManualClock();
      const poll = pollToken({ transport: scriptedTransport([pending], { clock, whenExhausted: 'repeat-last' }), clock, expiresInSeconds: 900 });
      await flushCallbacks();
      // Act
      poll.cancel('shutting down');
      const first = await poll.result.then(() => undefined, (error: unknown) => error);
      const second = await poll.result.catch((error: unknown) => error);
      // Assert
      expect(first).toBeInstanceOf(PollCancelledError);
      expect((first as PollCancelledError).cause).toBe('shutting down');
      expect(second).toBe(first);
      expect(poll.result.isCanceled).toBe(true);
      expect(clock.pendingTimers).toBe(0);
    });

    test('when a listener cancels during an attempt event, that request is aborted with the reason and nothing is granted', async () => {
      // Arrange: a server that would grant a second after the request.
      const clock = new ManualClock();
      const { transport, signals } = keepingSignals(clock, grant, 1000);
      const poll = pollToken({ transport, clock, expiresInSeconds: 600 });
      const reason = new Error('stop');
      const granted = vi.fn();
      poll.on('attempt', () => poll.cancel(reason)).on('granted', granted);
      // Act
      const result = await clock.runUntilSettled(poll.result);
      // Assert: the request the machine asked for went out, and the cancel that followed aborted it.
      expect(signals).toHaveLength(1);
      expect(signals[0]!.aborted).toBe(true);
      expect(signals[0]!.reason).toBe(reason);
      const error = (result as PromiseRejectedResult).reason as PollCancelledError;
      expect(error).toBeInstanceOf(PollCancelledError);
      expect(error.cause).toBe(reason);
      expect(poll.result.isCanceled).toBe(true);
      expect(granted).not.toHaveBeenCalled();
      expect(poll.state).toMatchObject({ status: 'cancelled', attempt: 1 });
      expect(clock.pendingTimers).toBe(0);
    });

    test.each(['cancel()', 'the signal'])("when %s cancels with a request in flight, the transport's signal is aborted with the caller's reason", async (how) => {
      // Arrange
      const clock = new ManualClock();
      const { transport, signals } = keepingSignals(clock, grant, 20_000);
      const controller = new AbortController();
      const poll = pollToken({ transport, clock, signal: controller.signal, expiresInSeconds: 600, firstPoll: 'immediate' });
      await flushCallbacks();
      const reason = new Error('user pressed Ctrl-C');
      // Act
      if (how === 'cancel()') poll.cancel(reason);
      else controller.abort(reason);
      // Assert
      expect(signals).toHaveLength(1);
      expect(signals[0]!.reason).toBe(reason);
      await expect(poll.result).rejects.toMatchObject({ name: 'PollCancelledError', cause: reason });
      expect(clock.pendingTimers).toBe(0);
    });

    test('when a grant arrives after a cancel (a transport that ignores its signal), the classifier never reads it', async () => {
      // Arrange: a transport that answers with a grant a second later, whatever its signal says.
      const clock = new ManualClock();
      const transport = (): Promise<ScriptStep> => new Promise((resolve) => clock.setTimeout(() => resolve(grant), 1000));
      const classify = vi.fn(classifyTokenResponse);
      const poll = pollToken({ transport, clock, classify, expiresInSeconds: 600, firstPoll: 'immediate' });
      await flushCallbacks();
      // Act
      poll.cancel('stop');
      await clock.advance(2000);
      // Assert
      await expect(poll.result).rejects.toBeInstanceOf(PollCancelledError);
      expect(classify).not.toHaveBeenCalled();
      expect(poll.state.status).toBe('cancelled');
    });

    test('when cancel() is called after the flow settled, nothing changes', async () => {
      const run = startFlow([grant]);
      await runFlow(run);
      run.poll.cancel('late');
      expect(run.poll.state.status).toBe('granted');
      expect(run.events.filter((e) => e.name === 'cancelled')).toHaveLength(0);
    });
  });

  describe('should isolate listeners', () => {
    test('when an async listener rejects, it is reported as a warning, not an unhandled rejection', async () => {
      const run = startFlow([pending, grant]);
      run.poll.on('pending', async () => {
        await Promise.resolve();
        throw new Error('async listener bug');
      });
      const result = await runFlow(run);
      expect(result.status).toBe('fulfilled');
      expect(run.events.filter((e) => e.name === 'warning').map((e) => e.payload)).toEqual([
        expect.objectContaining({ code: 'listener-error', message: "a listener for 'pending' threw: async listener bug" }),
      ]);
    });

    test('when a listener throws, polling goes on, the result arrives, and a warning reports it', async () => {
      const run = startFlow([pending, pending, grant]);
      run.poll.on('pending', () => {
        throw new Error('listener bug');
      });
      const later = vi.fn();
      run.poll.on('pending', later);
      const result = await runFlow(run);
      expect(result.status).toBe('fulfilled');
      expect(later).toHaveBeenCalledTimes(2);
      const warnings = run.events.filter((e) => e.name === 'warning').map((e) => e.payload);
      expect(warnings).toHaveLength(2);
      expect(warnings[0]).toMatchObject({ code: 'listener-error', message: "a listener for 'pending' threw: listener bug" });
    });

    test('when a listener throws a value that cannot even be printed, polling goes on and a warning says so', async () => {
      const run = startFlow([pending, grant]);
      run.poll.on('pending', () => {
        throw { toString: () => fail('toString bug') };
      });
      const result = await runFlow(run);
      expect(result.status).toBe('fulfilled');
      expect(run.events.filter((e) => e.name === 'warning').map((e) => e.payload)).toEqual([
        expect.objectContaining({ code: 'listener-error', message: "a listener for 'pending' threw: a value that cannot be printed" }),
      ]);
    });

    test('when once and off are used, listeners run as asked', async () => {
      const run = startFlow([pending, pending, pending, grant]);
      const once = vi.fn();
      const removed = vi.fn();
      run.poll.once('pending', once).on('pending', removed).off('pending', removed);
      await runFlow(run);
      expect(once).toHaveBeenCalledTimes(1);
      expect(removed).not.toHaveBeenCalled();
    });

    test('when a once-listener runs, another added during the same event still runs once, later', async () => {
      const run = startFlow([pending, pending, pending, grant]);
      const added = vi.fn();
      const adder = vi.fn(() => {
        if (adder.mock.calls.length === 1) run.poll.once('pending', added);
      });
      run.poll.on('pending', adder).once('pending', vi.fn());
      await runFlow(run);
      expect(adder).toHaveBeenCalledTimes(3);
      expect(added).toHaveBeenCalledTimes(1);
    });

    test('when the same listener is added twice, off removes one registration at a time', async () => {
      const run = startFlow([pending, pending, pending, grant]);
      const twice = vi.fn();
      run.poll.on('pending', twice).on('pending', twice);
      run.poll.once('attempt', () => run.poll.off('pending', twice));
      await runFlow(run);
      expect(twice).toHaveBeenCalledTimes(3); // one registration, three pending answers
    });
  });

  describe('should fail, not hang, when a callback throws', () => {
    test.each([
      ['backoff', { backoff: () => { throw new Error('backoff bug'); } }, [{ type: 'network_error', message: 'reset' }]],
      ['random', { random: () => { throw new Error('random bug'); } }, [{ type: 'authorization_pending' }]],
    ] as const)('when the %s callback throws', async (_name, options, script) => {
      const clock = new ManualClock();
      const poll = pollToken({ transport: scriptedTransport(script as unknown as ScriptStep[], { clock, whenExhausted: 'repeat-last' }), clock, expiresInSeconds: 600, ...options });
      const failed = vi.fn();
      poll.on('failed', failed);
      const result = await clock.runUntilSettled(poll.result);
      const error = (result as PromiseRejectedResult).reason as CallbackError;
      expect(error).toBeInstanceOf(CallbackError);
      expect(error.code).toBe(ErrorCode.CALLBACK_ERROR);
      expect((error.cause as Error).message).toMatch(/bug/);
      expect(poll.state).toMatchObject({ status: 'failed', failure: { kind: 'callback_error' } });
      expect(failed).toHaveBeenCalledTimes(1);
      expect(clock.pendingTimers).toBe(0);
    });

    test('when the clock throws on setTimeout', async () => {
      const clock = new ManualClock();
      const broken = Object.assign(Object.create(clock) as ManualClock, {
        now: () => clock.now(),
        wallNow: () => clock.wallNow(),
        setTimeout: () => {
          throw new Error('clock bug');
        },
        clearTimeout: (t: unknown) => clock.clearTimeout(t),
      });
      const poll = pollToken({ transport: () => ({ type: 'authorization_pending' }), clock: broken, expiresInSeconds: 600 });
      await expect(poll.result).rejects.toBeInstanceOf(CallbackError);
    });

    test.each([
      ['an access_denied outcome without its error', { type: 'access_denied' }, /the transport returned an access_denied outcome without an error code/],
      ['a success without a token', { type: 'success' }, /the transport returned a success outcome without a token/],
      ['an oauth_error whose code is not a string', { type: 'oauth_error', error: { code: 42 } }, /an oauth_error outcome without an error code/],
    ])('when a transport returns %s, the flow fails with InvalidResponseError', async (_name, malformed, message) => {
      const clock = new ManualClock();
      const poll = pollToken({ transport: scriptedTransport([malformed as unknown as ScriptStep], { clock }), clock, expiresInSeconds: 600, intervalSeconds: 1 });
      const result = await clock.runUntilSettled(poll.result);
      const error = (result as PromiseRejectedResult).reason as InvalidResponseError;
      expect(error).toBeInstanceOf(InvalidResponseError);
      expect(error.message).toMatch(message);
      expect(clock.pendingTimers).toBe(0);
    });

    test("when the caller's signal throws on removeEventListener, the flow still settles and leaves nothing behind", async () => {
      const clock = new ManualClock();
      const signal = { aborted: false, addEventListener: () => {}, removeEventListener: () => { throw new Error('signal bug'); } } as unknown as AbortSignal;
      const poll = pollToken({ transport: scriptedTransport([grant], { clock }), clock, signal, expiresInSeconds: 600, intervalSeconds: 1 });
      const result = await clock.runUntilSettled(poll.result, { maxSteps: 10 });
      expect(result).toEqual({ status: 'fulfilled', value: token });
      expect(poll.state.status).toBe('granted');
      expect(clock.pendingTimers).toBe(0);
    });

    test('when a custom classifier returns a malformed outcome, with or without listeners, the flow fails instead of hanging', async () => {
      for (const listen of [true, false]) {
        const clock = new ManualClock();
        const classify = (): never => ({ type: 'expired_token' }) as never;
        const poll = pollToken({ transport: () => ({}), classify, clock, expiresInSeconds: 600, intervalSeconds: 1 });
        const failed = vi.fn();
        if (listen) poll.on('failed', failed);
        const result = await clock.runUntilSettled(poll.result);
        expect((result as PromiseRejectedResult).reason).toBeInstanceOf(InvalidResponseError);
        expect(((result as PromiseRejectedResult).reason as Error).message).toMatch(/the classifier returned an expired_token outcome without an error code/);
        expect(failed).toHaveBeenCalledTimes(listen ? 1 : 0);
      }
    });
  });

  describe('should sanitise what the server sent', () => {
    test('when interval and expires_in come as strings, zero or absurd', async () => {
      const run = startFlow([grant], { intervalSeconds: '0', expiresInSeconds: '86400000' });
      await runFlow(run);
      const warnings = run.events.filter((e) => e.name === 'warning').map((e) => (e.payload as { code: string }).code);
      expect(warnings).toEqual(['interval-invalid', 'expires-in-clamped']);
      expect(run.transport.requests[0]!.at).toBe(5000);
    });
  });

  describe('should schedule as configured', () => {
    test('when the interval counts from the previous request rather than its response', async () => {
      const slow = (step: ScriptStep): ScriptStep => ({ reply: step, latencyMs: 2000 });
      const fromResponse = startFlow([slow(pending), slow(pending), grant], { firstPoll: 'immediate' });
      const fromRequest = startFlow([slow(pending), slow(pending), grant], { firstPoll: 'immediate', intervalFrom: 'request' });
      await runFlow(fromResponse);
      await runFlow(fromRequest);
      expect(fromResponse.transport.requests.map((r) => r.at)).toEqual([0, 7000, 14_000]);
      expect(fromRequest.transport.requests.map((r) => r.at)).toEqual([0, 5000, 10_000]);
    });
  });

  describe('should reject bad options with a typed error', () => {
    test.each([
      ['transport', { transport: 42, expiresInSeconds: 600 }],
      ['expiresInSeconds', { transport: () => pending }],
      ['expiresInSeconds', { transport: () => pending, expiresInSeconds: {} }],
      ['timeoutMs', { transport: () => pending, expiresInSeconds: 600, timeoutMs: -1 }],
      ['requestTimeoutMs', { transport: () => pending, expiresInSeconds: 600, requestTimeoutMs: Number.NaN }],
      ['requestTimeoutMs', { transport: () => pending, expiresInSeconds: 600, requestTimeoutMs: Number.POSITIVE_INFINITY }],
      ['firstPoll', { transport: () => pending, expiresInSeconds: 600, firstPoll: 'later' }],
      ['clock', { transport: () => pending, expiresInSeconds: 600, clock: { now: () => 0 } }],
      ['signal', { transport: () => pending, expiresInSeconds: 600, signal: 'abort' }],
      ['transientRetries', { transport: () => pending, expiresInSeconds: 600, transientRetries: -2 }],
    ])('when %s is wrong', (option, options) => {
      let thrown: unknown;
      try {
        pollToken(options as never);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(ConfigurationError);
      expect(thrown).toMatchObject({ option, code: ErrorCode.INVALID_OPTION });
    });
  });

  describe('should run on the system clock', () => {
    test('when polling, its timer keeps the process alive by default and not with unref', async () => {
      const created: { hasRef(): boolean }[] = [];
      const real = globalThis.setTimeout;
      vi.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: () => void, ms?: number) => {
        const timer = real(fn, ms);
        created.push(timer);
        return timer;
      }) as typeof setTimeout);
      const kept = pollToken({ transport: () => pending, expiresInSeconds: 600 });
      const unrefd = pollToken({ transport: () => pending, expiresInSeconds: 600, unref: true });
      await flushCallbacks();
      const refs = created.map((t) => t.hasRef());
      kept.cancel();
      unrefd.cancel();
      expect(refs).toEqual([true, false]);
    });

    test('when read, its time is in whole milliseconds and never behind performance.now()', () => {
      const before = performance.now();
      const now = systemClock.now();
      expect(Number.isInteger(now)).toBe(true);
      expect(now).toBeGreaterThanOrEqual(before);
    });

    test('when a delay exceeds what setTimeout honours, it is waited out in steps instead of firing at once', () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
      const fired = vi.fn();
      systemClock.setTimeout(fired, 2 ** 40);
      vi.advanceTimersByTime(2 ** 40 - 10); // 512 host timers of about 24.8 days each, and not yet due
      expect(fired).not.toHaveBeenCalled();
      vi.advanceTimersByTime(10);
      expect(fired).toHaveBeenCalledOnce();
      expect(vi.getTimerCount()).toBe(0);
    });

    test('when a real poll ends, it leaves no timer behind', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
      const transport = scriptedTransport([pending, grant]);
      const poll = pollToken({ transport, intervalSeconds: 1, expiresInSeconds: 60 });
      await vi.advanceTimersByTimeAsync(2500);
      await expect(poll.result).resolves.toEqual(token);
      expect(vi.getTimerCount()).toBe(0);
      expect(transport.requests).toHaveLength(2);
    });
  });

  describe('should accept a transport object', () => {
    test('when it has a request() method', async () => {
      const clock = new ManualClock();
      const calls: number[] = [];
      const poll = pollToken({ transport: { request: ({ attempt }) => (calls.push(attempt), attempt < 2 ? pending : grant) }, clock, expiresInSeconds: 600 });
      await expect(clock.runUntilSettled(poll.result)).resolves.toEqual({ status: 'fulfilled', value: token });
      expect(calls).toEqual([1, 2]);
    });

    test('when it throws synchronously, the throw is classified like a rejection', async () => {
      const clock = new ManualClock();
      let n = 0;
      const poll = pollToken({
        transport: () => {
          if (n++ === 0) throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
          return grant;
        },
        clock,
        expiresInSeconds: 600,
      });
      const retried = vi.fn();
      poll.on('retry', retried);
      await clock.runUntilSettled(poll.result);
      expect(retried).toHaveBeenCalledWith(expect.objectContaining({ fault: expect.objectContaining({ type: 'network_error' }) }));
      expect(poll.state.status).toBe('granted');
    });
  });

  describe('should abort a request only when the machine says so, with its reason', () => {
    test('when a request runs past requestTimeoutMs, its signal is aborted with a TimeoutError', async () => {
      // Arrange: a server that answers after 40 s, a request timeout of 10 s.
      const clock = new ManualClock();
      const { transport, signals } = keepingSignals(clock, grant, 40_000);
      const poll = pollToken({ transport, clock, expiresInSeconds: 600, requestTimeoutMs: 10_000, firstPoll: 'immediate', transientRetries: 0 });
      // Act
      await clock.runUntilSettled(poll.result);
      // Assert
      expect(signals[0]!.aborted).toBe(true);
      expect(signals[0]!.reason).toMatchObject({ name: 'TimeoutError', message: 'The token request timed out' });
    });

    test("when the caller's timeout passes with a request in flight, its signal is aborted with a TimeoutError", async () => {
      const clock = new ManualClock();
      const { transport, signals } = keepingSignals(clock, grant, 20_000);
      const poll = pollToken({ transport, clock, expiresInSeconds: 600, timeoutMs: 3000, firstPoll: 'immediate' });
      const result = await clock.runUntilSettled(poll.result);
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(PollTimeoutError);
      expect(signals[0]!.reason).toMatchObject({ name: 'TimeoutError', message: "The caller's poll timeout passed" });
      expect(clock.pendingTimers).toBe(0);
    });

    test('when a request is answered (here with the grant), its signal is never aborted afterwards', async () => {
      const clock = new ManualClock();
      const { transport, signals } = keepingSignals(clock, grant, 1000);
      const poll = pollToken({ transport, clock, expiresInSeconds: 600 });
      await clock.runUntilSettled(poll.result);
      expect(signals).toHaveLength(1);
      expect(signals[0]!.aborted).toBe(false);
    });
  });

  describe('should fail, not hang, when the clock or the classifier throws', () => {
    test("when the clock's now() throws with a request in flight, the flow fails at the last time known and the request is aborted", async () => {
      // Arrange: now() works until the request is out, then throws (the request-timeout timer reads it).
      const clock = new ManualClock();
      const { transport, signals } = keepingSignals(clock, grant, 40_000);
      let broken = false;
      const poll = pollToken({ transport, clock: brokenClock(clock, { now: () => (broken ? fail('clock bug') : clock.now()) }), expiresInSeconds: 600, requestTimeoutMs: 10_000 });
      poll.on('attempt', () => (broken = true));
      const failed = vi.fn();
      poll.on('failed', failed);
      // Act
      const result = await clock.runUntilSettled(poll.result);
      // Assert
      const error = (result as PromiseRejectedResult).reason as CallbackError;
      expect(error).toBeInstanceOf(CallbackError);
      expect((error.cause as Error).message).toBe('clock bug');
      expect(poll.state).toMatchObject({ status: 'failed', failure: { kind: 'callback_error' }, attempt: 1, at: 5000 });
      expect(signals[0]!.reason).toMatchObject({ name: 'AbortError' });
      expect(failed).toHaveBeenCalledTimes(1);
      expect(clock.pendingTimers).toBe(0);
    });

    test('when a custom classifier throws, the flow fails with a TransportError that says so', async () => {
      const clock = new ManualClock();
      const classify = (): never => fail('classifier bug');
      const poll = pollToken({ transport: () => ({}), classify, clock, expiresInSeconds: 600, intervalSeconds: 1 });
      const result = await clock.runUntilSettled(poll.result);
      const error = (result as PromiseRejectedResult).reason as TransportError;
      expect(error).toBeInstanceOf(TransportError);
      expect(error.message).toMatch(/the classifier threw: classifier bug/);
      expect(poll.state.status).toBe('failed');
    });

    test("when the clock's wallNow() throws, the answer cannot be classified and the flow fails", async () => {
      const clock = new ManualClock();
      const poll = pollToken({ transport: scriptedTransport([grant], { clock }), clock: brokenClock(clock, { wallNow: () => fail('wall clock bug') }), expiresInSeconds: 600 });
      const result = await clock.runUntilSettled(poll.result);
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(TransportError);
      expect(clock.pendingTimers).toBe(0);
    });

    test('when clearTimeout throws as the flow settles, the flow still settles with its outcome', async () => {
      const clock = new ManualClock();
      const poll = pollToken({ transport: scriptedTransport([grant], { clock }), clock: brokenClock(clock, { clearTimeout: () => fail('clear bug') }), expiresInSeconds: 600 });
      const result = await clock.runUntilSettled(poll.result);
      expect(result).toEqual({ status: 'fulfilled', value: token });
      expect(poll.state.status).toBe('granted');
    });
  });
});

// Helpers

/** A transport that keeps the signal of each request and answers `answer` after `latencyMs`, unless aborted first. */
function keepingSignals(clock: ManualClock, answer: ScriptStep, latencyMs: number): { transport: (context: { signal: AbortSignal }) => Promise<ScriptStep>; signals: AbortSignal[] } {
  const signals: AbortSignal[] = [];
  const transport = ({ signal }: { signal: AbortSignal }): Promise<ScriptStep> => {
    signals.push(signal);
    return new Promise((resolve, reject) => {
      const timer = clock.setTimeout(() => resolve(answer), latencyMs);
      signal.addEventListener('abort', () => (clock.clearTimeout(timer), reject(signal.reason)), { once: true });
    });
  };
  return { transport, signals };
}

/** A clock that is `clock` but for the methods in `overrides`. */
function brokenClock(clock: ManualClock, overrides: Partial<Pick<ManualClock, 'now' | 'wallNow' | 'clearTimeout'>>): ManualClock {
  return Object.assign(Object.create(clock) as ManualClock, {
    now: () => clock.now(),
    wallNow: () => clock.wallNow(),
    setTimeout: (callback: () => void, delayMs: number) => clock.setTimeout(callback, delayMs),
    clearTimeout: (timer: unknown) => clock.clearTimeout(timer),
    ...overrides,
  });
}

function fail(message: string): never {
  throw new Error(message);
}
