import { describe, expect, test } from 'vitest';
import type { TokenSet } from '../../src/core/outcome.js';
import { AccessDeniedError } from '../../src/errors/index.js';
import type { PollEvents } from '../../src/runtime/events.js';
import { pollToken, type PollHandle } from '../../src/runtime/poller.js';
import { httpRequest } from '../../src/transports/http.js';
import type { Emulator, EmulatorOptions } from '../../src/testing-emulator.js';
import { authorizeAws, authorizeRfc, DEVICE_CODE_GRANT, useEmulator } from './helpers.js';

const start = useEmulator();

describe('emulator (end to end with pollToken, httpRequest and the default classifier)', () => {
  describe('should grant a login polled at a fractional interval, with no slow_down', () => {
    test.each<[string, EmulatorOptions]>([
      ['RFC 8628 answers (400 pending)', {}],
      ['GitHub-style answers (200 pending)', { githubStyle: true }],
    ])('when the server sends %s', async (_, options) => {
      // Arrange
      const emulator = await start({ intervalSeconds: 0.05, expiresInSeconds: 10, autoApproveAfterMs: 250, ...options });
      const { deviceCode, body } = await authorizeRfc(emulator);
      // Act
      const run = watch(
        pollToken({ transport: rfcTransport(emulator, deviceCode), intervalSeconds: body['interval'] as number, expiresInSeconds: body['expires_in'] as number, issuedAt: performance.now(), random: () => 0 }),
      );
      const token = await run.poll.result;
      // Assert
      expect(token).toMatchObject({ accessToken: expect.stringMatching(/^at-/), tokenType: 'Bearer', refreshToken: expect.any(String), expiresInSeconds: 3600 } satisfies Partial<TokenSet>);
      expect(run.events).not.toContain('slowDown');
      const polls = emulator.requests.filter((request) => request.path === '/token');
      expect(polls.at(-1)?.status).toBe(200);
      expect(polls.slice(0, -1).every((request) => request.status === (options.githubStyle ? 200 : 400))).toBe(true);
      expect(run.events.filter((name) => name === 'pending')).toHaveLength(polls.length - 1);
      expect(emulator.codes[0]?.status).toBe('consumed');
    });

    test.each<[string, EmulatorOptions]>([
      ['RFC 8628 answers (400 pending)', {}],
      ['GitHub-style answers (200 pending)', { githubStyle: true }],
    ])('when the server sends %s and the user approves after the second pending answer', async (_, options) => {
      const emulator = await start({ intervalSeconds: 0.05, expiresInSeconds: 10, ...options });
      const { deviceCode, userCode } = await authorizeRfc(emulator);
      const run = watch(pollToken({ transport: rfcTransport(emulator, deviceCode), intervalSeconds: 0.05, expiresInSeconds: 10 }));
      let pending = 0;
      run.poll.on('pending', () => ++pending === 2 && emulator.approve(userCode));
      await expect(run.poll.result).resolves.toMatchObject({ accessToken: expect.any(String) });
      expect(run.events.filter((name) => name !== 'attempt')).toEqual(['pending', 'pending', 'granted']);
    });

    test('when the AWS side answers (x-amzn-ErrorType header), over rest-json', async () => {
      const emulator = await start({ intervalSeconds: 0.05, expiresInSeconds: 10 });
      const client = await authorizeAws(emulator);
      const body = JSON.stringify({ clientId: client.clientId, clientSecret: client.clientSecret, grantType: DEVICE_CODE_GRANT, deviceCode: client.deviceCode });
      const run = watch(
        pollToken({
          transport: ({ signal }) => httpRequest({ url: `${emulator.awsEndpoint}/token`, headers: { 'content-type': 'application/json' }, body, signal }),
          intervalSeconds: client.body['interval'] as number,
          expiresInSeconds: client.body['expiresIn'] as number,
          issuedAt: performance.now(),
        }),
      );
      run.poll.once('pending', () => emulator.approve(client.userCode));
      await expect(run.poll.result).resolves.toMatchObject({ accessToken: expect.any(String), tokenType: 'Bearer', refreshToken: expect.any(String) });
      expect(run.events.filter((name) => name !== 'attempt')).toEqual(['pending', 'granted']);
    });
  });

  describe('should carry the other outcomes through', () => {
    test('when the user denies on the approval page, with AccessDeniedError', async () => {
      const emulator = await start({ intervalSeconds: 0.05, expiresInSeconds: 10 });
      const { deviceCode, userCode } = await authorizeRfc(emulator);
      const poll = pollToken({ transport: rfcTransport(emulator, deviceCode), intervalSeconds: 0.05, expiresInSeconds: 10 });
      await fetch(`${emulator.url}/device`, { method: 'POST', body: new URLSearchParams({ user_code: userCode, action: 'deny' }) });
      await expect(poll.result).rejects.toBeInstanceOf(AccessDeniedError);
    });

    test('when every transient fault kind strikes once, the approval is still not lost', async () => {
      const emulator = await start({ intervalSeconds: 0.05, expiresInSeconds: 20, autoApproveAfterMs: 0 });
      const { deviceCode } = await authorizeRfc(emulator);
      emulator.inject({ type: 'server_error', status: 503 });
      emulator.inject({ type: 'rate_limited', retryAfterSeconds: 0 });
      emulator.inject({ type: 'reset' });
      emulator.inject({ type: 'hang' });
      emulator.inject({ type: 'server_error', status: 504 });
      const run = watch(
        pollToken({ transport: rfcTransport(emulator, deviceCode), intervalSeconds: 0.05, expiresInSeconds: 20, requestTimeoutMs: 200, random: () => 0 }),
      );
      await expect(run.poll.result).resolves.toMatchObject({ accessToken: expect.any(String) });
      expect(run.events.filter((name) => name === 'retry')).toHaveLength(5);
      expect(emulator.requests.filter((request) => request.path === '/token').map((request) => request.status)).toEqual([503, 429, undefined, undefined, 504, 200]);
    });
  });
});

// Helpers

/** The RFC 8628 token transport: a form POST through httpRequest, the default classifier reading its answer. */
function rfcTransport(emulator: Emulator, deviceCode: string): (context: { signal: AbortSignal }) => ReturnType<typeof httpRequest> {
  const body = new URLSearchParams({ grant_type: DEVICE_CODE_GRANT, device_code: deviceCode, client_id: 'tokenpoll-test' }).toString();
  return ({ signal }) =>
    httpRequest({ url: `${emulator.url}/token`, headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body, signal });
}

/** Records the names of the events a poll emits. */
function watch(poll: PollHandle<TokenSet>): { poll: PollHandle<TokenSet>; events: (keyof PollEvents)[] } {
  const events: (keyof PollEvents)[] = [];
  for (const name of ['attempt', 'pending', 'slowDown', 'retry', 'granted', 'failed'] as const) poll.on(name, () => events.push(name));
  return { poll, events };
}
