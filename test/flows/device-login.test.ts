import { describe, expect, test, vi } from 'vitest';
import {
  AccessDeniedError,
  ConfigurationError,
  ExpiredTokenError,
  OAuthError,
  PollCancelledError,
  TransportError,
  startDeviceLogin,
  type CodeEvent,
  type DeviceAuthorization,
  type TokenSet,
} from '../../src/index.js';
import { ManualClock, flushCallbacks, scriptedTransport, type ScriptStep } from '../../src/testing.js';
import { LoginDriver } from '../../src/flows/login-driver.js';
import type { LoginSetup } from '../../src/flows/login-setup.js';

const token: TokenSet = { accessToken: 'at', raw: {} };

function authorization(clock: ManualClock, overrides: Partial<DeviceAuthorization> = {}): DeviceAuthorization {
  return { deviceCode: 'DEVICE-SECRET', userCode: 'WDJB-MJHT', verificationUri: 'https://example.com/device', expiresInSeconds: 600, intervalSeconds: 5, issuedAt: clock.now(), ...overrides };
}

describe('startDeviceLogin', () => {
  describe('should run a whole login', () => {
    test('when the device code is issued, it emits code (without the device code), polls and resolves', async () => {
      // Arrange
      const clock = new ManualClock();
      const transports: string[] = [];
      const login = startDeviceLogin({
        authorize: async () => authorization(clock, { verificationUriComplete: 'https://example.com/device?user_code=WDJB-MJHT' }),
        transportFor: (auth) => {
          transports.push(auth.deviceCode);
          return scriptedTransport([{ type: 'authorization_pending' }, { type: 'success', token }], { clock });
        },
        clock,
      });
      const codes: CodeEvent[] = [];
      const names: string[] = [];
      login.on('code', (event) => codes.push(event));
      for (const name of ['attempt', 'pending', 'granted'] as const) login.on(name, () => names.push(name));
      // Act
      const result = await clock.runUntilSettled(login.result);
      // Assert
      expect(result).toEqual({ status: 'fulfilled', value: token });
      expect(codes).toEqual([
        { userCode: 'WDJB-MJHT', verificationUri: 'https://example.com/device', verificationUriComplete: 'https://example.com/device?user_code=WDJB-MJHT', expiresAt: clock.wallNow() - 10_000 + 600_000, expiresInMs: 600_000, restart: 0 },
      ]);
      expect(JSON.stringify(codes)).not.toContain('DEVICE-SECRET');
      expect(transports).toEqual(['DEVICE-SECRET']);
      expect(names).toEqual(['attempt', 'pending', 'attempt', 'granted']);
      expect(login.state.status).toBe('granted');
    });
  });

  describe('should restart only when asked', () => {
    test('when the code expires and no restart is asked, it rejects with the expiry', async () => {
      const clock = new ManualClock();
      const authorize = vi.fn(async () => authorization(clock, { expiresInSeconds: 12 }));
      const login = startDeviceLogin({ authorize, transportFor: () => scriptedTransport([{ type: 'authorization_pending' }], { clock, whenExhausted: 'repeat-last' }), clock });
      const expired = vi.fn();
      login.on('expired', expired);
      const result = await clock.runUntilSettled(login.result);
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(ExpiredTokenError);
      expect(authorize).toHaveBeenCalledTimes(1);
      expect(expired).toHaveBeenCalledTimes(1);
    });

    test('when the caller asks to restart, a new code is issued and the login goes on', async () => {
      const clock = new ManualClock();
      let n = 0;
      const scripts: ScriptStep[][] = [[{ type: 'expired_token', error: { code: 'expired_token' } }], [{ type: 'success', token }]];
      const login = startDeviceLogin({
        authorize: async () => authorization(clock, { userCode: `CODE-${n}` }),
        transportFor: () => scriptedTransport(scripts[n++]!, { clock }),
        restart: ({ restarts }) => restarts < 1,
        clock,
      });
      const codes: string[] = [];
      const expired = vi.fn();
      login.on('code', ({ userCode, restart }) => codes.push(`${userCode}#${restart}`));
      login.on('expired', expired);
      const result = await clock.runUntilSettled(login.result);
      expect(result).toEqual({ status: 'fulfilled', value: token });
      expect(codes).toEqual(['CODE-0#0', 'CODE-1#1']);
      expect(expired).not.toHaveBeenCalled();
    });
  });

  // The re-register rule, which loginWithAwsSso uses: the provider can register its client again, and a
  // rejected client mid-poll (reregisterClient) goes through the caller's restart policy, as an expiry does.
  describe('should register again on a rejected client only when restart says so', () => {
    const invalidClient: ScriptStep = { type: 'oauth_error', error: { code: 'invalid_client', reregisterClient: true } };
    type Restart = NonNullable<LoginSetup<TokenSet>['restart']>;

    function reregisteringLogin(clock: ManualClock, scripts: ScriptStep[][], restart: Restart | undefined) {
      let n = 0;
      const authorize = vi.fn(async (_context: { signal: AbortSignal; renew: boolean }) => authorization(clock, { userCode: `CODE-${n}` }));
      const forget = vi.fn(async () => {});
      const login = new LoginDriver<TokenSet>({
        authorize,
        transportFor: () => scriptedTransport(scripts[n++]!, { clock }),
        forget,
        restart,
        poll: undefined,
        clock,
        signal: undefined,
      });
      const events: string[] = [];
      login.on('code', ({ userCode, restart: count }) => events.push(`code ${userCode}#${count}`));
      login.on('stateChange', ({ to }) => events.push(`stateChange ${to}`));
      for (const name of ['granted', 'denied', 'expired', 'failed', 'cancelled'] as const) login.on(name, () => events.push(name));
      return { login, authorize, forget, events };
    }

    test('when the poll ends with a rejected client and restart says yes, a new client and code follow, and the failed end is never emitted', async () => {
      // Arrange
      const clock = new ManualClock();
      const restart = vi.fn<Restart>(() => true);
      const { login, authorize, forget, events } = reregisteringLogin(clock, [[invalidClient], [{ type: 'success', token }]], restart);
      // Act
      const result = await clock.runUntilSettled(login.result);
      // Assert
      expect(result).toEqual({ status: 'fulfilled', value: token });
      expect(restart).toHaveBeenCalledTimes(1);
      expect(restart.mock.calls[0]![0]).toMatchObject({ restarts: 0, error: expect.any(OAuthError) });
      expect(authorize.mock.calls.map(([context]) => context.renew)).toEqual([false, true]);
      expect(forget).not.toHaveBeenCalled();
      expect(events).toEqual(['code CODE-0#0', 'stateChange pending', 'code CODE-1#1', 'stateChange pending', 'stateChange granted', 'granted']);
    });

    test('when restart says no, the rejected client is forgotten, the held stateChange and failed are emitted once, in order, and the login rejects', async () => {
      const clock = new ManualClock();
      const { login, authorize, forget, events } = reregisteringLogin(clock, [[invalidClient]], async () => false);
      const result = await clock.runUntilSettled(login.result);
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(OAuthError);
      expect(authorize).toHaveBeenCalledTimes(1);
      expect(forget).toHaveBeenCalledTimes(1);
      expect(events).toEqual(['code CODE-0#0', 'stateChange pending', 'stateChange failed', 'failed']);
      expect(login.state.status).toBe('failed');
    });

    test('when restart throws, it counts as no', async () => {
      const clock = new ManualClock();
      const restart = vi.fn(() => {
        throw new Error('broken');
      });
      const { login, events } = reregisteringLogin(clock, [[invalidClient], [{ type: 'success', token }]], restart);
      const result = await clock.runUntilSettled(login.result);
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(OAuthError);
      expect(restart).toHaveBeenCalledTimes(1);
      expect(events.slice(-2)).toEqual(['stateChange failed', 'failed']);
    });

    test('when the user denies, restart is not asked: a denial is the user\'s answer', async () => {
      const clock = new ManualClock();
      const restart = vi.fn(() => true);
      const { login, events } = reregisteringLogin(clock, [[{ type: 'access_denied', error: { code: 'access_denied' } }]], restart);
      const result = await clock.runUntilSettled(login.result);
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(AccessDeniedError);
      expect(restart).not.toHaveBeenCalled();
      expect(events.slice(-2)).toEqual(['stateChange denied', 'denied']);
    });

    test('when the new code expires, restart is asked again with the expiry; restarts counts every restart', async () => {
      const clock = new ManualClock();
      const restart = vi.fn<Restart>(() => true);
      const scripts: ScriptStep[][] = [[invalidClient], [{ type: 'expired_token', error: { code: 'expired_token' } }], [{ type: 'success', token }]];
      const { login, events } = reregisteringLogin(clock, scripts, restart);
      const result = await clock.runUntilSettled(login.result);
      expect(result.status).toBe('fulfilled');
      expect(restart.mock.calls.map(([context]) => [context.restarts, context.error.constructor.name])).toEqual([
        [0, 'OAuthError'],
        [1, 'ExpiredTokenError'],
      ]);
      expect(events.filter((event) => event.startsWith('code'))).toEqual(['code CODE-0#0', 'code CODE-1#1', 'code CODE-2#2']);
    });

    test('when the client is rejected a second time, it is not registered again: forgotten, and the login fails', async () => {
      const clock = new ManualClock();
      const restart = vi.fn<Restart>(() => true);
      const { login, authorize, forget } = reregisteringLogin(clock, [[invalidClient], [invalidClient]], restart);
      const result = await clock.runUntilSettled(login.result);
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(OAuthError);
      expect(restart).toHaveBeenCalledTimes(1);
      expect(authorize).toHaveBeenCalledTimes(2);
      expect(forget).toHaveBeenCalledTimes(1);
    });

    test('when cancelled while restart decides, the login ends cancelled and the held failed end is dropped', async () => {
      const clock = new ManualClock();
      let decide: (value: boolean) => void = () => {};
      const { login, authorize, events } = reregisteringLogin(clock, [[invalidClient], [{ type: 'success', token }]], () => new Promise<boolean>((resolve) => (decide = resolve)));
      await clock.advance(6000); // the first code's poll fails; restart is now deciding
      login.cancel('user quit');
      decide(true);
      const result = await clock.runUntilSettled(login.result);
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(PollCancelledError);
      expect(login.result.isCanceled).toBe(true);
      expect(authorize).toHaveBeenCalledTimes(1);
      expect(events).toEqual(['code CODE-0#0', 'stateChange pending', 'cancelled']);
    });

    test('when the login is cancelled while polling, restart is not asked', async () => {
      const clock = new ManualClock();
      const restart = vi.fn(() => true);
      const { login, events } = reregisteringLogin(clock, [[{ type: 'authorization_pending' }]], restart);
      await clock.advance(6000);
      login.cancel();
      const result = await clock.runUntilSettled(login.result);
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(PollCancelledError);
      expect(restart).not.toHaveBeenCalled();
      expect(events.filter((e) => e === 'cancelled')).toHaveLength(1);
    });
  });

  describe('should announce the expiry the poll will keep', () => {
    test.each([
      [7200, 3_600_000],
      ['0', 900_000],
      ['soon', 900_000],
      ['600', 600_000],
    ] as const)('when expires_in is %j, the code event says %d ms', async (expiresInSeconds, expiresInMs) => {
      const clock = new ManualClock();
      const login = startDeviceLogin({ authorize: async () => authorization(clock, { expiresInSeconds }), transportFor: () => scriptedTransport([{ type: 'success', token }], { clock }), clock });
      const codes: CodeEvent[] = [];
      login.on('code', (event) => codes.push(event));
      await clock.runUntilSettled(login.result);
      expect(codes[0]?.expiresInMs).toBe(expiresInMs);
    });
  });

  describe('should report a throwing listener', () => {
    test('when the code listener throws, a warning says so and the login goes on', async () => {
      const clock = new ManualClock();
      const login = startDeviceLogin({ authorize: async () => authorization(clock), transportFor: () => scriptedTransport([{ type: 'success', token }], { clock }), clock });
      const warnings: string[] = [];
      login.on('warning', ({ code, message }) => warnings.push(`${code}: ${message}`));
      login.on('code', () => {
        throw new Error('display broke');
      });
      const result = await clock.runUntilSettled(login.result);
      expect(result.status).toBe('fulfilled');
      expect(warnings).toEqual(["listener-error: a listener for 'code' threw: display broke"]);
    });
  });

  describe('should fail or cancel cleanly', () => {
    test('when the device authorization fails, it rejects with a typed error', async () => {
      const login = startDeviceLogin({ authorize: async () => Promise.reject(new Error('boom')), transportFor: () => () => ({}) });
      const failed = vi.fn();
      login.on('failed', failed);
      const error = await login.result.then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(TransportError);
      expect(failed).toHaveBeenCalledTimes(1);
    });

    test('when cancelled while authorizing, the authorize signal aborts and nothing is polled', async () => {
      let signal: AbortSignal | undefined;
      const transportFor = vi.fn();
      const login = startDeviceLogin({
        authorize: ({ signal: s }) => {
          signal = s;
          return new Promise((_resolve, reject) => s.addEventListener('abort', () => reject(s.reason)));
        },
        transportFor,
      });
      await flushCallbacks();
      login.cancel('changed my mind');
      const error = await login.result.then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(PollCancelledError);
      expect((error as Error).cause).toBe('changed my mind');
      expect(signal?.aborted).toBe(true);
      expect(transportFor).not.toHaveBeenCalled();
    });

    test('when cancelled while polling, the poll is cancelled', async () => {
      const clock = new ManualClock();
      const login = startDeviceLogin({ authorize: async () => authorization(clock), transportFor: () => scriptedTransport([{ type: 'authorization_pending' }], { clock, whenExhausted: 'repeat-last' }), clock });
      await clock.advance(12_000);
      expect(login.state.status).toBe('pending');
      login.result.cancel();
      const result = await clock.runUntilSettled(login.result);
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(PollCancelledError);
      expect(clock.pendingTimers).toBe(0);
    });

    test('when cancelled while the restart callback decides, the login ends cancelled, not with a token', async () => {
      const clock = new ManualClock();
      let decide: (value: boolean) => void = () => {};
      let n = 0;
      const authorize = vi.fn(async () => authorization(clock, { userCode: `CODE-${n}` }));
      const login = startDeviceLogin({
        authorize,
        transportFor: () => scriptedTransport(n++ === 0 ? [{ type: 'expired_token', error: { code: 'expired_token' } }] : [{ type: 'success', token }], { clock }),
        restart: () => new Promise<boolean>((resolve) => (decide = resolve)),
        clock,
      });
      const events: string[] = [];
      for (const name of ['cancelled', 'expired', 'granted'] as const) login.on(name, () => events.push(name));
      await clock.advance(6000); // the first code's poll ends with expired_token; the callback is now deciding
      login.cancel('user quit');
      decide(true);
      const result = await clock.runUntilSettled(login.result);
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(PollCancelledError);
      expect(authorize).toHaveBeenCalledTimes(1);
      expect(events).toEqual(['cancelled']);
    });

    test('when cancelled before it starts, nothing is asked', async () => {
      const authorize = vi.fn();
      const login = startDeviceLogin({ authorize, transportFor: () => () => ({}) });
      login.cancel('now');
      await expect(login.result).rejects.toBeInstanceOf(PollCancelledError);
      await flushCallbacks();
      expect(authorize).not.toHaveBeenCalled();
    });

    test('when the poll options are wrong, it throws at once, before asking for a code', () => {
      const authorize = vi.fn();
      expect(() => startDeviceLogin({ authorize, transportFor: () => () => ({}), poll: { transientRetries: -1 } })).toThrow(ConfigurationError);
      expect(authorize).not.toHaveBeenCalled();
    });

    test('when the transport cannot be built, the login fails instead of hanging', async () => {
      const clock = new ManualClock();
      const login = startDeviceLogin({
        authorize: async () => authorization(clock),
        transportFor: () => {
          throw new Error('boom');
        },
        clock,
      });
      const error = await login.result.then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(TransportError);
    });

    test('when the caller signal is already aborted, nothing is asked', async () => {
      const authorize = vi.fn();
      const login = startDeviceLogin({ authorize, transportFor: () => () => ({}), signal: AbortSignal.abort('no') });
      await expect(login.result).rejects.toBeInstanceOf(PollCancelledError);
      expect(authorize).not.toHaveBeenCalled();
    });
  });
});
