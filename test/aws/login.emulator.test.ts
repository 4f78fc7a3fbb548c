import { describe, expect, test } from 'vitest';
import {
  AccessDeniedError,
  AwsSsoOidcError,
  ExpiredTokenError,
  PollCancelledError,
  loginWithAwsSso,
  memoryRegistrationCache,
  refreshAwsToken,
  type AwsSsoLoginOptions,
  type AwsSsoToken,
  type LoginEvents,
} from '../../src/index.js';
import type { Emulator } from '../../src/testing-emulator.js';
import { delay, fastClock, requestLog, scenarioTable, summarise, useEmulator } from './helpers/emulator.js';

const start = useEmulator();
const record = scenarioTable('loginWithAwsSso against the emulator');
const START_URL = 'https://d-1234567890.awsapps.com/start';

describe('loginWithAwsSso (emulator, real HTTP)', () => {
  describe('should end the way the user decides', () => {
    test('when the user approves after two pending answers, it resolves with the token and the registration', async () => {
      const emulator = await start({ intervalSeconds: 0.05 });
      const run = login(emulator);
      run.approveOnPending(2);
      const token = await run.handle.result;
      expect(token).toMatchObject({ accessToken: expect.stringMatching(/^aws-at-/), tokenType: 'Bearer', expiresInSeconds: 3600, refreshToken: expect.any(String) });
      expect(token.registration).toMatchObject({ clientId: expect.stringMatching(/^aws-client-/), clientSecret: expect.stringMatching(/^aws-secret-/) });
      expect(token.registration.registrationExpiresAt).toBeGreaterThan(Date.now() + 80 * 86_400_000);
      expect(requestLog(emulator)).toEqual(['/client/register 200', '/device_authorization 200', '/token 400', '/token 400', '/token 200']);
      expect(run.codeEvents()).toEqual([
        expect.objectContaining({ userCode: emulator.codes[0]!.userCode, verificationUri: `${emulator.url}/device`, restart: 0 }),
      ]);
      const dump = JSON.stringify(run.events.filter((e) => e.name !== 'granted'));
      expect(dump).not.toContain(token.registration.clientSecret);
      expect(dump).not.toContain(token.accessToken);
      record({ scenario: 'granted (2 pending)', outcome: 'granted', requests: summarise(emulator), approvalToTokenMs: run.approvalToTokenMs() });
    });

    test('when the user denies, it rejects with AccessDeniedError', async () => {
      const emulator = await start({ intervalSeconds: 0.05 });
      const run = login(emulator);
      run.handle.on('pending', () => emulator.deny(run.userCode()));
      const error = await run.handle.result.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AccessDeniedError);
      expect(error).toMatchObject({ error: { exception: 'AccessDeniedException', status: 400 } });
      expect(run.names().at(-1)).toBe('denied');
      record({ scenario: 'denied', outcome: 'AccessDeniedError', requests: summarise(emulator) });
    });

    test('when the server expires the code, it rejects with ExpiredTokenError (server) and does not restart unasked', async () => {
      const emulator = await start({ intervalSeconds: 0.05 });
      const run = login(emulator);
      run.handle.on('pending', () => emulator.expire(run.userCode()));
      const error = await run.handle.result.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ExpiredTokenError);
      expect(error).toMatchObject({ source: 'server', code: 'ERR_EXPIRED_TOKEN' });
      expect(emulator.codes).toHaveLength(1);
      record({ scenario: 'expired (server)', outcome: 'ExpiredTokenError (server)', requests: summarise(emulator) });
    });

    test('when the code expires and the caller asks for a restart, a new code is issued and approved', async () => {
      const emulator = await start({ intervalSeconds: 0.05 });
      const run = login(emulator, { restart: ({ restarts }) => restarts === 0 });
      run.handle.on('pending', ({ attempt }) => (run.codeEvents().length === 1 ? emulator.expire(run.userCode()) : attempt === 1 && emulator.approve(run.userCode())));
      const token = await run.handle.result;
      expect(token.accessToken).toMatch(/^aws-at-/);
      expect(run.codeEvents().map((c) => c.restart)).toEqual([0, 1]);
      expect(emulator.requests.filter((r) => r.path === '/aws/client/register')).toHaveLength(1);
      record({ scenario: 'expired, restart asked', outcome: 'granted on the 2nd code', requests: summarise(emulator), approvalToTokenMs: run.approvalToTokenMs() });
    });
  });

  describe('should keep polling through slow_down and transient faults', () => {
    test('when a fast local clock makes polls too early, the slow_down storm is obeyed until the grant', async () => {
      const emulator = await start({ intervalSeconds: 0.05, slowDownIncrementSeconds: 0.04 });
      const clock = fastClock(100);
      const run = login(emulator, { clock, requestTimeoutMs: 600_000 }); // one knob: the transport's timeout and the poll's
      let slowDowns = 0;
      run.handle.on('slowDown', () => void slowDowns++);
      run.handle.on('pending', () => slowDowns > 0 && emulator.approve(run.userCode()));
      const token = await run.handle.result;
      expect(token.accessToken).toMatch(/^aws-at-/);
      expect(slowDowns).toBeGreaterThan(0);
      expect(run.events.filter((e) => e.name === 'slowDown').map((e) => (e.payload as LoginEvents['slowDown']).intervalMs)).toEqual(
        Array.from({ length: slowDowns }, (_, i) => 50 + 5000 * (i + 1)),
      );
      record({ scenario: `slow_down storm (clock 100× fast): ${slowDowns} slow_down`, outcome: 'granted', requests: summarise(emulator), approvalToTokenMs: run.approvalToTokenMs() });
    });

    test('when the poll meets a reset, a 503 and a 429, each is retried and the grant still arrives', async () => {
      const emulator = await start({ intervalSeconds: 0.05 });
      emulator.inject({ type: 'reset' }, { path: '/aws/token' });
      emulator.inject({ type: 'server_error', status: 503 }, { path: '/aws/token' });
      emulator.inject({ type: 'rate_limited', retryAfterSeconds: 0 }, { path: '/aws/token' });
      const run = login(emulator);
      run.handle.on('retry', ({ faults }) => faults === 3 && emulator.approve(run.userCode()));
      const token = await run.handle.result;
      expect(token.accessToken).toMatch(/^aws-at-/);
      expect(run.events.filter((e) => e.name === 'retry').map((e) => (e.payload as LoginEvents['retry']).fault.type)).toEqual(['network_error', 'server_error', 'rate_limited']);
      record({ scenario: 'poll faults: reset, 503, 429', outcome: 'granted', requests: summarise(emulator), approvalToTokenMs: run.approvalToTokenMs() });
    });

    test('when a token request hangs, the request timeout aborts it and the poll goes on', async () => {
      const emulator = await start({ intervalSeconds: 0.05 });
      emulator.inject({ type: 'hang' }, { path: '/aws/token' });
      const run = login(emulator, { poll: { requestTimeoutMs: 150 } });
      run.handle.on('retry', () => emulator.approve(run.userCode()));
      const token = await run.handle.result;
      expect(token.accessToken).toMatch(/^aws-at-/);
      expect(run.events.filter((e) => e.name === 'retry').map((e) => (e.payload as LoginEvents['retry']).fault.type)).toEqual(['timeout']);
      record({ scenario: 'hung CreateToken (request timeout 150 ms)', outcome: 'granted', requests: summarise(emulator), approvalToTokenMs: run.approvalToTokenMs() });
    });

    test.each([['malformed' as const], ['oversized' as const]])('when a 200 token answer is %s, the grant is lost and never retried', async (type) => {
      const emulator = await start({ intervalSeconds: 0.05 });
      emulator.inject({ type }, { path: '/aws/token' });
      const run = login(emulator);
      const error = await run.handle.result.catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'LostGrantError', code: 'ERR_LOST_GRANT', status: 200 });
      expect(emulator.requests.filter((r) => r.path === '/aws/token')).toHaveLength(1);
      record({ scenario: `${type} 200 from CreateToken`, outcome: 'LostGrantError', requests: summarise(emulator) });
    });

    test('when StartDeviceAuthorization answers 500 twice, retry() tries again and the login goes on', async () => {
      const emulator = await start({ intervalSeconds: 0.05, autoApproveAfterMs: 0 });
      emulator.inject({ type: 'server_error', status: 500 }, { path: '/aws/device_authorization', count: 2 });
      const run = login(emulator);
      const token = await run.handle.result;
      expect(token.accessToken).toMatch(/^aws-at-/);
      expect(requestLog(emulator).slice(0, 4)).toEqual(['/client/register 200', '/device_authorization 500', '/device_authorization 500', '/device_authorization 200']);
      expect(run.names()).not.toContain('retry'); // retry()'s waits are not poll events
      record({ scenario: 'StartDeviceAuthorization 500 ×2', outcome: 'granted', requests: summarise(emulator), approvalToTokenMs: run.approvalToTokenMs() });
    });
  });

  describe('should cache the registration and register again once on InvalidClientException', () => {
    test('when two logins share a cache, RegisterClient is sent once', async () => {
      const emulator = await start({ intervalSeconds: 0.05, autoApproveAfterMs: 0 });
      const cache = memoryRegistrationCache();
      const first = await login(emulator, { cache }).handle.result;
      const second = await login(emulator, { cache }).handle.result;
      expect(second.registration).toBe(first.registration);
      expect(emulator.requests.filter((r) => r.path === '/aws/client/register')).toHaveLength(1);
      record({ scenario: 'two logins, one cache', outcome: 'granted ×2', requests: summarise(emulator) });
    });

    test('when the cached registration was revoked, StartDeviceAuthorization answers 401 and the client is registered again', async () => {
      const emulator = await start({ intervalSeconds: 0.05, autoApproveAfterMs: 0 });
      const cache = memoryRegistrationCache();
      const first = await login(emulator, { cache }).handle.result;
      emulator.expireClientRegistrations();
      const before = emulator.requests.length;
      const second = await login(emulator, { cache }).handle.result;
      expect(second.registration.clientId).not.toBe(first.registration.clientId);
      expect(requestLog(emulator).slice(before, before + 4)).toEqual(['/device_authorization 401', '/client/register 200', '/device_authorization 200', '/token 200']);
      record({ scenario: 'revoked registration → StartDeviceAuthorization 401', outcome: 're-registered, granted', requests: summarise(emulator) });
    });

    test('when CreateToken answers InvalidClientException mid-poll and the caller asks for a restart, the login starts over with a new client and code', async () => {
      const emulator = await start({ intervalSeconds: 0.05 });
      const run = login(emulator, { restart: () => true });
      run.handle.on('pending', () => (run.codeEvents().length === 1 ? emulator.expireClientRegistrations() : emulator.approve(run.userCode())));
      const token = await run.handle.result;
      expect(run.codeEvents().map((c) => c.restart)).toEqual([0, 1]);
      expect(run.names()).not.toContain('failed');
      expect(requestLog(emulator)).toEqual([
        '/client/register 200', '/device_authorization 200', '/token 400', '/token 401',
        '/client/register 200', '/device_authorization 200', '/token 400', '/token 200',
      ]);
      const tokenRequests = emulator.requests.filter((r) => r.path === '/aws/token');
      expect(token.registration.clientId).toBe(tokenRequests.at(-1)!.params['clientId']);
      expect(token.registration.clientId).not.toBe(tokenRequests[0]!.params['clientId']);
      record({ scenario: 'CreateToken 401 InvalidClient', outcome: 're-registered, new code, granted', requests: summarise(emulator), approvalToTokenMs: run.approvalToTokenMs() });
    });

    test('when the new client is rejected too, the login fails after one re-registration', async () => {
      const emulator = await start({ intervalSeconds: 0.05 });
      const run = login(emulator, { restart: () => true });
      run.handle.on('pending', () => emulator.expireClientRegistrations());
      const error = await run.handle.result.catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'OAuthError', reregisterClient: true });
      expect(emulator.requests.filter((r) => r.path === '/aws/client/register')).toHaveLength(2);
      expect(JSON.stringify(error) + String(error)).not.toMatch(/aws-secret-/);
      record({ scenario: 'CreateToken 401 twice', outcome: 'OAuthError (invalid_client)', requests: summarise(emulator) });
    });
  });

  describe('should refresh the token', () => {
    test('when the refresh token is fresh, a new token set arrives; when reused, InvalidGrantException', async () => {
      const emulator = await start({ intervalSeconds: 0.05, autoApproveAfterMs: 0 });
      const token = await login(emulator).handle.result;
      const options = { region: 'us-east-1', endpoint: emulator.awsEndpoint, registration: token.registration, refreshToken: token.refreshToken! };
      const fresh = await refreshAwsToken(options);
      expect(fresh.accessToken).not.toBe(token.accessToken);
      expect(fresh.refreshToken).not.toBe(token.refreshToken);
      const error = await refreshAwsToken(options).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AwsSsoOidcError);
      expect(error).toMatchObject({ operation: 'CreateToken', error: { exception: 'InvalidGrantException' } });
      expect(String(error) + JSON.stringify(error)).not.toContain(token.refreshToken!);
      expect(emulator.requests.at(-2)!.params).toMatchObject({ grantType: 'refresh_token', clientId: token.registration.clientId });
      record({ scenario: 'refresh, then reuse of the spent refresh token', outcome: 'new token; then AwsSsoOidcError invalid_grant', requests: summarise(emulator) });
    });
  });

  describe('should cancel in the middle of a request', () => {
    test('when a token request hangs and the caller cancels, the request is aborted and nothing more is sent', async () => {
      const emulator = await start({ intervalSeconds: 0.05 });
      emulator.inject({ type: 'hang' }, { path: '/aws/token' });
      const run = login(emulator);
      while (!emulator.requests.some((r) => r.path === '/aws/token')) await delay(5);
      run.handle.cancel(new Error('user pressed Ctrl+C'));
      const error = await run.handle.result.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PollCancelledError);
      expect((error as PollCancelledError).cause).toEqual(new Error('user pressed Ctrl+C'));
      const count = emulator.requests.length;
      await delay(200);
      expect(emulator.requests.length).toBe(count);
      expect(run.names().at(-1)).toBe('cancelled');
      record({ scenario: 'cancel during a hung CreateToken', outcome: 'PollCancelledError', requests: summarise(emulator) });
    });
  });
});

