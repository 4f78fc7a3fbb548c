import { GetRoleCredentialsCommand, ListAccountRolesCommand, ListAccountsCommand, SSOClient } from '@aws-sdk/client-sso';
import { describe, expect, test } from 'vitest';
import {
  AwsSsoPortalError,
  ConfigurationError,
  LoginRequiredError,
  RetriesExhaustedError,
  awsSsoPortal,
  awsSsoPortalEndpoint,
  type AwsSsoPortalOptions,
  type RetryEvent,
} from '../../src/index.js';
import { createSsoTokenSource } from '../../src/node.js';
import { ManualClock } from '../../src/testing.js';
import { type Emulator } from '../../src/testing-emulator.js';
import { awsLogin, REGION, refreshCount, settleWithRealIo, START_URL, writeSession } from '../helpers/aws-session.js';
import { useTempDirs } from '../helpers/use-temp-dirs.js';
import { useEmulator } from './helpers/emulator.js';

const start = useEmulator();
const tempDir = useTempDirs();
const accounts = [
  { accountId: '111111111111', accountName: 'prod', emailAddress: 'prod@example.com', roles: ['ReadOnly', 'Admin', 'Billing'] },
  { accountId: '222222222222', accountName: 'dev', emailAddress: 'dev@example.com', roles: ['Developer'] },
  { accountId: '333333333333', accountName: 'sandbox', emailAddress: 'sandbox@example.com', roles: [] },
];
const role = { accountId: '222222222222', roleName: 'Developer' };

