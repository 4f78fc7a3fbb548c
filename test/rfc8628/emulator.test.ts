import { afterAll, afterEach, describe, expect, test } from 'vitest';
import {
  AccessDeniedError,
  ExpiredTokenError,
  loginWithDeviceFlow,
  OAuthError,
  PollCancelledError,
  refreshToken,
  type LoginEvents,
  type TokenSet,
} from '../../src/index.js';
import { ManualClock } from '../../src/testing.js';
import { startEmulator, type Emulator, type EmulatorOptions } from '../../src/testing-emulator.js';
import { reasonOf, runEmulatorLogin } from './emulator-login.js';
import { outcomeOf, scenarioTable } from './scenarios.js';

const table = scenarioTable('The emulator (RFC 8628 side) over HTTP');
let emulator: Emulator | undefined;

async function start(options: EmulatorOptions = {}): Promise<Emulator> {
  emulator = await startEmulator({ intervalSeconds: 0.05, ...options });
  return emulator;
}

afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});
afterAll(() => table.print());

describe('rfc8628 against the emulator', () => {
  describe('should get a token when the user approves', () => {
    test('when the public client discovers the server and the user approves after the first pending', async () => {
      // Arrange
      const server = await start();
      // Act
      const run = await runEmulatorLogin(server, { login: { tokenParameters: { code_verifier: 'v-1' } } });
      // Assert
      table.add({ scenario: 'granted (public client, discovery)', outcome: outcomeOf(run.settled), requests: run.tokenRequests, approvalToTokenMs: run.approvalToTokenMs });
      expect(run.settled.status).toBe('fulfilled');
      expect((run.settled as PromiseFulfilledResult<TokenSet>).value).toMatchObject({ tokenType: 'Bearer', expiresInSeconds: 3600 });
      expect(server.codes[0]!.status).toBe('consumed');
      const polls = server.requests.filter((r) => r.path === '/token');
      expect(polls.length).toBeGreaterThanOrEqual(2);
      expect(polls.every((r) => r.params['code_verifier'] === 'v-1' && r.params['client_id'] === 'tokenpoll-test')).toBe(true);
      const code = run.events.find((e) => e.name === 'code')!.payload as LoginEvents['code'];
      expect(code.verificationUriComplete).toContain(code.userCode);
      const deviceCode = polls[0]!.params['device_code']!;
      expect(JSON.stringify(run.events.filter((e) => e.name !== 'granted'))).not.toContain(deviceCode);
    });

    test.each([['client_secret_basic' as const], ['client_secret_post' as const]])('when the confidential client uses %s', async (method) => {
      const clientSecret = "sec ret:+/%&=~ü'";
      const server = await start({ clients: [{ clientId: 'conf', clientSecret, authMethod: method }] });
      const run = await runEmulatorLogin(server, { user: 'approve-on-code', login: { clientId: 'conf', clientSecret, clientAuthentication: method } });
      table.add({ scenario: `granted, ${method}`, outcome: outcomeOf(run.settled), requests: run.tokenRequests, approvalToTokenMs: run.approvalToTokenMs });
      expect(run.settled.status).toBe('fulfilled');
    });

    test('when the client secret is wrong, it fails with invalid_client and no secret in sight', async () => {
      const server = await start({ clients: [{ clientId: 'conf', clientSecret: 'right', authMethod: 'client_secret_basic' }] });
      const run = await runEmulatorLogin(server, { login: { clientId: 'conf', clientSecret: 'wrong-secret-value' } });
      const error = reasonOf(run);
      expect(error).toBeInstanceOf(OAuthError);
      expect((error as OAuthError).error.code).toBe('invalid_client');
      expect(`${String(error)} ${JSON.stringify(error)} ${JSON.stringify(run.events)}`).not.toContain('wrong-secret-value');
    });
  });

  describe('should end denied when the user refuses', () => {
    test('when the user denies after the first pending', async () => {
      const server = await start();
      const run = await runEmulatorLogin(server, { user: 'deny-on-pending' });
      table.add({ scenario: 'denied', outcome: outcomeOf(run.settled), requests: run.tokenRequests, approvalToTokenMs: run.approvalToTokenMs });
      expect(reasonOf(run)).toBeInstanceOf(AccessDeniedError);
      expect(run.events.filter((e) => e.name === 'denied')).toHaveLength(1);
    });
  });

  describe('should end expired', () => {
    test('when the local deadline passes before the user acts, no request is sent at or after it', async () => {
      // Arrange: the server gives the code 600 s; the client is told 300 ms (maxLifetimeMs), so its own deadline ends the flow.
      const server = await start();
      const sentAt: number[] = [];
      const deadlines: number[] = [];
      // Act
      const run = await runEmulatorLogin(server, {
        user: 'nothing',
        login: { poll: { maxLifetimeMs: 300 } },
        started: (login) =>
          login.on('attempt', ({ at }) => {
            // Right before each request goes out: when it is sent, and the deadline the poll holds (same clock).
            sentAt.push(at);
            const state = login.state;
            if ('deadlineAt' in state) deadlines.push(state.deadlineAt);
          }),
      });
      // Assert
      table.add({ scenario: 'expired (local deadline)', outcome: outcomeOf(run.settled), requests: run.tokenRequests });
      expect(reasonOf(run)).toMatchObject({ name: 'ExpiredTokenError', source: 'deadline' });
      const expired = run.events.find((e) => e.name === 'expired')!.payload as LoginEvents['expired'];
      expect(sentAt.length).toBeGreaterThanOrEqual(2);
      expect(deadlines).toHaveLength(sentAt.length);
      const deadlineAt = deadlines[0]!;
      expect(deadlines.every((d) => d === deadlineAt)).toBe(true);
      // The deadline is the client's 300 ms, counted from when the code arrived, not the server's 600 s.
      expect(deadlineAt).toBeGreaterThanOrEqual(server.codes[0]!.issuedAt + 300);
      expect(deadlineAt).toBeLessThan(server.codes[0]!.issuedAt + 600_000);
      // Every request was sent before the deadline, and the server saw each of them (no unannounced request).
      expect(sentAt.filter((at) => at >= deadlineAt)).toEqual([]);
      expect(server.requests.filter((r) => r.path === '/token')).toHaveLength(sentAt.length);
      // The flow settled at the deadline; the server's code (600 s) never expired.
      expect(expired.at).toBeGreaterThanOrEqual(deadlineAt);
      expect(server.codes[0]!.status).toBe('pending');
    });

    test("when the server answers expired_token", async () => {
      const server = await start();
      const run = await runEmulatorLogin(server, { user: 'expire-on-pending' });
      table.add({ scenario: 'expired (server expired_token)', outcome: outcomeOf(run.settled), requests: run.tokenRequests });
      const error = reasonOf(run) as ExpiredTokenError;
      expect(error).toBeInstanceOf(ExpiredTokenError);
      expect(error.source).toBe('server');
      expect(run.events.filter((e) => e.name === 'expired')).toHaveLength(1);
    });
  });

  describe('should restart after expiry only when asked', () => {
    test('when no restart callback is given, one device code is asked for', async () => {
      const server = await start();
      const run = await runEmulatorLogin(server, { user: 'expire-on-pending' });
      expect(reasonOf(run)).toBeInstanceOf(ExpiredTokenError);
      expect(run.deviceAuthorizations).toBe(1);
      expect(run.events.filter((e) => e.name === 'code')).toHaveLength(1);
    });

    test('when the caller asks for one restart, a second code is issued and approved', async () => {
      // Arrange: the first code expires at the server; the second is approved when it is shown.
      const server = await start();
      const restarts: number[] = [];
      // Act
      const run = await runEmulatorLogin(server, {
        user: 'expire-on-pending',
        login: { restart: ({ restarts: count }) => (restarts.push(count), count < 1) },
        started: (login) => login.on('code', (code) => code.restart === 1 && server.approve(code.userCode)),
      });
      // Assert
      table.add({ scenario: 'expired, restart asked for, second code approved', outcome: outcomeOf(run.settled), requests: run.tokenRequests });
      expect(run.settled.status).toBe('fulfilled');
      expect(restarts).toEqual([0]);
      expect(run.deviceAuthorizations).toBe(2);
      expect(run.events.filter((e) => e.name === 'code').map((e) => (e.payload as LoginEvents['code']).restart)).toEqual([0, 1]);
      expect(server.codes.map((c) => c.status)).toEqual(['expired', 'consumed']);
    });
  });

  describe('should obey a slow_down storm', () => {
    test.each([[false], [true]])('when the client interval is far below the enforced one (githubStyle %s)', async (githubStyle) => {
      // Arrange: one virtual clock for both sides, so the storm does not depend on the machine's speed. The
      // emulator's time runs 100 times slower than the client's: it announces 0.2 s, which the client waits
      // (2 ms of emulator time), and enforces 0.2 s (+0.02 s per early poll) of its own time, 20 s of the
      // client's; each slow_down's +5 s is 50 ms to the emulator. It approves at the third poll, mid-storm.
      const clock = new ManualClock();
      const server = await start({ intervalSeconds: 0.2, slowDownIncrementSeconds: 0.02, githubStyle, approveOnPoll: 3, clock: { now: () => clock.now() / 100 } });
      const login = loginWithDeviceFlow({ issuer: server.url, clientId: 'tokenpoll-test', clock, requestTimeoutMs: 200_000 });
      const slowDowns: number[] = [];
      let waiting = false; // the client waits on its clock (true) or for an answer over HTTP (false)
      login.on('code', () => (waiting = true));
      login.on('attempt', () => (waiting = false));
      for (const name of ['pending', 'retry'] as const) login.on(name, () => (waiting = true));
      login.on('slowDown', ({ intervalMs }) => {
        slowDowns.push(intervalMs);
        waiting = true;
      });
      let settled: PromiseSettledResult<TokenSet> | undefined;
      void login.result.then(
        (value) => (settled = { status: 'fulfilled', value }),
        (reason: unknown) => (settled = { status: 'rejected', reason }),
      );
      // Act: move the clock to the client's next timer whenever it waits; let real I/O run otherwise.
      while (settled === undefined) {
        await new Promise((resolve) => setImmediate(resolve));
        if (waiting && clock.nextTimerAt !== undefined) await clock.advance(clock.nextTimerAt - clock.now());
      }
      // Assert
      const tokenRequests = server.requests.filter((r) => r.path === '/token').length;
      table.add({
        scenario: `slow_down storm${githubStyle ? ' (GitHub 200 style)' : ''}`,
        outcome: `${outcomeOf(settled)} after ${slowDowns.length} slow_down`,
        requests: tokenRequests,
      });
      expect(settled.status).toBe('fulfilled');
      // After k slow_downs the client's gap is 2 + 50k ms of emulator time, against 200 + 20k enforced: 7 polls are too early.
      expect(slowDowns).toHaveLength(7);
      // Each slow_down raised the interval by at least 5 s, never lowering it.
      slowDowns.forEach((ms, i) => i > 0 && expect(ms).toBeGreaterThanOrEqual(slowDowns[i - 1]! + 5000));
      expect(tokenRequests).toBe(slowDowns.length + 2); // the first poll (pending), the storm, the grant
      expect(server.codes[0]!.status).toBe('consumed');
    });
  });

  describe('should cancel in the middle of a request', () => {
    test('when the token request hangs, its fetch is aborted and no token is delivered', async () => {
      // Arrange
      const server = await start();
      server.inject({ type: 'hang' });
      const signals: AbortSignal[] = [];
      const watchingFetch: typeof fetch = (input, init) => {
        if (init?.signal) signals.push(init.signal);
        return fetch(input, init);
      };
      // Act
      const run = await runEmulatorLogin(server, {
        user: 'approve-on-code',
        login: { fetch: watchingFetch },
        started: (login) =>
          login.on('attempt', () => {
            const sent = server.requests.length;
            void waitFor(() => server.requests.length > sent).then(() => login.cancel(new Error('user pressed Ctrl-C')));
          }),
      });
      await new Promise((resolve) => setTimeout(resolve, 100));
      // Assert
      table.add({ scenario: 'cancel during a hung token request', outcome: outcomeOf(run.settled), requests: run.tokenRequests });
      const error = reasonOf(run) as PollCancelledError;
      expect(error).toBeInstanceOf(PollCancelledError);
      expect((error.cause as Error).message).toBe('user pressed Ctrl-C');
      expect(signals.at(-1)!.aborted).toBe(true);
      expect(server.codes[0]!.status).toBe('approved');
      expect(run.events.some((e) => e.name === 'granted')).toBe(false);
      expect(run.events.filter((e) => e.name === 'cancelled')).toHaveLength(1);
    });
  });

  describe('should refresh the token it got', () => {
    test('when the refresh token is fresh, and refuse it once it was rotated', async () => {
      const server = await start();
      const run = await runEmulatorLogin(server, { user: 'approve-on-code' });
      const token = (run.settled as PromiseFulfilledResult<TokenSet>).value;
      const refreshed = await refreshToken({ issuer: server.url, clientId: 'tokenpoll-test', refreshToken: token.refreshToken! });
      const reused = await refreshToken({ tokenEndpoint: `${server.url}/token`, clientId: 'tokenpoll-test', refreshToken: token.refreshToken! }).catch((e: unknown) => e);
      expect(refreshed.accessToken).not.toBe(token.accessToken);
      expect(reused).toBeInstanceOf(OAuthError);
      expect((reused as OAuthError).error.code).toBe('invalid_grant');
      expect(String(reused)).not.toContain(token.refreshToken!);
    });
  });
});

// Helpers

async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 2));
}