// Helpers

interface Recorded {
  readonly name: keyof LoginEvents<AwsSsoToken>;
  readonly payload: unknown;
}

function login(emulator: Emulator, extra: Partial<AwsSsoLoginOptions> = {}) {
  const handle = loginWithAwsSso({
    region: 'us-east-1',
    endpoint: emulator.awsEndpoint,
    startUrl: START_URL,
    cache: memoryRegistrationCache(),
    retry: { backoff: () => 10 },
    ...extra,
    poll: { backoff: () => 20, ...extra.poll },
  });
  const events: Recorded[] = [];
  const names = ['code', 'stateChange', 'attempt', 'pending', 'slowDown', 'retry', 'warning', 'granted', 'denied', 'expired', 'failed', 'cancelled'] as const;
  for (const name of names) handle.on(name, (payload: unknown) => events.push({ name, payload }));
  let tokenAt: number | undefined;
  handle.result.then(() => (tokenAt = performance.now()), () => {});
  const codeEvents = (): LoginEvents['code'][] => events.filter((e) => e.name === 'code').map((e) => e.payload as LoginEvents['code']);
  const userCode = (): string => codeEvents().at(-1)!.userCode;
  return {
    handle,
    events,
    names: () => events.map((e) => e.name),
    codeEvents,
    userCode,
    approveOnPending(n: number): void {
      handle.on('pending', ({ attempt }) => attempt === n && emulator.approve(userCode()));
    },
    approvalToTokenMs(): number | undefined {
      const approvedAt = emulator.codes.find((c) => c.userCode === userCode())?.approvedAt;
      return approvedAt === undefined || tokenAt === undefined ? undefined : tokenAt - approvedAt;
    },
  };
}
