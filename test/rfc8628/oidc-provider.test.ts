import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  AccessDeniedError,
  discover,
  ExpiredTokenError,
  loginWithDeviceFlow,
  OAuthError,
  refreshToken,
  type ClientAuthenticationMethod,
  type LoginEvents,
  type TokenSet,
} from '../../src/index.js';
import { outcomeOf, scenarioTable } from './scenarios.js';

// oidc-provider checks client secrets as VSCHAR (printable ASCII): these need form-urlencoding before base64.
const CLIENTS = {
  basic: { clientId: 'basic-client', clientSecret: 'b4sic sec:ret+/%&=~!', method: 'client_secret_basic' },
  post: { clientId: 'post-client', clientSecret: 'p0st sec:ret+/%&=~!', method: 'client_secret_post' },
} as const satisfies Record<string, { clientId: string; clientSecret: string; method: ClientAuthenticationMethod }>;
const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

const table = scenarioTable('oidc-provider 9 (a real RFC 8628 server) over HTTP');
let server: Server;
let provider: Provider;
let issuer: string;
let deviceCodeTtlSeconds = 600;

beforeAll(async () => {
  server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // An http: issuer is accepted as is: oidc-provider only checks it is a web URI. The test never
  // uses its cookie-based pages, so nothing needs `proxy` or a secure context.
  provider = new Provider(issuer, {
    clients: Object.values(CLIENTS).map((c) => ({
      client_id: c.clientId,
      client_secret: c.clientSecret,
      grant_types: [DEVICE_CODE_GRANT, 'refresh_token'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: c.method,
    })),
    features: { deviceFlow: { enabled: true }, devInteractions: { enabled: false } },
    findAccount: async (_ctx: unknown, sub: string) => ({ accountId: sub, claims: async () => ({ sub }) }),
    // By default a refresh token needs offline_access; the issue asks for scope 'openid' alone.
    issueRefreshToken: async (_ctx: unknown, client: { grantTypeAllowed(type: string): boolean }) => client.grantTypeAllowed('refresh_token'),
    ttl: { DeviceCode: () => deviceCodeTtlSeconds, AccessToken: 3600, Grant: 3600, IdToken: 3600, RefreshToken: 86_400 },
  });
  server.on('request', provider.callback());
});

afterAll(async () => {
  table.print();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('rfc8628 against oidc-provider', () => {
  describe('should discover its endpoints', () => {
    test('when given only the issuer', async () => {
      const metadata = await discover(issuer);
      expect(metadata).toMatchObject({ issuer, deviceAuthorizationEndpoint: `${issuer}/device/auth`, tokenEndpoint: `${issuer}/token` });
      expect(metadata.grantTypesSupported).toContain(DEVICE_CODE_GRANT);
    });
  });

  describe('should get a token when the user approves', () => {
    test.each([['basic' as const], ['post' as const]])('when the client authenticates with client_secret_%s', async (kind) => {
      // Act
      const run = await runLogin(kind, approve);
      // Assert
      table.add({ scenario: `granted, client_secret_${kind}`, outcome: outcomeOf(run.settled), requests: run.tokenRequests, approvalToTokenMs: run.approvalToTokenMs });
      expect(run.settled.status).toBe('fulfilled');
      const token = (run.settled as PromiseFulfilledResult<TokenSet>).value;
      expect(token).toMatchObject({ tokenType: 'Bearer', scope: 'openid', expiresInSeconds: 3600 });
      expect(token.accessToken).toBeTypeOf('string');
      expect(token.idToken).toBeTypeOf('string');
      expect(token.refreshToken).toBeTypeOf('string');
      expect(run.code).toMatchObject({ verificationUri: `${issuer}/device`, restart: 0 });
      expect(run.code!.verificationUriComplete).toBe(`${issuer}/device?user_code=${run.code!.userCode}`);
      expect(JSON.stringify(run.events)).not.toContain(CLIENTS[kind].clientSecret);
    });
  });

  describe('should refresh the token it got', () => {
    test('when the refresh token is valid, and refuse it with invalid_grant when it is not', async () => {
      // Arrange
      const run = await runLogin('basic', approve);
      const token = (run.settled as PromiseFulfilledResult<TokenSet>).value;
      const { clientId, clientSecret } = CLIENTS.basic;
      // Act
      const refreshed = await refreshToken({ issuer, clientId, clientSecret, refreshToken: token.refreshToken! });
      const refused = await refreshToken({ tokenEndpoint: `${issuer}/token`, clientId, clientSecret, refreshToken: 'not-a-refresh-token' }).catch((e: unknown) => e);
      // Assert
      expect(refreshed.accessToken).not.toBe(token.accessToken);
      expect(refreshed.refreshToken).toBeTypeOf('string');
      expect(refused).toBeInstanceOf(OAuthError);
      expect((refused as OAuthError).error.code).toBe('invalid_grant');
      expect(String(refused)).not.toContain('not-a-refresh-token');
      table.add({ scenario: 'refresh, then a bogus refresh token', outcome: 'new token set; OAuthError invalid_grant', requests: 2 });
    });
  });

  describe('should end denied when the user refuses', () => {
    test('when the device code is marked access_denied', async () => {
      const run = await runLogin('post', deny);
      table.add({ scenario: 'denied, client_secret_post', outcome: outcomeOf(run.settled), requests: run.tokenRequests, approvalToTokenMs: run.approvalToTokenMs });
      expect(run.settled.status).toBe('rejected');
      const error = (run.settled as PromiseRejectedResult).reason as AccessDeniedError;
      expect(error).toBeInstanceOf(AccessDeniedError);
      expect(error.error).toMatchObject({ code: 'access_denied', description: 'the user said no', status: 400 });
    });
  });

  describe('should end expired', () => {
    test('when the server expires the code first, with expired_token', async () => {
      // Arrange: the server's code lives 1 s; the client is told 30 s, so the server speaks first.
      deviceCodeTtlSeconds = 1;
      try {
        // Act
        const run = await runLogin('basic', undefined, { expiresInSeconds: 30 });
        // Assert
        table.add({ scenario: 'expired (server expired_token), client_secret_basic', outcome: outcomeOf(run.settled), requests: run.tokenRequests });
        const error = (run.settled as PromiseRejectedResult).reason as ExpiredTokenError;
        expect(error).toBeInstanceOf(ExpiredTokenError);
        expect(error).toMatchObject({ source: 'server', code: 'ERR_EXPIRED_TOKEN' });
      } finally {
        deviceCodeTtlSeconds = 600;
      }
    });

    test('when the local deadline passes first', async () => {
      const run = await runLogin('post', undefined, { expiresInSeconds: 0.3 });
      table.add({ scenario: 'expired (local deadline), client_secret_post', outcome: outcomeOf(run.settled), requests: run.tokenRequests });
      const error = (run.settled as PromiseRejectedResult).reason as ExpiredTokenError;
      expect(error).toBeInstanceOf(ExpiredTokenError);
      expect(error).toMatchObject({ source: 'deadline', code: 'ERR_DEADLINE_REACHED' });
      expect(run.events.some((e) => e.name === 'expired')).toBe(true);
    });
  });

  describe('should fail clearly on bad client credentials', () => {
    test('when the secret is wrong, the device authorization request fails with invalid_client and no secret in sight', async () => {
      const login = loginWithDeviceFlow({ issuer, clientId: CLIENTS.basic.clientId, clientSecret: 'wrong-secret-value', scope: 'openid', retries: 0 });
      const error = await login.result.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OAuthError);
      expect((error as OAuthError).error).toMatchObject({ code: 'invalid_client', status: 401 });
      expect(`${String(error)} ${JSON.stringify(error)}`).not.toContain('wrong-secret-value');
      table.add({ scenario: 'wrong client secret', outcome: 'OAuthError invalid_client (device authorization)', requests: 0 });
    });
  });
});

// Helpers

interface LoginRun {
  readonly settled: PromiseSettledResult<TokenSet>;
  readonly tokenRequests: number;
  readonly approvalToTokenMs: number | undefined;
  readonly code: LoginEvents['code'] | undefined;
  readonly events: { name: string; payload: unknown }[];
}

/** Logs in as one of the clients; `act` approves or denies once the first poll came back pending. */
async function runLogin(kind: keyof typeof CLIENTS, act?: (userCode: string) => Promise<void>, rewrite: { expiresInSeconds?: number } = {}): Promise<LoginRun> {
  const counter = { token: 0 };
  const { clientId, clientSecret, method } = CLIENTS[kind];
  const login = loginWithDeviceFlow({
    issuer,
    clientId,
    clientSecret,
    clientAuthentication: method,
    scope: 'openid',
    fetch: rewritingFetch(counter, rewrite),
    requestTimeoutMs: 5000,
  });
  const events: { name: string; payload: unknown }[] = [];
  for (const name of ['code', 'pending', 'retry', 'warning', 'failed', 'denied', 'expired', 'cancelled'] as const) {
    login.on(name, (payload: unknown) => events.push({ name, payload }));
  }
  let code: LoginEvents['code'] | undefined;
  login.on('code', (payload) => (code = payload));
  const firstPending = new Promise<'pending'>((resolve) => login.once('pending', () => resolve('pending')));
  let approvedAt: number | undefined;
  if (act && (await Promise.race([firstPending, login.result.then(() => 'settled', () => 'settled')])) === 'pending') {
    await act(code!.userCode);
    approvedAt = performance.now();
  }
  const [settled] = await Promise.allSettled([login.result]);
  const endedAt = performance.now();
  return { settled: settled!, tokenRequests: counter.token, approvalToTokenMs: approvedAt === undefined ? undefined : endedAt - approvedAt, code, events };
}

/**
 * Global fetch, counting token requests. oidc-provider sends no `interval` (so clients would
 * wait RFC 8628's default 5 s): the device authorization answer gets `interval: 0.05` to keep
 * the test fast, and optionally another `expires_in`.
 */
function rewritingFetch(counter: { token: number }, rewrite: { expiresInSeconds?: number }): typeof fetch {
  return async (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    if (url.endsWith('/token')) counter.token += 1;
    const response = await fetch(input, init);
    if (!url.endsWith('/device/auth') || !response.ok) return response;
    const body = (await response.json()) as Record<string, unknown>;
    const changed = { ...body, interval: 0.05, ...(rewrite.expiresInSeconds === undefined ? {} : { expires_in: rewrite.expiresInSeconds }) };
    return new Response(JSON.stringify(changed), { status: response.status, headers: { 'content-type': 'application/json' } });
  };
}

/** What the approval page would do: a grant for the account, recorded on the device code. */
async function approve(userCode: string): Promise<void> {
  const code = await findCode(userCode);
  const grant = new provider.Grant({ accountId: 'user-1', clientId: code.clientId });
  grant.addOIDCScope('openid');
  Object.assign(code, { accountId: 'user-1', grantId: await grant.save(), authTime: Math.floor(Date.now() / 1000), scope: 'openid' });
  await code.save();
}

/** What the page's abort button does: an error recorded on the device code. */
async function deny(userCode: string): Promise<void> {
  const code = await findCode(userCode);
  Object.assign(code, { error: 'access_denied', errorDescription: 'the user said no' });
  await code.save();
}

async function findCode(userCode: string) {
  // oidc-provider stores user codes normalised: upper case, without the dash.
  const code = await provider.DeviceCode.findByUserCode(userCode.toUpperCase().replace(/\W/g, ''));
  if (!code) throw new Error('unknown user code');
  return code;
}
