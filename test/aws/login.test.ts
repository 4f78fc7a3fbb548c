import { describe, expect, test } from 'vitest';
import { AwsSsoOidcError, OAuthError, PollCancelledError, loginWithAwsSso, memoryRegistrationCache, type AwsSsoLoginOptions, type AwsSsoToken, type LoginEvents } from '../../src/index.js';
import { ManualClock, seededRandom } from '../../src/testing.js';
import { ACCESS_TOKEN, DEVICE_CODE, REFRESH_TOKEN, SECRET, awsError, deviceAuthorization, fakeFetch, granted, registration, type FakeAnswer } from './helpers/fake-fetch.js';

const NOW = Date.UTC(2026, 0, 1);
const pending = awsError('AuthorizationPendingException', 400, 'authorization_pending');
const invalidClient = awsError('InvalidClientException', 401, 'invalid_client', 'the client secret expired');

describe('loginWithAwsSso', () => {
  describe('should register, authorize, emit code, poll and resolve with the token and registration', () => {
    test('when the user approves after one pending answer', async () => {
      const run = login({ '/aws/token': [pending, granted] });
      const result = await run.clock.runUntilSettled(run.handle.result);
      expect(result.status).toBe('fulfilled');
      const token = (result as PromiseFulfilledResult<AwsSsoToken>).value;
      expect(token).toMatchObject({
        accessToken: ACCESS_TOKEN,
        refreshToken: REFRESH_TOKEN,
        expiresInSeconds: 28_800,
        region: 'us-east-1',
        startUrl: 'https://d-1.awsapps.com/start',
        registration: { clientId: 'client-1', clientSecret: SECRET, registrationExpiresAt: NOW + 90 * 86_400_000 },
      });
      expect(token.expiresAt).toBe(run.clock.wallNow() + 28_800_000);
      expect(run.fake.paths()).toEqual(['/aws/client/register', '/aws/device_authorization', '/aws/token', '/aws/token']);
      expect(run.fake.calls[2]!.body).toEqual({ clientId: 'client-1', clientSecret: SECRET, grantType: 'urn:ietf:params:oauth:grant-type:device_code', deviceCode: DEVICE_CODE });
      expect(run.names()).toEqual(['code', 'stateChange', 'attempt', 'pending', 'attempt', 'stateChange', 'granted']);
      expect(run.events.find((e) => e.name === 'granted')!.payload).toMatchObject({ token });
      expect(run.handle.state).toMatchObject({ status: 'granted', token });
    });

    test('when a second login runs with the same cache, the registration is reused', async () => {
      const cache = memoryRegistrationCache(() => NOW);
      const first = login({ '/aws/token': [granted] }, { cache });
      await first.clock.runUntilSettled(first.handle.result);
      const second = login({ '/aws/token': [granted] }, { cache });
      await second.clock.runUntilSettled(second.handle.result);
      expect(second.fake.paths()).toEqual(['/aws/device_authorization', '/aws/token']);
    });
  });

  describe('should register the client again, once, on InvalidClientException', () => {
    test('when StartDeviceAuthorization rejects the cached client, the call is repeated with a new one', async () => {
      const run = login({ '/aws/device_authorization': [invalidClient, deviceAuthorization], '/aws/token': [granted] });
      const result = await run.clock.runUntilSettled(run.handle.result);
      expect(result.status).toBe('fulfilled');
      expect(run.fake.paths()).toEqual(['/aws/client/register', '/aws/device_authorization', '/aws/client/register', '/aws/device_authorization', '/aws/token']);
      expect((result as PromiseFulfilledResult<AwsSsoToken>).value.registration.clientId).toBe('client-2');
      expect(run.names().filter((n) => n === 'code')).toHaveLength(1);
    });

    test('when CreateToken rejects the client and the caller asks for a restart, the login starts over with a new client and a second code', async () => {
      const run = login({ '/aws/token': [pending, invalidClient, granted] }, { restart: () => true });
      const result = await run.clock.runUntilSettled(run.handle.result);
      expect(result.status).toBe('fulfilled');
      expect(run.fake.paths()).toEqual([
        '/aws/client/register', '/aws/device_authorization', '/aws/token', '/aws/token',
        '/aws/client/register', '/aws/device_authorization', '/aws/token',
      ]);
      const codes = run.events.filter((e) => e.name === 'code').map((e) => (e.payload as LoginEvents['code']).restart);
      expect(codes).toEqual([0, 1]);
      expect(run.names()).not.toContain('failed');
      expect(run.events.filter((e) => e.name === 'stateChange').map((e) => (e.payload as LoginEvents['stateChange']).to)).not.toContain('failed');
      expect((result as PromiseFulfilledResult<AwsSsoToken>).value.registration.clientId).toBe('client-2');
    });

    test('when the login restarts with a new client, the granted event and state carry the token completed with it', async () => {
      const run = login({ '/aws/token': [invalidClient, granted] }, { restart: () => true });
      const result = await run.clock.runUntilSettled(run.handle.result);
      const token = (result as PromiseFulfilledResult<AwsSsoToken>).value;
      expect(token).toMatchObject({ registration: { clientId: 'client-2' }, region: 'us-east-1', expiresAt: run.clock.wallNow() + 28_800_000 });
      expect(run.events.find((e) => e.name === 'granted')!.payload).toMatchObject({ token });
      expect(run.handle.state).toMatchObject({ status: 'granted', token });
    });

    test('when the new client is rejected too, the login fails with the OAuthError after one re-registration', async () => {
      const run = login({ '/aws/token': [invalidClient] }, { restart: () => true });
      const result = await run.clock.runUntilSettled(run.handle.result);
      const error = (result as PromiseRejectedResult).reason as OAuthError;
      expect(error).toBeInstanceOf(OAuthError);
      expect(error.reregisterClient).toBe(true);
      expect(run.fake.paths().filter((p) => p === '/aws/client/register')).toHaveLength(2);
      expect(run.names().at(-1)).toBe('failed');
    });

    test('when StartDeviceAuthorization keeps rejecting, AwsSsoOidcError ends the login', async () => {
      const run = login({ '/aws/device_authorization': [invalidClient] });
      const result = await run.clock.runUntilSettled(run.handle.result);
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(AwsSsoOidcError);
      expect(run.fake.paths()).toEqual(['/aws/client/register', '/aws/device_authorization', '/aws/client/register', '/aws/device_authorization']);
    });
  });

  describe('should keep secrets out of events, state and errors', () => {
    test('when a login is denied, nothing but the granted token would carry a secret', async () => {
      const run = login({ '/aws/token': [pending, awsError('AccessDeniedException', 400, 'access_denied', 'denied', { reason: 'KMS_AccessDeniedException' })] });
      const result = await run.clock.runUntilSettled(run.handle.result);
      const error = (result as PromiseRejectedResult).reason as Error;
      expect(error).toMatchObject({ code: 'ERR_ACCESS_DENIED', error: { reason: 'KMS_AccessDeniedException' } });
      const dump = JSON.stringify(run.events) + JSON.stringify(run.handle.state) + JSON.stringify(error) + String(error);
      expect(dump).not.toMatch(/SECRET|DEVICE|ACCESS-|REFRESH-/);
    });
  });

  describe('should let one requestTimeoutMs bound both the request and the poll', () => {
    test('when requestTimeoutMs is 60 s, a hung CreateToken outlives the poll\'s default 30 s and is aborted at 60 s', async () => {
      const run = login({}, { hold: '/aws/token', requestTimeoutMs: 60_000 });
      for (let i = 0; i < 100 && !run.fake.paths().includes('/aws/token'); i++) await run.clock.advance(100);
      const poll = run.fake.calls.at(-1)!;
      expect(poll.path).toBe('/aws/token');
      await run.clock.advance(45_000);
      expect(poll.signal?.aborted).toBe(false);
      expect(run.names()).not.toContain('retry');
      await run.clock.advance(15_000);
      expect(poll.signal?.aborted).toBe(true);
      expect(run.events.filter((e) => e.name === 'retry').map((e) => (e.payload as LoginEvents['retry']).fault.type)).toEqual(['timeout']);
      run.handle.cancel();
      await run.clock.runUntilSettled(run.handle.result);
    });
  });

  describe('should cancel at any point', () => {
    test('when cancelled at once, before the first request, the result rejects with PollCancelledError and nothing is sent', async () => {
      const run = login({ '/aws/token': [granted] });
      run.handle.cancel('user quit');
      const result = await run.clock.runUntilSettled(run.handle.result);
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(PollCancelledError);
      expect((result as PromiseRejectedResult).reason.cause).toBe('user quit');
      expect(run.names()).toEqual(['cancelled']);
      expect(run.fake.paths()).toEqual([]);
    });

    test.each([
      ['RegisterClient', '/aws/client/register', ['/aws/client/register']],
      ['StartDeviceAuthorization', '/aws/device_authorization', ['/aws/client/register', '/aws/device_authorization']],
    ])('when cancelled while %s is in flight, its request is aborted and nothing else is sent', async (_operation, held, sent) => {
      const run = login({ '/aws/token': [granted] }, { hold: held });
      await until(() => run.fake.paths().includes(held));
      run.handle.cancel('user quit');
      const result = await run.clock.runUntilSettled(run.handle.result);
      expect(result.status).toBe('rejected');
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(PollCancelledError);
      expect((result as PromiseRejectedResult).reason.cause).toBe('user quit');
      expect(run.fake.calls.at(-1)!.signal?.aborted).toBe(true);
      expect(run.names()).toEqual(['cancelled']);
      await run.clock.advance(60_000);
      expect(run.fake.paths()).toEqual(sent);
      expect(run.clock.pendingTimers).toBe(0);
    });
  });
});

