import { describe, expect, test } from 'vitest';
import { ConfigurationError } from '../../src/index.js';
import { ManualClock } from '../../src/testing.js';
import { startEmulator, type Emulator } from '../../src/testing-emulator.js';
import { authorizeAws, call, pollAws, postJson, useEmulator, type Answer } from './helpers.js';

const start = useEmulator();
const PORTAL_NAMESPACE = 'http://internal.amazon.com/coral/com.amazonaws.switchboard.portal/';
const accounts = [
  { accountId: '111111111111', accountName: 'prod', emailAddress: 'prod@example.com', roles: ['ReadOnly', 'Admin', 'Billing'] },
  { accountId: '222222222222', roles: ['ReadOnly'] },
  { accountId: '333333333333', roles: [] },
];

describe('emulator (AWS SSO portal side)', () => {
  describe('should list accounts and roles, page by page', () => {
    test('when the page size is 2, ListAccounts takes two pages linked by nextToken', async () => {
      const emulator = await start({ accounts, portalPageSize: 2 });
      const { accessToken } = await login(emulator);
      const first = await portal(emulator, '/assignment/accounts', {}, accessToken);
      expect(first.status).toBe(200);
      expect(first.json).toEqual({
        accountList: [
          { accountId: '111111111111', accountName: 'prod', emailAddress: 'prod@example.com' },
          { accountId: '222222222222', accountName: 'account-222222222222', emailAddress: '222222222222@example.com' },
        ],
        nextToken: expect.any(String),
      });
      const second = await portal(emulator, '/assignment/accounts', { next_token: first.json!['nextToken'] as string }, accessToken);
      expect(second.json).toEqual({ accountList: [expect.objectContaining({ accountId: '333333333333' })] });
    });

    test('when max_result is smaller than the page size, it wins; ListAccountRoles lists roleName and accountId', async () => {
      const emulator = await start({ accounts });
      const { accessToken } = await login(emulator);
      const page = await portal(emulator, '/assignment/roles', { account_id: '111111111111', max_result: '1' }, accessToken);
      expect(page.json).toEqual({ roleList: [{ roleName: 'ReadOnly', accountId: '111111111111' }], nextToken: expect.any(String) });
      const rest = await portal(emulator, '/assignment/roles', { account_id: '111111111111', next_token: page.json!['nextToken'] as string }, accessToken);
      expect(rest.json).toEqual({ roleList: [{ roleName: 'Admin', accountId: '111111111111' }, { roleName: 'Billing', accountId: '111111111111' }] });
    });
  });

  describe('should mint role credentials', () => {
    test('when the role is assigned, with an ASIA key, a secret, a session token and an expiration in epoch ms', async () => {
      const emulator = await start({ accounts, roleCredentialsTtlSeconds: 900 });
      const { accessToken } = await login(emulator);
      const before = Date.now();
      const answer = await portal(emulator, '/federation/credentials', { account_id: '111111111111', role_name: 'Admin' }, accessToken);
      expect(answer.status).toBe(200);
      const credentials = answer.json!['roleCredentials'] as Record<string, unknown>;
      expect(credentials).toEqual({ accessKeyId: expect.stringMatching(/^ASIA[A-Z2-7]{16}$/), secretAccessKey: expect.any(String), sessionToken: expect.any(String), expiration: expect.any(Number) });
      expect(credentials['expiration']).toBeGreaterThanOrEqual(before + 900_000);
      expect(credentials['expiration']).toBeLessThanOrEqual(Date.now() + 900_000);
    });
  });

  describe('should answer the portal\'s exceptions in its wire format', () => {
    test('when the token is missing, unknown, expired on command or past its lifetime, with UnauthorizedException (401)', async () => {
      // The emulator's time is virtual, so the first token is still fresh when used, however slow the machine.
      const clock = new ManualClock();
      const emulator = await start({ accounts, accessTokenTtlSeconds: 0.2, clock });
      expectPortalError(await portal(emulator, '/assignment/accounts', {}, undefined), 'UnauthorizedException', 401);
      expectPortalError(await portal(emulator, '/assignment/accounts', {}, 'aws-at-unknown'), 'UnauthorizedException', 401);
      const first = await login(emulator);
      expect((await portal(emulator, '/assignment/accounts', {}, first.accessToken)).status).toBe(200);
      emulator.expireAccessTokens();
      expectPortalError(await portal(emulator, '/assignment/accounts', {}, first.accessToken), 'UnauthorizedException', 401);
      const second = await login(emulator);
      clock.increment(250);
      expectPortalError(await portal(emulator, '/assignment/accounts', {}, second.accessToken), 'UnauthorizedException', 401);
    });

    test('when the account or role is not the login\'s, with ResourceNotFoundException (404); when a parameter is bad, InvalidRequestException (400)', async () => {
      const emulator = await start({ accounts });
      const { accessToken } = await login(emulator);
      const get = (path: string, query: Record<string, string>): Promise<Answer> => portal(emulator, path, query, accessToken);
      expectPortalError(await get('/federation/credentials', { account_id: '999999999999', role_name: 'ReadOnly' }), 'ResourceNotFoundException', 404);
      expectPortalError(await get('/federation/credentials', { account_id: '222222222222', role_name: 'Admin' }), 'ResourceNotFoundException', 404);
      expectPortalError(await get('/assignment/roles', { account_id: '999999999999' }), 'ResourceNotFoundException', 404);
      expectPortalError(await get('/federation/credentials', { account_id: '111111111111' }), 'InvalidRequestException', 400);
      expectPortalError(await get('/federation/credentials', { account_id: 'abc', role_name: 'Admin' }), 'InvalidRequestException', 400);
      expectPortalError(await get('/assignment/roles', {}), 'InvalidRequestException', 400);
      expectPortalError(await get('/assignment/accounts', { max_result: '0' }), 'InvalidRequestException', 400);
      expectPortalError(await get('/assignment/accounts', { next_token: 'forged' }), 'InvalidRequestException', 400);
    });

    test('when a fault is injected by path suffix, an aws_exception takes the portal\'s format and the next request is served', async () => {
      const emulator = await start({ accounts });
      const { accessToken } = await login(emulator);
      emulator.inject({ type: 'aws_exception', name: 'TooManyRequestsException' }, { path: '/federation/credentials' });
      emulator.inject({ type: 'rate_limited', retryAfterSeconds: 2 }, { path: '/assignment/accounts' });
      const query = { account_id: '111111111111', role_name: 'ReadOnly' };
      expectPortalError(await portal(emulator, '/federation/credentials', query, accessToken), 'TooManyRequestsException', 429);
      expect((await portal(emulator, '/federation/credentials', query, accessToken)).status).toBe(200);
      const limited = await portal(emulator, '/assignment/accounts', {}, accessToken);
      expect([limited.status, limited.headers.get('retry-after')]).toEqual([429, '2']);
    });
  });

  describe('should make refresh tokens revocable', () => {
    test('when revokeRefreshTokens() is called, CreateToken refuses the old refresh token with InvalidGrantException', async () => {
      const emulator = await start();
      const { refreshToken, clientId, clientSecret } = await login(emulator);
      emulator.revokeRefreshTokens();
      const answer = await postJson(`${emulator.awsEndpoint}/token`, { clientId, clientSecret, grantType: 'refresh_token', refreshToken });
      expect(answer.status).toBe(400);
      expect(answer.headers.get('x-amzn-errortype')).toMatch(/^InvalidGrantException:/);
    });
  });

  describe('should check its portal options', () => {
    test.each([
      [{ accounts: [{ accountId: '12', roles: [] }] }, /12-digit/],
      [{ accounts: [{ accountId: '111111111111', roles: ['A', 'A'] }] }, /distinct/],
      [{ accounts: [{ accountId: '111111111111', roles: [] }, { accountId: '111111111111', roles: [] }] }, /twice/],
      [{ portalPageSize: 0 }, /integer/],
      [{ roleCredentialsTtlSeconds: -1 }, /above 0/],
    ])('when given %j, ConfigurationError', async (options, message) => {
      const error = await startEmulator(options as never).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigurationError);
      expect(String(error)).toMatch(message);
    });
  });
});

