import { SSOOIDCClient } from '@aws-sdk/client-sso-oidc';
import { describe, expect, test } from 'vitest';
import { AccessDeniedError, ConfigurationError, ExpiredTokenError, PollCancelledError, awsSdkTokenTransport, type LoginEvents } from '../../src/index.js';
import { delay, requestLog, scenarioTable, summarise, useEmulator } from './helpers/emulator.js';
import { sdkLogin, useSdkClients } from './helpers/sdk.js';

const start = useEmulator();
const record = scenarioTable('awsSdkTokenTransport through @aws-sdk/client-sso-oidc against the emulator');
const sdkClient = useSdkClients();

describe('awsSdkTokenTransport (real SDK, emulator)', () => {
  describe('should poll through the caller\'s SSOOIDCClient', () => {
    test('when the user approves after two pending answers, the SDK keeps the /aws prefix and the token arrives', async () => {
      const emulator = await start({ intervalSeconds: 0.05 });
      const run = sdkLogin(emulator, sdkClient(emulator.awsEndpoint));
      run.handle.on('pending', ({ attempt }) => attempt === 2 && emulator.approve(run.userCode()));
      const token = await run.handle.result;
      expect(token).toMatchObject({ accessToken: expect.stringMatching(/^aws-at-/), tokenType: 'Bearer', expiresInSeconds: 3600, refreshToken: expect.any(String) });
      expect(requestLog(emulator)).toEqual(['/client/register 200', '/device_authorization 200', '/token 400', '/token 400', '/token 200']);
      expect(emulator.requests.every((r) => r.path.startsWith('/aws/'))).toBe(true);
      record({ scenario: 'pending ×2 → granted', outcome: 'granted', requests: summarise(emulator), approvalToTokenMs: run.approvalToTokenMs() });
    });

    test('when no CreateTokenCommand is given, the SDK is imported lazily on the first poll', async () => {
      const emulator = await start({ intervalSeconds: 0.05, autoApproveAfterMs: 0 });
      const run = sdkLogin(emulator, sdkClient(emulator.awsEndpoint), { lazy: true });
      expect((await run.handle.result).accessToken).toMatch(/^aws-at-/);
    });

    test('when the client has no send(), ConfigurationError is thrown at once', () => {
      expect(() => awsSdkTokenTransport({} as never, { clientId: 'a', clientSecret: 'b', deviceCode: 'c' })).toThrow(ConfigurationError);
      expect(() => awsSdkTokenTransport(new SSOOIDCClient({ region: 'us-east-1' }), { clientId: 'a', clientSecret: 'b', deviceCode: '' })).toThrow(/deviceCode/);
    });
  });

  describe('should map the SDK\'s exception classes through the default classifier', () => {
    test('when the user denies, AccessDeniedException becomes AccessDeniedError', async () => {
      const emulator = await start({ intervalSeconds: 0.05 });
      const run = sdkLogin(emulator, sdkClient(emulator.awsEndpoint));
      run.handle.on('pending', () => emulator.deny(run.userCode()));
      const error = await run.handle.result.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AccessDeniedError);
      expect(error).toMatchObject({ error: { code: 'access_denied', exception: 'AccessDeniedException', status: 400, description: expect.any(String) } });
      record({ scenario: 'denied', outcome: 'AccessDeniedError', requests: summarise(emulator) });
    });

    test('when AccessDeniedException carries a reason, the reason is kept', async () => {
      const emulator = await start({ intervalSeconds: 0.05 });
      const run = sdkLogin(emulator, sdkClient(emulator.awsEndpoint));
      run.handle.on('pending', () => emulator.inject({ type: 'aws_exception', name: 'AccessDeniedException', reason: 'KMS_AccessDeniedException' }, { path: '/aws/token' }));
      const error = await run.handle.result.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AccessDeniedError);
      expect((error as AccessDeniedError).error).toEqual({
        code: 'access_denied',
        description: 'AccessDeniedException (injected by the emulator)',
        reason: 'KMS_AccessDeniedException',
        status: 400,
        exception: 'AccessDeniedException',
      });
      expect(requestLog(emulator).slice(2)).toEqual(['/token 400', '/token 400']);
      record({ scenario: 'AccessDeniedException with reason (aws_exception fault)', outcome: 'AccessDeniedError, reason kept', requests: summarise(emulator) });
    });

    test('when the code expires at the server, ExpiredTokenException becomes ExpiredTokenError (server)', async () => {
      const emulator = await start({ intervalSeconds: 0.05 });
      const run = sdkLogin(emulator, sdkClient(emulator.awsEndpoint));
      run.handle.on('pending', () => emulator.expire(run.userCode()));
      const error = await run.handle.result.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ExpiredTokenError);
      expect(error).toMatchObject({ source: 'server', error: { exception: 'ExpiredTokenException' } });
      record({ scenario: 'expired (server)', outcome: 'ExpiredTokenError (server)', requests: summarise(emulator) });
    });
  });

  describe('should combine the SDK\'s own retries with tokenpoll\'s budget', () => {
    test('when two 500s come in a row, the SDK retries them itself and tokenpoll sees one pending answer', async () => {
      const emulator = await start({ intervalSeconds: 0.05 });
      emulator.inject({ type: 'server_error', status: 500 }, { path: '/aws/token', count: 2 });
      const run = sdkLogin(emulator, sdkClient(emulator.awsEndpoint));
      run.handle.on('pending', ({ attempt }) => attempt === 1 && emulator.approve(run.userCode()));
      await run.handle.result;
      expect(requestLog(emulator).slice(2)).toEqual(['/token 500', '/token 500', '/token 400', '/token 200']);
      expect(run.names()).not.toContain('retry');
      expect(run.names().filter((n) => n === 'attempt')).toHaveLength(2);
      record({ scenario: '500 ×2 (SDK retries them)', outcome: 'granted; no tokenpoll retry', requests: summarise(emulator), approvalToTokenMs: run.approvalToTokenMs() });
    });

    test('when three 500s come in a row, the SDK gives up after 3 attempts and tokenpoll retries once', async () => {
      const emulator = await start({ intervalSeconds: 0.05, autoApproveAfterMs: 0 });
      emulator.inject({ type: 'server_error', status: 500 }, { path: '/aws/token', count: 3 });
      const run = sdkLogin(emulator, sdkClient(emulator.awsEndpoint));
      await run.handle.result;
      expect(requestLog(emulator).slice(2)).toEqual(['/token 500', '/token 500', '/token 500', '/token 200']);
      const retries = run.events.filter((e) => e.name === 'retry').map((e) => e.payload as LoginEvents['retry']);
      expect(retries).toEqual([expect.objectContaining({ attempt: 1, faults: 1, fault: expect.objectContaining({ type: 'server_error', status: 500 }) })]);
      record({ scenario: '500 ×3 (SDK gives up, tokenpoll retries)', outcome: 'granted after 1 tokenpoll retry', requests: summarise(emulator) });
    });
  });

  describe('should abort the SDK request on cancel', () => {
    test('when CreateToken hangs and the caller cancels, the login ends cancelled and nothing more is sent', async () => {
      const emulator = await start({ intervalSeconds: 0.05 });
      emulator.inject({ type: 'hang' }, { path: '/aws/token' });
      const run = sdkLogin(emulator, sdkClient(emulator.awsEndpoint));
      while (!emulator.requests.some((r) => r.path === '/aws/token')) await delay(5);
      run.handle.cancel();
      expect(await run.handle.result.catch((e: unknown) => e)).toBeInstanceOf(PollCancelledError);
      const count = emulator.requests.length;
      await delay(200);
      expect(emulator.requests.length).toBe(count);
      record({ scenario: 'cancel during a hung CreateToken', outcome: 'PollCancelledError', requests: summarise(emulator) });
    });
  });
});
