import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { CallbackError, ExpiredTokenError, OAuthError, PollCancelledError, startDeviceLogin, type Clock, type DeviceAuthorization, type TokenSet } from '../../src/index.js';
import { ManualClock, scriptedTransport, type ScriptStep } from '../../src/testing.js';
import { LoginDriver } from '../../src/flows/login-driver.js';
import type { LoginEvents } from '../../src/flows/login-types.js';

const token: TokenSet = { accessToken: 'at', raw: {} };
const pending: ScriptStep = { type: 'authorization_pending' };
const invalidClient: ScriptStep = { type: 'oauth_error', error: { code: 'invalid_client', reregisterClient: true } };
const EVENTS = ['code', 'stateChange', 'attempt', 'pending', 'slowDown', 'retry', 'warning', 'granted', 'denied', 'expired', 'failed', 'cancelled'] as const;

/** A clock whose `now` and `wallNow` throw once it is broken; its timers are a ManualClock's. */
class BreakableClock implements Clock {
  broken = false;
  wallBroken = false;
  readonly manual: ManualClock;
  constructor(manual: ManualClock) {
    this.manual = manual;
  }
  now(): number {
    if (this.broken) throw new Error('clock broke');
    return this.manual.now();
  }
  wallNow(): number {
    if (this.broken || this.wallBroken) throw new Error('wall clock broke');
    return this.manual.wallNow();
  }
  setTimeout(callback: () => void, delayMs: number): unknown {
    return this.manual.setTimeout(callback, delayMs);
  }
  clearTimeout(timer: unknown): void {
    this.manual.clearTimeout(timer);
  }
}

function authorization(clock: ManualClock, overrides: Partial<DeviceAuthorization> = {}): DeviceAuthorization {
  return { deviceCode: 'DEVICE-SECRET', userCode: 'WDJB-MJHT', verificationUri: 'https://example.com/device', expiresInSeconds: 12, intervalSeconds: 5, issuedAt: clock.now(), ...overrides };
}

/** Records every event's name (a `failed` event with its error's name). */
function record<TToken>(login: { on<K extends keyof LoginEvents<TToken>>(event: K, listener: (payload: LoginEvents<TToken>[K]) => void): unknown }): string[] {
  const events: string[] = [];
  for (const name of EVENTS) login.on(name, (payload: unknown) => events.push(name === 'failed' ? `failed ${(payload as { error: Error }).error.name}` : name));
  return events;
}

// Errors that escape a promise callback or a listener reach the process: each test checks that none did.
let uncaught: unknown[] = [];
const onUncaught = (error: unknown): void => {
  uncaught.push(error);
};
beforeEach(() => {
  uncaught = [];
  process.on('unhandledRejection', onUncaught);
  process.on('uncaughtException', onUncaught);
});
afterEach(() => {
  process.off('unhandledRejection', onUncaught);
  process.off('uncaughtException', onUncaught);
});

/** Lets the process report what escaped (it does so after the microtasks of a turn). */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