// Helpers

/** A device login at the AWS side, approved at once: the access and refresh tokens. */
async function login(emulator: Emulator): Promise<{ accessToken: string; refreshToken: string; clientId: string; clientSecret: string }> {
  const client = await authorizeAws(emulator);
  emulator.approve(client.userCode);
  const answer = await pollAws(emulator, client);
  if (answer.status !== 200) throw new Error(`CreateToken failed: ${answer.status} ${answer.text}`);
  return { accessToken: answer.json!['accessToken'] as string, refreshToken: answer.json!['refreshToken'] as string, clientId: client.clientId, clientSecret: client.clientSecret };
}

/** One portal GET with the token in `x-amz-sso_bearer_token`. */
function portal(emulator: Emulator, path: string, query: Record<string, string>, accessToken: string | undefined): Promise<Answer> {
  const url = new URL(emulator.awsPortalEndpoint + path);
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
  return call(url.href, { headers: accessToken === undefined ? {} : { 'x-amz-sso_bearer_token': accessToken } });
}

function expectPortalError(answer: Answer, name: string, status: number): void {
  expect(answer.status).toBe(status);
  expect(answer.headers.get('x-amzn-errortype')).toBe(`${name}:${PORTAL_NAMESPACE}`);
  expect(answer.json).toEqual({ message: expect.any(String) });
}
