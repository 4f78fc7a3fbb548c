import {
  GetRoleCredentialsCommand,
  ListAccountRolesCommand,
  ListAccountsCommand,
  ResourceNotFoundException,
  SSOClient,
  TooManyRequestsException,
  UnauthorizedException,
} from '@aws-sdk/client-sso';
import { afterEach, describe, expect, test } from 'vitest';
import { loginWithAwsSso } from '../../src/index.js';
import type { Emulator } from '../../src/testing-emulator.js';
import { useEmulator } from './helpers/emulator.js';

const start = useEmulator();
const clients: SSOClient[] = [];
afterEach(() => clients.splice(0).forEach((client) => client.destroy()));
const accounts = [
  { accountId: '111111111111', accountName: 'prod', emailAddress: 'prod@example.com', roles: ['ReadOnly', 'Admin', 'Billing'] },
  { accountId: '222222222222', accountName: 'dev', emailAddress: 'dev@example.com', roles: ['Developer'] },
];

describe('the emulator\'s portal API through @aws-sdk/client-sso (the wire format)', () => {
  describe('should answer the SDK\'s three bearer-token calls', () => {
    test('when ListAccounts pages with maxResults and nextToken, the SDK reads accountList and nextToken', async () => {
      const { emulator, sso, accessToken } = await setUp({ accounts, portalPageSize: 1 });
      const first = await sso.send(new ListAccountsCommand({ accessToken, maxResults: 5 }));
      expect(first.accountList).toEqual([{ accountId: '111111111111', accountName: 'prod', emailAddress: 'prod@example.com' }]);
      expect(first.nextToken).toEqual(expect.any(String));
      const second = await sso.send(new ListAccountsCommand({ accessToken, nextToken: first.nextToken }));
      expect(second.accountList).toEqual([{ accountId: '222222222222', accountName: 'dev', emailAddress: 'dev@example.com' }]);
      expect(second.nextToken).toBeUndefined();
      const sent = emulator.requests.filter((r) => r.path.endsWith('/assignment/accounts'));
      expect(sent.map((r) => r.params)).toEqual([{ max_result: '5' }, { next_token: first.nextToken }]);
    });

    test('when ListAccountRoles is asked for an account, the SDK reads roleList', async () => {
      const { sso, accessToken } = await setUp({ accounts });
      const answer = await sso.send(new ListAccountRolesCommand({ accessToken, accountId: '111111111111' }));
      expect(answer.roleList).toEqual(['ReadOnly', 'Admin', 'Billing'].map((roleName) => ({ roleName, accountId: '111111111111' })));
    });

    test('when GetRoleCredentials is asked for an assigned role, the SDK reads roleCredentials with an epoch-ms expiration', async () => {
      const { emulator, sso, accessToken } = await setUp({ accounts });
      const { roleCredentials } = await sso.send(new GetRoleCredentialsCommand({ accessToken, accountId: '222222222222', roleName: 'Developer' }));
      expect(roleCredentials).toEqual({ accessKeyId: expect.stringMatching(/^ASIA/), secretAccessKey: expect.any(String), sessionToken: expect.any(String), expiration: expect.any(Number) });
      expect(roleCredentials!.expiration).toBeGreaterThan(Date.now());
      expect(emulator.requests.at(-1)).toMatchObject({ method: 'GET', path: '/aws/portal/federation/credentials', params: { account_id: '222222222222', role_name: 'Developer' } });
    });
  });

  describe('should give the SDK its own exception classes', () => {
    test('when the token has expired, UnauthorizedException', async () => {
      const { emulator, sso, accessToken } = await setUp({ accounts });
      emulator.expireAccessTokens();
      const error = await sso.send(new ListAccountsCommand({ accessToken })).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnauthorizedException);
      expect(error).toMatchObject({ $metadata: { httpStatusCode: 401 } });
    });

    test('when the role is not assigned, ResourceNotFoundException', async () => {
      const { sso, accessToken } = await setUp({ accounts });
      const error = await sso.send(new GetRoleCredentialsCommand({ accessToken, accountId: '222222222222', roleName: 'Admin' })).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ResourceNotFoundException);
    });

    test('when TooManyRequestsException is injected, the SDK (maxAttempts 1) throws its class with status 429', async () => {
      const { emulator, sso, accessToken } = await setUp({ accounts });
      emulator.inject({ type: 'aws_exception', name: 'TooManyRequestsException' }, { path: '/federation/credentials' });
      const error = await sso.send(new GetRoleCredentialsCommand({ accessToken, accountId: '222222222222', roleName: 'Developer' })).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TooManyRequestsException);
      expect(error).toMatchObject({ $metadata: { httpStatusCode: 429 } });
    });
  });
});

// Helpers

/** An emulator, a real login through loginWithAwsSso, and an SSOClient pointed at the portal. */
async function setUp(options: Parameters<typeof start>[0]): Promise<{ emulator: Emulator; sso: SSOClient; accessToken: string }> {
  const emulator = await start({ intervalSeconds: 0.01, autoApproveAfterMs: 0, ...options });
  const token = await loginWithAwsSso({ region: 'us-east-1', endpoint: emulator.awsEndpoint, startUrl: 'https://d-1.awsapps.com/start', cache: false }).result;
  const sso = new SSOClient({ region: 'us-east-1', endpoint: emulator.awsPortalEndpoint, maxAttempts: 1 });
  clients.push(sso);
  return { emulator, sso, accessToken: token.accessToken };
}