describe('LoginDriver', () => {
  describe('should settle failed, with nothing escaping, when the clock throws', () => {
    test('when the clock breaks while authorizing, the login fails with a CallbackError and no poll is left running', async () => {
      // Arrange
      const manual = new ManualClock();
      const clock = new BreakableClock(manual);
      const login = startDeviceLogin({
        authorize: async () => {
          const answer = authorization(manual);
          clock.broken = true;
          return answer;
        },
        transportFor: () => scriptedTransport([pending], { clock: manual, whenExhausted: 'repeat-last' }),
        clock,
      });
      const events = record(login);
      // Act
      const result = await manual.runUntilSettled(login.result);
      await nextTurn();
      // Assert
      const error = (result as PromiseRejectedResult).reason;
      expect(error).toBeInstanceOf(CallbackError);
      expect(error.message).toContain('clock broke');
      expect(error.cause).toEqual(new Error('clock broke'));
      expect(events).toEqual(['failed CallbackError']);
      expect(login.state).toMatchObject({ status: 'failed', failure: { kind: 'callback_error' } });
      expect(manual.pendingTimers).toBe(0);
      expect(uncaught).toEqual([]);
    });

    test('when the wall clock breaks as the poll starts, the poll just made is cancelled and the login fails', async () => {
      const manual = new ManualClock();
      const clock = new BreakableClock(manual);
      clock.wallBroken = true;
      let requests = 0;
      const login = startDeviceLogin({
        authorize: async () => authorization(manual),
        transportFor: () => async () => {
          requests++;
          return {};
        },
        clock,
      });
      const events = record(login);
      const result = await manual.runUntilSettled(login.result);
      await nextTurn();
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(CallbackError);
      expect(events).toEqual(['failed CallbackError']);
      expect(requests).toBe(0);
      expect(manual.pendingTimers).toBe(0);
      expect(uncaught).toEqual([]);
    });

    test('when the clock breaks while polling, the poll is cancelled, its timer cleared, and the login fails once', async () => {
      const manual = new ManualClock();
      const clock = new BreakableClock(manual);
      const login = startDeviceLogin({ authorize: async () => authorization(manual, { expiresInSeconds: 600 }), transportFor: () => scriptedTransport([pending], { clock: manual, whenExhausted: 'repeat-last' }), clock });
      const events = record(login);
      login.on('pending', () => (clock.broken = true));
      const result = await manual.runUntilSettled(login.result);
      await nextTurn();
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(CallbackError);
      expect(events.filter((name) => name.startsWith('failed') || name === 'cancelled' || name === 'granted')).toEqual(['failed CallbackError']);
      expect(login.state).toMatchObject({ status: 'failed', failure: { kind: 'callback_error' }, attempt: 1 });
      expect(manual.pendingTimers).toBe(0);
      expect(uncaught).toEqual([]);
    });

    test('when the clock breaks while the restart policy decides, the policy\'s signal aborts and the login fails', async () => {
      const manual = new ManualClock();
      const clock = new BreakableClock(manual);
      let decide: (yes: boolean) => void = () => {};
      let policySignal: AbortSignal | undefined;
      const login = startDeviceLogin({
        authorize: async () => authorization(manual),
        transportFor: () => scriptedTransport([pending], { clock: manual, whenExhausted: 'repeat-last' }),
        restart: ({ signal }) => {
          policySignal = signal;
          return new Promise<boolean>((resolve) => (decide = resolve));
        },
        clock,
      });
      await manual.advance(13_000); // the code expired; the policy is asked
      expect(policySignal?.aborted).toBe(false);
      clock.broken = true;
      decide(true);
      const result = await manual.runUntilSettled(login.result);
      await nextTurn();
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(CallbackError);
      expect(policySignal?.aborted).toBe(true);
      expect(login.state).toMatchObject({ status: 'failed', failure: { kind: 'callback_error' } });
      expect(manual.pendingTimers).toBe(0);
      expect(uncaught).toEqual([]);
    });

    test('when the clock breaks while the rejected registration is forgotten, the login fails', async () => {
      const manual = new ManualClock();
      const clock = new BreakableClock(manual);
      const login = new LoginDriver<TokenSet>({
        authorize: async () => authorization(manual, { expiresInSeconds: 600 }),
        transportFor: () => scriptedTransport([invalidClient], { clock: manual }),
        forget: async () => {
          clock.broken = true;
        },
        restart: undefined,
        poll: undefined,
        clock,
        signal: undefined,
      });
      const events = record(login);
      const result = await manual.runUntilSettled(login.result);
      await nextTurn();
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(CallbackError);
      // The held end of the poll (its stateChange and failed OAuthError) is dropped: the login ends once.
      expect(events).toEqual(['code', 'stateChange', 'attempt', 'failed CallbackError']);
      expect(manual.pendingTimers).toBe(0);
      expect(uncaught).toEqual([]);
    });
  });

  describe('should settle, with nothing escaping, when a callback of the caller throws', () => {
    test.each([
      ['synchronously', () => {
        throw new Error('policy broke');
      }],
      ['asynchronously', async () => {
        throw new Error('policy broke');
      }],
    ] as const)('when the restart policy throws %s, it counts as no and the login settles expired', async (_how, restart) => {
      const clock = new ManualClock();
      const login = startDeviceLogin({ authorize: async () => authorization(clock), transportFor: () => scriptedTransport([pending], { clock, whenExhausted: 'repeat-last' }), restart, clock });
      const result = await clock.runUntilSettled(login.result);
      await nextTurn();
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(ExpiredTokenError);
      expect(login.state.status).toBe('expired');
      expect(clock.pendingTimers).toBe(0);
      expect(uncaught).toEqual([]);
    });

    test('when every listener throws, warning listeners included, the login still resolves', async () => {
      const clock = new ManualClock();
      const login = startDeviceLogin({ authorize: async () => authorization(clock), transportFor: () => scriptedTransport([pending, { type: 'success', token }], { clock }), clock });
      for (const name of EVENTS) {
        login.on(name, () => {
          throw new Error(`${name} listener broke`);
        });
      }
      const result = await clock.runUntilSettled(login.result);
      await nextTurn();
      expect(result).toEqual({ status: 'fulfilled', value: token });
      expect(clock.pendingTimers).toBe(0);
      expect(uncaught).toEqual([]);
    });
  });

  describe('should show where the login is, from its machine', () => {
    test('when asking for a code fails, the state is the failure, not authorizing', async () => {
      const clock = new ManualClock();
      const login = startDeviceLogin({ authorize: async () => Promise.reject(new Error('boom')), transportFor: () => scriptedTransport([], { clock }), clock });
      const result = await clock.runUntilSettled(login.result);
      expect((result as PromiseRejectedResult).reason.name).toBe('TransportError');
      expect(login.state).toMatchObject({ status: 'failed', failure: { kind: 'transport_error' }, attempt: 0 });
      // As in a poll's failure, what was thrown is kept, but out of a JSON dump.
      const { failure } = login.state as { failure: { cause?: unknown } };
      expect(failure.cause).toBe((result as PromiseRejectedResult).reason);
      expect(Object.keys(failure)).not.toContain('cause');
    });

    test('when the restart policy is being asked, the state is authorizing (no poll runs), not the old poll\'s expired', async () => {
      const clock = new ManualClock();
      const login = startDeviceLogin({
        authorize: async () => authorization(clock),
        transportFor: () => scriptedTransport([pending], { clock, whenExhausted: 'repeat-last' }),
        restart: () => new Promise<boolean>(() => {}),
        clock,
      });
      await clock.advance(13_000);
      expect(login.state).toEqual({ status: 'authorizing', restart: 0 });
    });

    test('when cancelled while the restart policy is asked, the state is cancelled, with the requests the poll sent', async () => {
      // Arrange
      const clock = new ManualClock();
      const login = startDeviceLogin({
        authorize: async () => authorization(clock),
        transportFor: () => scriptedTransport([pending], { clock, whenExhausted: 'repeat-last' }),
        restart: () => new Promise<boolean>(() => {}),
        clock,
      });
      const cancelled: LoginEvents['cancelled'][] = [];
      login.on('cancelled', (event) => cancelled.push(event));
      await clock.advance(13_000); // two polls (at 5 s and 10 s), then the code expired at 12 s
      // Act
      login.cancel('user quit');
      const result = await clock.runUntilSettled(login.result);
      // Assert
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(PollCancelledError);
      expect(login.result.isCanceled).toBe(true);
      expect(login.state).toMatchObject({ status: 'cancelled', reason: 'user quit', attempt: 2 });
      expect(cancelled).toHaveLength(1);
      expect(cancelled[0]).toMatchObject({ attempt: 2 });
    });

    test('when the restart policy says no, the state is the poll\'s expired end', async () => {
      const clock = new ManualClock();
      const login = startDeviceLogin({ authorize: async () => authorization(clock), transportFor: () => scriptedTransport([pending], { clock, whenExhausted: 'repeat-last' }), restart: () => false, clock });
      await clock.runUntilSettled(login.result);
      expect(login.state).toMatchObject({ status: 'expired', source: 'deadline', attempt: 2 });
    });

    test('when the policy says yes, the state is authorizing with the restart counted, then the new poll\'s', async () => {
      const clock = new ManualClock();
      let n = 0;
      let issue: () => void = () => {};
      const login = startDeviceLogin({
        // The second code waits for the test.
        authorize: async () => (n === 0 ? authorization(clock) : new Promise<DeviceAuthorization>((resolve) => (issue = () => resolve(authorization(clock))))),
        transportFor: () => scriptedTransport(n++ === 0 ? [pending] : [{ type: 'success', token }], { clock, whenExhausted: 'repeat-last' }),
        restart: () => true,
        clock,
      });
      await clock.advance(13_000);
      expect(login.state).toEqual({ status: 'authorizing', restart: 1 });
      issue();
      await clock.advance(0);
      expect(login.state).toMatchObject({ status: 'pending', attempt: 0 });
      const result = await clock.runUntilSettled(login.result);
      expect(result).toEqual({ status: 'fulfilled', value: token });
      expect(login.state).toMatchObject({ status: 'granted', attempt: 1 });
    });

    test('when the client is rejected and forgotten (no policy), the state is the poll\'s failed end once settled', async () => {
      const clock = new ManualClock();
      let forgotten: () => void = () => {};
      const login = new LoginDriver<TokenSet>({
        authorize: async () => authorization(clock, { expiresInSeconds: 600 }),
        transportFor: () => scriptedTransport([invalidClient], { clock }),
        forget: () => new Promise<void>((resolve) => (forgotten = resolve)),
        restart: undefined,
        poll: undefined,
        clock,
        signal: undefined,
      });
      await clock.advance(5_000);
      expect(login.state).toEqual({ status: 'authorizing', restart: 0 });
      forgotten();
      const result = await clock.runUntilSettled(login.result);
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(OAuthError);
      expect(login.state).toMatchObject({ status: 'failed', failure: { kind: 'oauth_error' }, attempt: 1 });
    });
  });
});
