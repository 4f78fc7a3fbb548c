import { describe, expect, test, vi } from 'vitest';
import {
  ConfigurationError,
  ExpiredTokenError,
  OAuthError,
  loginWithAwsSso,
  memoryRegistrationCache,
  startDeviceLogin,
  type AwsSsoLoginOptions,
  type AwsSsoToken,
  type LoginEvents,
} from '../../src/index.js';
import { ManualClock, seededRandom } from '../../src/testing.js';
import { SECRET, awsError, deviceAuthorization, fakeFetch, granted, registration, type FakeAnswer } from '../aws/helpers/fake-fetch.js';

// Issue 10: on InvalidClientException from CreateToken mid-poll, a new code means the user must act
// again, so it goes through the caller's restart policy (as an expired code does) instead of happening
// on its own. Before any code was shown (StartDeviceAuthorization), registering again stays automatic.

const NOW = Date.UTC(2026, 0, 1);
const pending = awsError('AuthorizationPendingException', 400, 'authorization_pending');
const invalidClient = awsError('InvalidClientException', 401, 'invalid_client', 'the client secret expired');
const expired = awsError('ExpiredTokenException', 400, 'expired_token', 'the device code expired');

type Restart = NonNullable<AwsSsoLoginOptions['restart']>;

describe('loginWithAwsSso', () => {
  describe('should not show the user a new code on its own when CreateToken rejects the client mid-poll', () => {
    test('when no restart policy is given, the login rejects with the OAuthError, after one code and no new registration', async () => {
      // Arrange
      const run = login({ '/aws/token': [pending, invalidClient, granted] });
      // Act
      const result = await run.clock.runUntilSettled(run.handle.result);
      // Assert
      expect(result.status).toBe('rejected');
      const error = (result as PromiseRejectedResult).reason as OAuthError;
      expect(error).toBeInstanceOf(OAuthError);
      expect(error.reregisterClient).toBe(true);
      expect(run.codes()).toEqual([0]);
      expect(run.fake.paths()).toEqual(['/aws/client/register', '/aws/device_authorization', '/aws/token', '/aws/token']);
      expect(run.names().slice(-2)).toEqual(['stateChange', 'failed']);
      expect(JSON.stringify(error) + String(error)).not.toContain(SECRET);
    });

    test('when the restart policy says no, it was asked with the OAuthError, and the login rejects with it', async () => {
      // Arrange
      const restart = vi.fn<Restart>(() => false);
      const run = login({ '/aws/token': [invalidClient, granted] }, restart);
      // Act
      const result = await run.clock.runUntilSettled(run.handle.result);
      // Assert
      expect(restart).toHaveBeenCalledTimes(1);
      const asked = restart.mock.calls[0]![0];
      expect(asked.restarts).toBe(0);
      expect(asked.error).toBeInstanceOf(OAuthError);
      expect(asked.error).toMatchObject({ reregisterClient: true, error: { exception: 'InvalidClientException' } });
      expect(asked.signal).toBeInstanceOf(AbortSignal);
      expect((result as PromiseRejectedResult).reason).toBe(asked.error);
      expect(run.codes()).toEqual([0]);
      expect(run.fake.paths().filter((path) => path === '/aws/client/register')).toHaveLength(1);
      expect(run.names().filter((name) => name === 'failed')).toHaveLength(1);
    });

    test('when no new code is made, the rejected registration is forgotten, so the next login registers a new client instead of failing alike', async () => {
      // Arrange: two logins sharing one registration cache, as the processes of one user do through the cache file.
      const cache = memoryRegistrationCache(() => NOW);
      const first = login({ '/aws/token': [invalidClient] }, undefined, cache);
      await first.clock.runUntilSettled(first.handle.result);
      // Act
      const second = login({ '/aws/token': [granted] }, undefined, cache);
      const result = await second.clock.runUntilSettled(second.handle.result);
      // Assert
      expect(result.status).toBe('fulfilled');
      expect(second.fake.paths()).toEqual(['/aws/client/register', '/aws/device_authorization', '/aws/token']);
    });

    test('when the restart policy throws, it counts as no', async () => {
      const run = login({ '/aws/token': [invalidClient, granted] }, () => {
        throw new Error('policy bug');
      });
      const result = await run.clock.runUntilSettled(run.handle.result);
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(OAuthError);
      expect(run.codes()).toEqual([0]);
    });

    test('when the restart policy says yes (asynchronously), the client is registered again and a second code is shown', async () => {
      // Arrange
      const restart = vi.fn<Restart>(async () => true);
      const run = login({ '/aws/token': [invalidClient, granted] }, restart);
      // Act
      const result = await run.clock.runUntilSettled(run.handle.result);
      // Assert
      expect((result as PromiseFulfilledResult<AwsSsoToken>).value.registration.clientId).toBe('client-2');
      expect(run.codes()).toEqual([0, 1]);
      expect(run.names()).not.toContain('failed');
      expect(restart).toHaveBeenCalledTimes(1);
    });

    test('when the code later expires too, the same policy is asked again, with the ExpiredTokenError and every restart counted', async () => {
      // Arrange
      const restart = vi.fn<Restart>(({ restarts }) => restarts === 0);
      const run = login({ '/aws/token': [invalidClient, expired] }, restart);
      // Act
      const result = await run.clock.runUntilSettled(run.handle.result);
      // Assert
      expect(restart.mock.calls.map(([context]) => [context.restarts, context.error.constructor.name])).toEqual([
        [0, 'OAuthError'],
        [1, 'ExpiredTokenError'],
      ]);
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(ExpiredTokenError);
      expect(run.codes()).toEqual([0, 1]);
    });
  });

  describe('should still register again on its own before any code was shown', () => {
    test('when StartDeviceAuthorization rejects the client, the call is repeated with a new one and the policy is not asked', async () => {
      const restart = vi.fn<Restart>(() => false);
      const run = login({ '/aws/device_authorization': [invalidClient, deviceAuthorization], '/aws/token': [granted] }, restart);
      const result = await run.clock.runUntilSettled(run.handle.result);
      expect((result as PromiseFulfilledResult<AwsSsoToken>).value.registration.clientId).toBe('client-2');
      expect(restart).not.toHaveBeenCalled();
      expect(run.codes()).toEqual([0]);
    });
  });
});

