import { describe, expect, test } from 'vitest';
import { AccessDeniedError, refreshAwsToken, registerAwsClient, startAwsDeviceAuthorization, loginWithAwsSso, memoryRegistrationCache, type RetryEvent } from '../../src/index.js';
import type { Emulator } from '../../src/testing-emulator.js';
import { fastClock, requestLog, scenarioTable, summarise, useEmulator } from './helpers/emulator.js';

const start = useEmulator();
const record = scenarioTable('AWS one-shot calls (retry()) through the emulator\'s aws_exception faults');
const START_URL = 'https://d-1234567890.awsapps.com/start';

describe('AWS one-shot calls (emulator, real HTTP, aws_exception faults)', () => {
  describe('should retry StartDeviceAuthorization on SlowDownException and InternalServerException', () => {
    test('when it answers SlowDownException, the retry waits at least 5 s (on a clock 100× fast) and the call succeeds', async () => {
      const emulator = await start();
      const registration = await registerAwsClient({ region: 'us-east-1', endpoint: emulator.awsEndpoint });
      emulator.inject({ type: 'aws_exception', name: 'SlowDownException' }, { path: '/aws/device_authorization' });
      const retries: RetryEvent[] = [];
      const authorization = await startAwsDeviceAuthorization({
        region: 'us-east-1',
        endpoint: emulator.awsEndpoint,
        registration,
        startUrl: START_URL,
        clock: fastClock(100),
        requestTimeoutMs: 600_000,
        retry: { backoff: () => 10, onRetry: (event) => retries.push(event) },
      });
      expect(authorization.userCode).toBe(emulator.codes[0]!.userCode);
      expect(requestLog(emulator)).toEqual(['/client/register 200', '/device_authorization 400', '/device_authorization 200']);
      expect(retries).toEqual([expect.objectContaining({ fault: expect.objectContaining({ type: 'slow_down' }), attempt: 1 })]);
      expect(retries[0]!.delayMs).toBeGreaterThanOrEqual(5000);
      record({ scenario: 'StartDeviceAuthorization SlowDownException', outcome: 'retried after ≥ 5 s (clock), then a code', requests: summarise(emulator) });
    });

    test('when it answers InternalServerException twice during a login, retry() tries again and the login is granted', async () => {
      const emulator = await start({ intervalSeconds: 0.05, autoApproveAfterMs: 0 });
      emulator.inject({ type: 'aws_exception', name: 'InternalServerException' }, { path: '/aws/device_authorization', count: 2 });
      const retries: RetryEvent[] = [];
      const token = await login(emulator, retries).result;
      expect(token.accessToken).toMatch(/^aws-at-/);
      expect(requestLog(emulator)).toEqual(['/client/register 200', '/device_authorization 500', '/device_authorization 500', '/device_authorization 200', '/token 200']);
      expect(retries.map((e) => [e.fault.type, e.fault.status])).toEqual([['server_error', 500], ['server_error', 500]]);
      record({ scenario: 'StartDeviceAuthorization InternalServerException ×2', outcome: 'granted', requests: summarise(emulator) });
    });
  });

  describe('should retry RegisterClient and the refresh grant on InternalServerException', () => {
    test('when RegisterClient answers InternalServerException once, the login still goes through', async () => {
      const emulator = await start({ intervalSeconds: 0.05, autoApproveAfterMs: 0 });
      emulator.inject({ type: 'aws_exception', name: 'InternalServerException' }, { path: '/aws/client/register' });
      const token = await login(emulator).result;
      expect(token.accessToken).toMatch(/^aws-at-/);
      expect(requestLog(emulator).slice(0, 2)).toEqual(['/client/register 500', '/client/register 200']);
      record({ scenario: 'RegisterClient InternalServerException', outcome: 'granted', requests: summarise(emulator) });
    });

    test('when the refresh grant answers InternalServerException, then 503, refreshAwsToken retries and gets a new token', async () => {
      const emulator = await start({ intervalSeconds: 0.05, autoApproveAfterMs: 0 });
      const token = await login(emulator).result;
      emulator.inject({ type: 'aws_exception', name: 'InternalServerException' }, { path: '/aws/token' });
      emulator.inject({ type: 'aws_exception', name: 'InternalServerException', status: 503 }, { path: '/aws/token' });
      const retries: RetryEvent[] = [];
      const before = emulator.requests.length;
      const fresh = await refreshAwsToken({
        region: 'us-east-1',
        endpoint: emulator.awsEndpoint,
        registration: token.registration,
        refreshToken: token.refreshToken!,
        retry: { backoff: () => 10, onRetry: (event) => retries.push(event) },
      });
      expect(fresh.accessToken).not.toBe(token.accessToken);
      expect(requestLog(emulator).slice(before)).toEqual(['/token 500', '/token 503', '/token 200']);
      expect(retries.map((e) => e.fault.status)).toEqual([500, 503]);
      record({ scenario: 'refresh: InternalServerException 500, then 503', outcome: 'new token', requests: summarise(emulator) });
    });
  });

  describe('should keep AWS\'s reason on a denial', () => {
    test('when CreateToken answers AccessDeniedException with a reason, the login rejects with it', async () => {
      const emulator = await start({ intervalSeconds: 0.05 });
      emulator.inject({ type: 'aws_exception', name: 'AccessDeniedException', reason: 'KMS_AccessDeniedException' }, { path: '/aws/token' });
      const error = await login(emulator).result.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AccessDeniedError);
      expect(error).toMatchObject({ error: { code: 'access_denied', exception: 'AccessDeniedException', reason: 'KMS_AccessDeniedException', status: 400 } });
      record({ scenario: 'CreateToken AccessDeniedException with reason', outcome: 'AccessDeniedError, reason kept', requests: summarise(emulator) });
    });
  });
});

// Helpers

function login(emulator: Emulator, retries: RetryEvent[] = []) {
  return loginWithAwsSso({
    region: 'us-east-1',
    endpoint: emulator.awsEndpoint,
    startUrl: START_URL,
    cache: memoryRegistrationCache(),
    retry: { backoff: () => 10, onRetry: (event) => retries.push(event) },
    poll: { backoff: () => 20 },
  });
}