describe('awsSsoPortal (emulator)', () => {
  describe('should list every account and role, following nextToken', () => {
    test('when the portal pages by 2 and the client asks for pages of 1, all accounts and roles arrive in order', async () => {
      const { portal, emulator } = await setUp({ portalPageSize: 2 });
      expect(await portal.listAccounts({ pageSize: 1 })).toEqual(accounts.map(({ roles: _roles, ...account }) => account));
      expect(emulator.requests.filter((r) => r.path.endsWith('/assignment/accounts'))).toHaveLength(3);
      expect(await portal.listAccountRoles('111111111111')).toEqual(['ReadOnly', 'Admin', 'Billing'].map((roleName) => ({ accountId: '111111111111', roleName })));
      expect(emulator.requests.filter((r) => r.path.endsWith('/assignment/roles'))).toHaveLength(2);
    });

    test('when accounts and roles are listed together, each account carries its role names', async () => {
      const { portal } = await setUp({ portalPageSize: 1 });
      expect(await portal.listAccountsWithRoles()).toEqual([
        { accountId: '111111111111', accountName: 'prod', emailAddress: 'prod@example.com', roles: ['ReadOnly', 'Admin', 'Billing'] },
        { accountId: '222222222222', accountName: 'dev', emailAddress: 'dev@example.com', roles: ['Developer'] },
        { accountId: '333333333333', accountName: 'sandbox', emailAddress: 'sandbox@example.com', roles: [] },
      ]);
    });

    test('when the same calls go through @aws-sdk/client-sso, the emulator sees the same method, path and query parameters', async () => {
      const { portal, emulator, accessToken } = await setUp({});
      const sdk = new SSOClient({ region: REGION, endpoint: emulator.awsPortalEndpoint, maxAttempts: 1 });
      try {
        await portal.listAccounts({ pageSize: 7 });
        await portal.listAccountRoles('111111111111', { pageSize: 7 });
        await portal.getRoleCredentials(role);
        const ours = portalRequests(emulator);
        await sdk.send(new ListAccountsCommand({ accessToken, maxResults: 7 }));
        await sdk.send(new ListAccountRolesCommand({ accessToken, accountId: '111111111111', maxResults: 7 }));
        await sdk.send(new GetRoleCredentialsCommand({ accessToken, ...role }));
        expect(portalRequests(emulator).slice(ours.length)).toEqual(ours);
        expect(ours.map((r) => r.status)).toEqual([200, 200, 200]);
      } finally {
        sdk.destroy();
      }
    });
  });

  describe('should cache role credentials until 5 minutes before they expire', () => {
    test('when asked again within their life, no request; 55 minutes later, a new one; fresh: true always asks', async () => {
      const clock = new ManualClock({ wallEpochMs: Date.now() });
      const { portal, emulator } = await setUp({ roleCredentialsTtlSeconds: 3600 }, { clock });
      const first = await portal.getRoleCredentials(role);
      expect(await portal.getRoleCredentials(role)).toBe(first);
      // Steps from the credentials' own expiration: the clock's wall time was read before the emulator minted them.
      clock.increment(first.expiration - 300_000 - 1 - clock.wallNow());
      expect(await portal.getRoleCredentials(role)).toBe(first);
      expect(credentialRequests(emulator)).toBe(1);
      clock.increment(2);
      const second = await portal.getRoleCredentials(role);
      expect(second.accessKeyId).not.toBe(first.accessKeyId);
      expect(await portal.getRoleCredentials(role, { fresh: true })).not.toBe(second);
      expect(credentialRequests(emulator)).toBe(3);
    });

    test('when three callers ask at once, one request serves them all', async () => {
      const { portal, emulator } = await setUp({});
      const all = await Promise.all([portal.getRoleCredentials(role), portal.getRoleCredentials(role), portal.getRoleCredentials(role)]);
      expect(new Set(all).size).toBe(1);
      expect(credentialRequests(emulator)).toBe(1);
    });
  });

  describe('should refresh once on UnauthorizedException, then retry', () => {
    test('when the access token has expired at the portal, one refresh, then the call succeeds with the new token', async () => {
      const { portal, emulator } = await setUp({});
      emulator.expireAccessTokens();
      expect(await portal.getRoleCredentials(role)).toMatchObject({ accessKeyId: expect.stringMatching(/^ASIA/) });
      expect(refreshCount(emulator)).toBe(1);
      expect(emulator.requests.slice(-3).map((r) => `${r.path.replace('/aws', '')} ${r.status}`)).toEqual(['/portal/federation/credentials 401', '/token 200', '/portal/federation/credentials 200']);
    });

    test('when the portal refuses the refreshed token too, LoginRequiredError (token-rejected) after exactly one refresh', async () => {
      const { portal, emulator } = await setUp({});
      emulator.inject({ type: 'aws_exception', name: 'UnauthorizedException' }, { path: '/assignment/accounts', count: 2 });
      const error = await portal.listAccounts().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LoginRequiredError);
      expect(error).toMatchObject({ reason: 'token-rejected', startUrl: START_URL, cause: expect.any(AwsSsoPortalError) });
      expect(refreshCount(emulator)).toBe(1);
    });

    test('when the refresh token was revoked as well, LoginRequiredError (refresh-rejected)', async () => {
      const { portal, emulator } = await setUp({});
      emulator.expireAccessTokens();
      emulator.revokeRefreshTokens();
      await expect(portal.getRoleCredentials(role)).rejects.toMatchObject({ name: 'LoginRequiredError', reason: 'refresh-rejected' });
    });

    test('when the token is a plain string, LoginRequiredError at once, without a refresh', async () => {
      const emulator = await start({ accounts, intervalSeconds: 0.01, autoApproveAfterMs: 0 });
      const { accessToken } = await awsLogin(emulator);
      emulator.expireAccessTokens();
      const portal = awsSsoPortal({ region: REGION, endpoint: emulator.awsPortalEndpoint, token: accessToken });
      await expect(portal.listAccounts()).rejects.toMatchObject({ name: 'LoginRequiredError', reason: 'token-rejected' });
      expect(refreshCount(emulator)).toBe(0);
    });
  });

  describe('should retry throttling and server faults', () => {
    test('when TooManyRequestsException, a 429 with Retry-After 3 and a 503 come in a row, the fourth request succeeds after waits honouring Retry-After', async () => {
      const clock = new ManualClock({ wallEpochMs: Date.now() });
      const retries: RetryEvent[] = [];
      const { portal, emulator } = await setUp({}, { clock, requestTimeoutMs: 86_400_000, retry: { onRetry: (event) => retries.push(event) } });
      emulator.inject({ type: 'aws_exception', name: 'TooManyRequestsException' }, { path: '/federation/credentials' });
      emulator.inject({ type: 'rate_limited', retryAfterSeconds: 3 }, { path: '/federation/credentials' });
      emulator.inject({ type: 'server_error', status: 503 }, { path: '/federation/credentials' });
      const outcome = await settleWithRealIo(clock, portal.getRoleCredentials(role));
      expect(outcome.status).toBe('fulfilled');
      expect(retries.map((r) => r.fault.type)).toEqual(['rate_limited', 'rate_limited', 'server_error']);
      expect(retries[1]!.delayMs).toBeGreaterThanOrEqual(3000);
      expect(clock.now()).toBe(retries.reduce((sum, r) => sum + r.delayMs, 0));
      expect(credentialRequests(emulator)).toBe(4);
    });

    test('when throttling outlasts the retries, RetriesExhaustedError', async () => {
      const { portal, emulator } = await setUp({}, { retry: { retries: 2, backoff: () => 1 } });
      emulator.inject({ type: 'aws_exception', name: 'TooManyRequestsException' }, { path: '/assignment/accounts', count: 3 });
      await expect(portal.listAccounts()).rejects.toBeInstanceOf(RetriesExhaustedError);
      expect(emulator.requests.filter((r) => r.path.endsWith('/assignment/accounts'))).toHaveLength(3);
    });
  });

  describe('should stop at once on ResourceNotFoundException and InvalidRequestException, with a clear message', () => {
    test.each([
      [{ accountId: '222222222222', roleName: 'Admin' }, 'ResourceNotFoundException', 404, /GetRoleCredentials \(account 222222222222, role Admin\) answered ResourceNotFoundException \(HTTP 404\): No access; check the account id and role name/],
      [{ accountId: '999999999999', roleName: 'ReadOnly' }, 'ResourceNotFoundException', 404, /account 999999999999/],
      [{ accountId: 'not-an-id', roleName: 'ReadOnly' }, 'InvalidRequestException', 400, /answered InvalidRequestException \(HTTP 400\): account_id must be 12 digits/],
    ])('when asked for %j, AwsSsoPortalError %s after one request, without secrets', async (asked, exception, status, message) => {
      const { portal, emulator, secrets } = await setUp({});
      const error = await portal.getRoleCredentials(asked).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AwsSsoPortalError);
      expect(error).toMatchObject({ code: 'ERR_AWS_PORTAL', operation: 'GetRoleCredentials', exception, status, accountId: asked.accountId, roleName: asked.roleName });
      expect(String(error)).toMatch(message);
      expect(credentialRequests(emulator)).toBe(1);
      const text = `${String(error)} ${JSON.stringify(error)}`;
      for (const secret of secrets) expect(text).not.toContain(secret);
    });
  });

  describe('should check its options', () => {
    test('when the region or endpoint is bad, or the token or a parameter is missing, ConfigurationError', async () => {
      expect(() => awsSsoPortal({ region: 'nowhere', token: 't' })).toThrow(/region/);
      expect(() => awsSsoPortal({ region: REGION, endpoint: 'http://example.com', token: 't' })).toThrow(ConfigurationError);
      expect(() => awsSsoPortal({ region: REGION, token: '' })).toThrow(/token/);
      expect(() => awsSsoPortal({ region: REGION, token: 't', credentialsMarginMs: -1 })).toThrow(/credentialsMarginMs/);
      const portal = awsSsoPortal({ region: REGION, endpoint: 'http://127.0.0.1:9/aws/portal', token: 't' });
      await expect(portal.getRoleCredentials({ accountId: '', roleName: 'x' })).rejects.toThrow(/accountId/);
      await expect(portal.listAccountRoles(' ')).rejects.toBeInstanceOf(ConfigurationError);
      await expect(portal.listAccounts({ pageSize: 0 })).rejects.toThrow(/pageSize/);
    });

    test('when no endpoint is given, the regional portal host of the partition', () => {
      expect(awsSsoPortalEndpoint('eu-west-1')).toBe('https://portal.sso.eu-west-1.amazonaws.com');
      expect(awsSsoPortalEndpoint('cn-north-1')).toBe('https://portal.sso.cn-north-1.amazonaws.com.cn');
      expect(awsSsoPortalEndpoint('us-east-1', 'http://127.0.0.1:4566/aws/portal/')).toBe('http://127.0.0.1:4566/aws/portal');
      expect(awsSsoPortal({ region: 'us-west-2', token: 't' }).endpoint).toBe('https://portal.sso.us-west-2.amazonaws.com');
    });
  });
});