describe('startDeviceLogin', () => {
  describe('should refuse a restart policy that is not a function', () => {
    test.each(['restart'])('when %s is not a function', (name) => {
      const build = (): unknown => startDeviceLogin({ authorize: () => new Promise(() => {}), transportFor: () => () => Promise.resolve({}), [name]: true });
      expect(build).toThrow(ConfigurationError);
      expect(build).toThrow(expect.objectContaining({ option: name }));
    });
  });
});

// Helpers

function login(routes: Record<string, FakeAnswer[]>, restart?: Restart, cache = memoryRegistrationCache(() => NOW)) {
  const clock = new ManualClock({ wallEpochMs: NOW });
  const counts = new Map<string, number>();
  let registrations = 0;
  const fake = fakeFetch((path) => {
    if (path === '/aws/client/register') return registration(NOW, 90 * 86_400, `client-${++registrations}`);
    const script = routes[path] ?? [deviceAuthorization];
    const n = (counts.get(path) ?? 0) + 1;
    counts.set(path, n);
    return script[Math.min(n, script.length) - 1]!;
  });
  const handle = loginWithAwsSso({
    region: 'us-east-1',
    endpoint: 'http://127.0.0.1:9/aws',
    startUrl: 'https://d-1.awsapps.com/start',
    fetch: fake.fetch,
    clock,
    cache,
    poll: { random: seededRandom(1) },
    ...(restart === undefined ? {} : { restart }),
  });
  const events: { name: keyof LoginEvents<AwsSsoToken>; payload: unknown }[] = [];
  const names = ['code', 'stateChange', 'attempt', 'pending', 'retry', 'warning', 'granted', 'denied', 'expired', 'failed', 'cancelled'] as const;
  for (const name of names) handle.on(name, (payload: unknown) => events.push({ name, payload }));
  return {
    clock,
    fake,
    handle,
    names: () => events.map((event) => event.name),
    codes: () => events.filter((event) => event.name === 'code').map((event) => (event.payload as LoginEvents['code']).restart),
  };
}