// Helpers

interface Recorded {
  readonly name: keyof LoginEvents<AwsSsoToken>;
  readonly payload: unknown;
}

function login(
  routes: Record<string, FakeAnswer[]>,
  options: { cache?: ReturnType<typeof memoryRegistrationCache>; hold?: string; requestTimeoutMs?: number; restart?: AwsSsoLoginOptions['restart'] } = {},
) {
  const clock = new ManualClock({ wallEpochMs: NOW });
  const counts = new Map<string, number>();
  let registrations = 0;
  const fake = fakeFetch((path) => {
    if (path === options.hold) return new Promise<never>(() => {}); // in flight until aborted
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
    cache: options.cache ?? memoryRegistrationCache(() => NOW),
    poll: { random: seededRandom(1) },
    ...(options.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: options.requestTimeoutMs }),
    ...(options.restart === undefined ? {} : { restart: options.restart }),
  });
  const events: Recorded[] = [];
  const names = ['code', 'stateChange', 'attempt', 'pending', 'slowDown', 'retry', 'warning', 'granted', 'denied', 'expired', 'failed', 'cancelled'] as const;
  for (const name of names) handle.on(name, (payload: unknown) => events.push({ name, payload }));
  return { clock, fake, handle, events, names: () => events.map((e) => e.name) };
}

/** Lets promise callbacks and I/O run until `done()` holds (no clock timer fires). */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !done(); i++) await new Promise((resolve) => setImmediate(resolve));
  if (!done()) throw new Error('the condition never held');
}
