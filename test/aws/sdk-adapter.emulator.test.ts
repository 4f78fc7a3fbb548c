import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CreateTokenCommand,
  RegisterClientCommand,
  SSOOIDCClient,
  StartDeviceAuthorizationCommand,
} from '@aws-sdk/client-sso-oidc';
import { afterEach, describe, expect, test } from 'vitest';
import {
  AccessDeniedError,
  ConfigurationError,
  ExpiredTokenError,
  PollCancelledError,
  awsSdkTokenTransport,
  pollToken,
  startDeviceLogin,
  type LoginEvents,
  type LoginHandle,
  type TokenSet,
} from '../../src/index.js';
import type { Emulator } from '../../src/testing.js';
import { delay, requestLog, scenarioTable, summarise, useEmulator } from './helpers/emulator.js';

const start = useEmulator();
const record = scenarioTable('awsSdkTokenTransport through @aws-sdk/client-sso-oidc against the emulator');
const clients: SSOOIDCClient[] = [];
afterEach(() => clients.splice(0).forEach((client) => client.destroy()));

describe('awsSdkTokenTransport (real SDK, emulator)', () => {
  describe('should poll through the caller\'s SSOOIDCClient', () => {
    test('when the user approves after two pending answers, the SDK keeps the /aws prefix and the token arrives', async () => {
      const emulator = await start({ intervalSeconds: 0.05 });
      const run = sdkLogin(emulator);
      run.handle.on('pending', ({ attempt }) => attempt === 2 && emulator.approve(run.userCode()));
      const token = await run.handle.result;
      expect(token).toMatchObject({ accessToken: expect.stringMatching(/^aws-at-/), tokenType: 'Bearer', expiresInSeconds: 3600, refreshToken: expect.any(String) });
      expect(requestLog(emulator)).toEqual(['/client/register 200', '/device_authorization 200', '/token 400', '/token 400', '/token 200']);
      expect(emulator.requests.every((r) => r.path.startsWith('/aws/'))).toBe(true);
      record({ scenario: 'pending ×2 → granted', outcome: 'granted', requests: summarise(emulator), approvalToTokenMs: run.approvalToTokenMs() });
    });

    test('when no CreateTokenCommand is given, the SDK is imported lazily on the first poll', async () => {
      const emulator = await start({ intervalSeconds: 0.05, autoApproveAfterMs: 0 });
      const run = sdkLogin(emulator, { lazy: true });
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
      const run = sdkLogin(emulator);
      run.handle.on('pending', () => emulator.deny(run.userCode()));
      const error = await run.handle.result.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AccessDeniedError);
      expect(error).toMatchObject({ error: { code: 'access_denied', exception: 'AccessDeniedException', status: 400, description: expect.any(String) } });
      record({ scenario: 'denied', outcome: 'AccessDeniedError', requests: summarise(emulator) });
    });

    test('when AccessDeniedException carries a reason, the reason is kept (a one-route server: the emulator sends none)', async () => {
      const server = await awsErrorServer('AccessDeniedException', 400, { error: 'access_denied', error_description: 'KMS key unavailable', reason: 'KMS_AccessDeniedException' });
      try {
        const client = sdkClient(server.endpoint);
        const poll = pollToken({ transport: awsSdkTokenTransport(client, input, { CreateTokenCommand }), expiresInSeconds: 60, intervalSeconds: 0.01 });
        const error = await poll.result.catch((e: unknown) => e);
        expect(error).toBeInstanceOf(AccessDeniedError);
        expect((error as AccessDeniedError).error).toEqual({ code: 'access_denied', description: 'KMS key unavailable', reason: 'KMS_AccessDeniedException', status: 400, exception: 'AccessDeniedException' });
        expect(server.paths).toEqual(['/aws/token']);
      } finally {
        await server.close();
      }
    });

    test('when the code expires at the server, ExpiredTokenException becomes ExpiredTokenError (server)', async () => {
      const emulator = await start({ intervalSeconds: 0.05 });
      const run = sdkLogin(emulator);
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
      const run = sdkLogin(emulator);
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
      const run = sdkLogin(emulator);
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
      const run = sdkLogin(emulator);
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

// Helpers

const input = { clientId: 'client-1', clientSecret: 'secret-1', deviceCode: 'device-1' };

function sdkClient(endpoint: string): SSOOIDCClient {
  const client = new SSOOIDCClient({ region: 'us-east-1', endpoint });
  clients.push(client);
  return client;
}

/** A whole login through the SDK: RegisterClient and StartDeviceAuthorization as an SDK user would send them, then the adapter polls. */
function sdkLogin(emulator: Emulator, options: { lazy?: boolean } = {}) {
  const client = sdkClient(emulator.awsEndpoint);
  let registration: { clientId: string; clientSecret: string } | undefined;
  const handle: LoginHandle<TokenSet> = startDeviceLogin({
    async authorize({ signal }) {
      const registered = await client.send(new RegisterClientCommand({ clientName: 'sdk-test', clientType: 'public' }), { abortSignal: signal });
      registration = { clientId: registered.clientId!, clientSecret: registered.clientSecret! };
      const answer = await client.send(new StartDeviceAuthorizationCommand({ ...registration, startUrl: 'https://d-1.awsapps.com/start' }), { abortSignal: signal });
      return {
        deviceCode: answer.deviceCode!,
        userCode: answer.userCode!,
        verificationUri: answer.verificationUri!,
        expiresInSeconds: answer.expiresIn!,
        intervalSeconds: answer.interval!,
        issuedAt: performance.now(),
      };
    },
    transportFor: ({ deviceCode }) => awsSdkTokenTransport(client, { ...registration!, deviceCode }, options.lazy ? {} : { CreateTokenCommand }),
    poll: { backoff: () => 20 },
  });
  const events: { name: keyof LoginEvents; payload: unknown }[] = [];
  const names = ['code', 'stateChange', 'attempt', 'pending', 'slowDown', 'retry', 'warning', 'granted', 'denied', 'expired', 'failed', 'cancelled'] as const;
  for (const name of names) handle.on(name, (payload: unknown) => events.push({ name, payload }));
  let tokenAt: number | undefined;
  handle.result.then(() => (tokenAt = performance.now()), () => {});
  const userCode = (): string => (events.filter((e) => e.name === 'code').at(-1)!.payload as LoginEvents['code']).userCode;
  return {
    handle,
    events,
    names: () => events.map((e) => e.name),
    userCode,
    approvalToTokenMs(): number | undefined {
      const approvedAt = emulator.codes.find((c) => c.userCode === userCode())?.approvedAt;
      return approvedAt === undefined || tokenAt === undefined ? undefined : tokenAt - approvedAt;
    },
  };
}

/** A loopback server that answers every request with one AWS error, for what the emulator does not send. */
async function awsErrorServer(exception: string, status: number, body: object): Promise<{ endpoint: string; paths: string[]; close(): Promise<void> }> {
  const paths: string[] = [];
  const server: Server = createServer((req, res) => {
    paths.push(req.url ?? '');
    req.resume();
    req.on('end', () => {
      res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-ErrorType': `${exception}:http://internal.amazon.com/coral/com.amazonaws.sso.oidc/` });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}/aws`,
    paths,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