// Helpers

/** An emulator with the accounts, a cache file written by a real login, a token source on it, and a portal client. */
async function setUp(emulatorOptions: Parameters<typeof start>[0], portalOptions: Partial<AwsSsoPortalOptions> = {}) {
  const emulator = await start({ accounts, intervalSeconds: 0.01, autoApproveAfterMs: 0, ...emulatorOptions });
  const clock = portalOptions.clock ?? new ManualClock({ wallEpochMs: Date.now() });
  const cacheDir = await tempDir();
  const { entry } = await writeSession(emulator, cacheDir, clock, 60 * 60_000);
  const source = createSsoTokenSource({ startUrl: START_URL, region: REGION, endpoint: emulator.awsEndpoint, cacheDir, clock });
  const portal = awsSsoPortal({ region: REGION, endpoint: emulator.awsPortalEndpoint, token: source, ...portalOptions });
  return { emulator, portal, accessToken: entry.accessToken, secrets: [entry.accessToken, entry.refreshToken!, entry.clientSecret!] };
}

function portalRequests(emulator: Emulator): { method: string; path: string; params: Record<string, string>; status: number | undefined }[] {
  return emulator.requests.filter((r) => r.path.startsWith('/aws/portal/')).map(({ method, path, params, status }) => ({ method, path, params: { ...params }, status }));
}

function credentialRequests(emulator: Emulator): number {
  return emulator.requests.filter((r) => r.path.endsWith('/federation/credentials')).length;
}
