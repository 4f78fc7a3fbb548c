import PCancelable from 'p-cancelable';
import { afterEach, describe, expect, test } from 'vitest';
import { AccessDeniedError, ErrorCode, PollCancelledError, pollToken, startDeviceLogin, type TokenSet } from '../../src/index.js';
import { ManualClock, flushCallbacks, scriptedTransport, type ScriptStep } from '../../src/testing.js';

const token: TokenSet = { accessToken: 'at-1', tokenType: 'Bearer', raw: {} };
const pending: ScriptStep = { type: 'authorization_pending' };

/** A poll on a manual clock whose server says pending for ever (or the given script). */
function pendingPoll(clock = new ManualClock(), steps: readonly ScriptStep[] = [pending]) {
  return { clock, poll: pollToken({ transport: scriptedTransport(steps, { clock, whenExhausted: 'repeat-last' }), clock, expiresInSeconds: 900, intervalSeconds: 5 }) };
}

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};
process.on('unhandledRejection', onUnhandled);
afterEach(() => {
  unhandled.length = 0;
});

describe("the result of a poll (CancelablePromise)", () => {
  test('should behave as a promise: instanceof, toString tag, then/catch/finally, Promise.all and race', async () => {
    const { clock, poll } = pendingPoll(new ManualClock(), [pending, { type: 'success', token }]);
    expect(poll.result).toBeInstanceOf(PCancelable);
    expect(poll.result).toBeInstanceOf(Promise);
    expect(Object.prototype.toString.call(poll.result)).toBe('[object Promise]');
    let finallyRan = false;
    const all = Promise.all([poll.result, Promise.resolve(1)]);
    const race = Promise.race([poll.result, new Promise(() => {})]);
    const chained = poll.result.then((t) => t.accessToken).finally(() => (finallyRan = true));
    await clock.runUntilSettled(poll.result);
    await expect(all).resolves.toEqual([token, 1]);
    await expect(race).resolves.toBe(token);
    await expect(chained).resolves.toBe('at-1');
    expect(finallyRan).toBe(true);
    // Awaited again after settling: the same value.
    await expect(poll.result).resolves.toBe(token);
    expect(poll.result.isCanceled).toBe(false);
  });

  test('should cancel through a destructured cancel, or one passed as a listener', async () => {
    const { poll } = pendingPoll();
    const { cancel } = poll.result;
    cancel('stop');
    await expect(poll.result).rejects.toMatchObject({ name: 'PollCancelledError', cause: 'stop' });
    expect(poll.result.isCanceled).toBe(true);

    const second = pendingPoll().poll;
    const controller = new AbortController();
    controller.signal.addEventListener('abort', second.result.cancel);
    controller.abort();
    await expect(second.result).rejects.toBeInstanceOf(PollCancelledError);
  });

  test('should already say isCanceled inside the cancelled listener', async () => {
    const { poll } = pendingPoll();
    let seen: boolean | undefined;
    poll.on('cancelled', () => (seen = poll.result.isCanceled));
    poll.result.cancel();
    await flushCallbacks();
    expect(seen).toBe(true);
    await expect(poll.result).rejects.toBeInstanceOf(PollCancelledError);
  });

  test('should reject a caller that attached before the end with the reason, though nobody listened to events', async () => {
    const { poll } = pendingPoll();
    const outcome = poll.result.then(
      () => 'fulfilled',
      (error: unknown) => error,
    );
    poll.cancel('user left');
    const error = await outcome;
    expect(error).toBeInstanceOf(PollCancelledError);
    expect((error as PollCancelledError).cause).toBe('user left');
    // A later await gets the same error object.
    await expect(poll.result).rejects.toBe(error);
  });

  test('should never cause an unhandled rejection when nobody awaits a failed or cancelled flow', async () => {
    const clock = new ManualClock();
    const denied = pollToken({ transport: scriptedTransport([{ type: 'access_denied', error: { code: 'access_denied' } }], { clock }), clock, expiresInSeconds: 900, intervalSeconds: 1 });
    const cancelled = pendingPoll(clock).poll;
    const login = startDeviceLogin({
      authorize: async () => ({ deviceCode: 'dc', userCode: 'UC', verificationUri: 'https://example.com/device', expiresInSeconds: 900, intervalSeconds: 1, issuedAt: clock.now() }),
      transportFor: () => scriptedTransport([{ type: 'access_denied', error: { code: 'access_denied' } }], { clock }),
      clock,
    });
    cancelled.cancel();
    // Time passes without anyone awaiting a result.
    await clock.advance(5000);
    await new Promise((resolve) => setImmediate(resolve));
    expect(denied.state.status).toBe('denied');
    expect(login.state.status).toBe('denied');
    expect(unhandled).toEqual([]);
    // Awaited late, they still reject with their errors.
    await expect(denied.result).rejects.toBeInstanceOf(AccessDeniedError);
    await expect(login.result).rejects.toBeInstanceOf(AccessDeniedError);
  });

  test.each([
    ['the handle', (poll: ReturnType<typeof pendingPoll>['poll'], reason: Error) => poll.cancel(reason)],
    ['the result', (poll: ReturnType<typeof pendingPoll>['poll'], reason: Error) => poll.result.cancel(reason)],
  ])('should say isCanceled and reject with a PollCancelledError that says isCanceled, when cancelled through %s', async (_how, cancel) => {
    // Arrange
    const { poll } = pendingPoll();
    await flushCallbacks();
    const reason = new Error('user closed the window');
    // Act
    cancel(poll, reason);
    // Assert
    expect(poll.result.isCanceled).toBe(true);
    const error = await poll.result.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PollCancelledError);
    expect(error).toMatchObject({ code: ErrorCode.CANCELLED, isCanceled: true, cause: reason });
  });

  test('should say isCanceled when the caller signal cancels the flow', async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    const poll = pollToken({ transport: scriptedTransport([pending], { clock, whenExhausted: 'repeat-last' }), clock, signal: controller.signal, expiresInSeconds: 900 });
    await flushCallbacks();
    controller.abort('navigated away');
    expect(poll.result.isCanceled).toBe(true);
    await expect(poll.result).rejects.toMatchObject({ name: 'PollCancelledError', isCanceled: true, cause: 'navigated away' });
  });

  test('should not say isCanceled when the flow ended otherwise', async () => {
    const clock = new ManualClock();
    const denied = pollToken({ transport: scriptedTransport([{ type: 'access_denied', error: { code: 'access_denied' } }], { clock }), clock, expiresInSeconds: 900, intervalSeconds: 1 });
    await clock.runUntilSettled(denied.result);
    expect(denied.result.isCanceled).toBe(false);
    denied.result.cancel('too late');
    expect(denied.result.isCanceled).toBe(false);
    await expect(denied.result).rejects.toBeInstanceOf(AccessDeniedError);
  });

  test('should stay granted and not cancelled when a listener cancels in the step that grants', async () => {
    // Arrange: a stateChange listener cancels as the flow moves to granted, before the result settles.
    const { clock, poll } = pendingPoll(new ManualClock(), [{ type: 'success', token }]);
    poll.on('stateChange', ({ to }) => {
      if (to === 'granted') poll.result.cancel('too late');
    });
    // Act
    const result = await clock.runUntilSettled(poll.result);
    // Assert: one outcome, told the same way by the result, isCanceled and the state.
    expect(result).toEqual({ status: 'fulfilled', value: token });
    expect(poll.result.isCanceled).toBe(false);
    expect(poll.state.status).toBe('granted');
  });
});
