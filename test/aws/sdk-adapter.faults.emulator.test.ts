import { CreateTokenCommand } from '@aws-sdk/client-sso-oidc';
import { describe, expect, test } from 'vitest';
import { LostGrantError, OAuthError, awsSdkTokenTransport, classifyTokenResponse, pollToken, type Classifier } from '../../src/index.js';
import type { EmulatorFault } from '../../src/testing-emulator.js';
import { fastClock, requestLog, scenarioTable, summarise, useEmulator } from './helpers/emulator.js';
import { AWS_ERROR_NAMESPACE, oneRouteServer, sdkLogin, useSdkClients } from './helpers/sdk.js';

const start = useEmulator();
const sdkClient = useSdkClients();
const record = scenarioTable('awsSdkTokenTransport (SDK client with maxAttempts: 1) through the emulator\'s faults');

describe('awsSdkTokenTransport (real SDK, maxAttempts 1, faults)', () => {
  describe('should leave transient faults to tokenpoll, which retries them and still gets the grant', () => {
    test('when CreateToken meets a reset connection', async () => {
      const emulator = await start({ intervalSeconds: 0.05 });
      emulator.inject({ type: 'reset' }, { path: '/aws/token' });
      const run = sdkLogin(emulator, sdkClient(emulator.awsEndpoint, { maxAttempts: 1 }));
      run.handle.on('retry', () => emulator.approve(run.userCode()));
      expect((await run.handle.result).accessToken).toMatch(/^aws-at-/);
      // The SDK names a reset socket TimeoutError (code ECONNRESET): either way a transient fault.
      expect(run.of('retry').map((e) => e.fault.type)).toEqual([expect.stringMatching(/^(network_error|timeout)$/)]);
      expect(requestLog(emulator).slice(2)).toEqual(['/token -', '/token 200']);
      record({ scenario: `reset (tokenpoll sees ${run.of('retry')[0]!.fault.type})`, outcome: 'granted', requests: summarise(emulator), approvalToTokenMs: run.approvalToTokenMs() });
    });

    test('when CreateToken hangs, the poll\'s requestTimeoutMs aborts the SDK request', async () => {
      const emulator = await start({ intervalSeconds: 0.05 });
      emulator.inject({ type: 'hang' }, { path: '/aws/token' });
      const run = sdkLogin(emulator, sdkClient(emulator.awsEndpoint, { maxAttempts: 1 }), { poll: { requestTimeoutMs: 150 } });
      run.handle.on('retry', () => emulator.approve(run.userCode()));
      expect((await run.handle.result).accessToken).toMatch(/^aws-at-/);
      expect(run.of('retry').map((e) => e.fault.type)).toEqual(['timeout']);
      expect(requestLog(emulator).slice(2)).toEqual(['/token -', '/token 200']);
      record({ scenario: 'hang (poll requestTimeoutMs 150)', outcome: 'granted', requests: summarise(emulator), approvalToTokenMs: run.approvalToTokenMs() });
    });

    test('when CreateToken answers 429 with Retry-After: 1, the adapter reads it from the SDK error and the wait honours it', async () => {
      const emulator = await start({ intervalSeconds: 0.05 });
      emulator.inject({ type: 'rate_limited', retryAfterSeconds: 1 }, { path: '/aws/token' });
      const run = sdkLogin(emulator, sdkClient(emulator.awsEndpoint, { maxAttempts: 1 }));
      run.handle.on('retry', () => emulator.approve(run.userCode()));
      expect((await run.handle.result).accessToken).toMatch(/^aws-at-/);
      const [retry] = run.of('retry');
      expect(retry).toMatchObject({ fault: { type: 'rate_limited', status: 429, retryAfterMs: 1000 } });
      expect(retry!.delayMs).toBeGreaterThanOrEqual(1000);
      expect(requestLog(emulator).slice(2)).toEqual(['/token 429', '/token 200']);
      record({ scenario: '429 with Retry-After: 1', outcome: 'granted; one wait of ≥ 1 s', requests: summarise(emulator), approvalToTokenMs: run.approvalToTokenMs() });
    });

    test('when a fast local clock makes polls too early, the slow_down storm is obeyed until the grant', async () => {
      const emulator = await start({ intervalSeconds: 0.05, slowDownIncrementSeconds: 0.04 });
      const run = sdkLogin(emulator, sdkClient(emulator.awsEndpoint, { maxAttempts: 1 }), { clock: fastClock(100), poll: { requestTimeoutMs: 600_000 } });
      run.handle.on('pending', () => run.of('slowDown').length > 0 && emulator.approve(run.userCode()));
      expect((await run.handle.result).accessToken).toMatch(/^aws-at-/);
      const slowDowns = run.of('slowDown');
      expect(slowDowns.length).toBeGreaterThan(0);
      expect(slowDowns.map((e) => e.intervalMs)).toEqual(Array.from({ length: slowDowns.length }, (_, i) => 50 + 5000 * (i + 1)));
      expect(run.names()).not.toContain('retry');
      record({ scenario: `slow_down storm (clock 100× fast): ${slowDowns.length} slow_down`, outcome: 'granted', requests: summarise(emulator), approvalToTokenMs: run.approvalToTokenMs() });
    });
  });

  describe('should end with LostGrantError after one token request when a 200 cannot be read', () => {
    test.each<[string, EmulatorFault]>([
      ['malformed', { type: 'malformed' }],
      ['oversized', { type: 'oversized' }],
    ])('when the approved code\'s 200 is %s, even under a classifier that would retry every thrown error', async (name, fault) => {
      const emulator = await start({ intervalSeconds: 0.05 });
      emulator.inject(fault, { path: '/aws/token' });
      const run = sdkLogin(emulator, sdkClient(emulator.awsEndpoint, { maxAttempts: 1 }), { poll: { classify: retryEveryThrow } });
      run.handle.on('code', ({ userCode }) => emulator.approve(userCode));
      const error = await run.handle.result.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LostGrantError);
      expect(error).toMatchObject({ status: 200 });
      expect(requestLog(emulator).slice(2)).toEqual(['/token 200']);
      expect(String(error)).not.toMatch(/at-malformed|padding/);
      record({ scenario: `${name} 200 from CreateToken`, outcome: 'LostGrantError', requests: summarise(emulator) });
    });

    test('when the connection drops halfway through the 200 body', async () => {
      const server = await oneRouteServer((res, request) => {
        if (request > 1) return void res.writeHead(400, { 'x-amzn-ErrorType': `InvalidGrantException:${AWS_ERROR_NAMESPACE}` }).end('{"error":"invalid_grant"}');
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '300' });
        res.write('{"accessToken":"aws-at-HALF-SECRET","tokenType":"Bearer",');
        setTimeout(() => res.destroy(), 10);
      });
      try {
        const client = sdkClient(server.endpoint, { maxAttempts: 1 });
        const poll = pollToken({ transport: awsSdkTokenTransport(client, input, { CreateTokenCommand }), expiresInSeconds: 60, intervalSeconds: 0.02, firstPoll: 'immediate', classify: retryEveryThrow });
        const error = await poll.result.catch((e: unknown) => e);
        expect(error).toBeInstanceOf(LostGrantError);
        expect(error).toMatchObject({ status: 200 });
        expect(String(error) + JSON.stringify(error)).not.toContain('HALF-SECRET');
        expect(server.paths).toEqual(['/aws/token']);
        record({ scenario: '200 cut halfway (socket destroyed)', outcome: 'LostGrantError', requests: 'token ×1' });
      } finally {
        await server.close();
      }
    });

    test('when the client keeps the SDK\'s 3 attempts, the SDK itself re-sends the consumed code (why maxAttempts: 1 is needed)', async () => {
      const server = await oneRouteServer((res, request) => {
        if (request > 1) return void res.writeHead(400, { 'x-amzn-ErrorType': `InvalidGrantException:${AWS_ERROR_NAMESPACE}` }).end('{"error":"invalid_grant"}');
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '300' }).write('{"accessToken":"aws-at-x",');
        setTimeout(() => res.destroy(), 10);
      });
      try {
        const poll = pollToken({ transport: awsSdkTokenTransport(sdkClient(server.endpoint), input, { CreateTokenCommand }), expiresInSeconds: 60, intervalSeconds: 0.02, firstPoll: 'immediate' });
        const error = await poll.result.catch((e: unknown) => e);
        expect(error).toBeInstanceOf(OAuthError);
        expect(error).toMatchObject({ error: { code: 'invalid_grant' } });
        expect(server.paths).toEqual(['/aws/token', '/aws/token']);
        record({ scenario: '200 cut halfway, SDK default maxAttempts 3', outcome: 'OAuthError invalid_grant (the SDK re-sent the code)', requests: 'token ×2' });
      } finally {
        await server.close();
      }
    });
  });
});

// Helpers

const input = { clientId: 'client-1', clientSecret: 'secret-1', deviceCode: 'device-1' };

/** A classifier that takes every thrown error for a network fault: the adapter's lost-grant answer must not depend on the classifier. */
const retryEveryThrow: Classifier = (answer, context) => (answer.ok ? classifyTokenResponse(answer, context) : { type: 'network_error', message: 'thrown' });
