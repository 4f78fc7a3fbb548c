import { ListAccountsCommand, LogoutCommand, SSOClient, UnauthorizedException } from '@aws-sdk/client-sso';
import { afterEach, describe, expect, test } from 'vitest';
import { AwsSsoPortalError, RetriesExhaustedError, awsSsoPortal, loginWithAwsSso } from '../../src/index.js';
import type { Emulator } from '../../src/testing-emulator.js';
import { useEmulator } from './helpers/emulator.js';

const start = useEmulator();
const clients: SSOClient[] = [];
afterEach(() => clients.splice(0).forEach((client) => client.destroy()));

describe('the portal Logout call', () => {
  describe('should end the session: the emulator refuses the token from then on', () => {
    test('when awsSsoPortal().logout() is called, it sends POST /logout with the token in x-amz-sso_bearer_token, and later calls with the token get UnauthorizedException', async () => {
      const { emulator, accessToken } = await setUp();
      const portal = awsSsoPortal({ region: 'us-east-1', token: accessToken, endpoint: emulator.awsPortalEndpoint });
      expect(await portal.listAccounts()).toHaveLength(1);
      await portal.logout();
      expect(emulator.requests.at(-1)).toMatchObject({ method: 'POST', path: '/aws/portal/logout', status: 200 });
      await expect(portal.listAccounts()).rejects.toMatchObject({ name: 'LoginRequiredError', reason: 'token-rejected' });
    });

    test('when the token is already signed out, a second logout() rejects with AwsSsoPortalError UnauthorizedException (no refresh is tried)', async () => {
      const { emulator, accessToken } = await setUp();
      const portal = awsSsoPortal({ region: 'us-east-1', token: accessToken, endpoint: emulator.awsPortalEndpoint });
      await portal.logout();
      const error = await portal.logout().then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(AwsSsoPortalError);
      expect(error).toMatchObject({ operation: 'Logout', exception: 'UnauthorizedException', status: 401 });
      expect(String((error as Error).message)).not.toContain(accessToken);
      expect(emulator.requests.filter((r) => r.path === '/aws/portal/logout').map((r) => r.status)).toEqual([200, 401]);
    });

    test('when the portal answers 502 twice, Logout is retried and succeeds; when it never answers, RetriesExhaustedError', async () => {
      const { emulator, accessToken } = await setUp();
      emulator.inject({ type: 'server_error', status: 502 }, { path: '/logout', count: 2 });
      const portal = awsSsoPortal({ region: 'us-east-1', token: accessToken, endpoint: emulator.awsPortalEndpoint, retry: { backoff: () => 1 } });
      await portal.logout();
      expect(emulator.requests.filter((r) => r.path === '/aws/portal/logout').map((r) => r.status)).toEqual([502, 502, 200]);

      const other = await setUp();
      other.emulator.inject({ type: 'server_error', status: 503 }, { path: '/logout', count: 10 });
      const failing = awsSsoPortal({ region: 'us-east-1', token: other.accessToken, endpoint: other.emulator.awsPortalEndpoint, retry: { retries: 2, backoff: () => 1 } });
      await expect(failing.logout()).rejects.toBeInstanceOf(RetriesExhaustedError);
    });
  });

  describe('should speak the wire format of @aws-sdk/client-sso', () => {
    test('when the SDK sends LogoutCommand, the emulator answers 200 with no body, and the SDK then gets UnauthorizedException for the token', async () => {
      const { emulator, accessToken } = await setUp();
      const sso = new SSOClient({ region: 'us-east-1', endpoint: emulator.awsPortalEndpoint, maxAttempts: 1 });
      clients.push(sso);
      const answer = await sso.send(new LogoutCommand({ accessToken }));
      expect(answer.$metadata.httpStatusCode).toBe(200);
      await expect(sso.send(new ListAccountsCommand({ accessToken }))).rejects.toBeInstanceOf(UnauthorizedException);
      await expect(sso.send(new LogoutCommand({ accessToken }))).rejects.toBeInstanceOf(UnauthorizedException);
    });
  });
});

async function setUp(): Promise<{ emulator: Emulator; accessToken: string }> {
  const emulator = await start({ intervalSeconds: 0.01, autoApproveAfterMs: 0 });
  const token = await loginWithAwsSso({ region: 'us-east-1', endpoint: emulator.awsEndpoint, startUrl: 'https://d-1.awsapps.com/start', cache: false }).result;
  return { emulator, accessToken: token.accessToken };
}
