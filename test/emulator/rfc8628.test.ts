import { describe, expect, test } from 'vitest';
import { ConfigurationError } from '../../src/errors/index.js';
import { authorizeRfc, call, DEVICE_CODE_GRANT, pollRfc, postForm, sleep, useEmulator } from './helpers.js';

const start = useEmulator();

describe('emulator (RFC 8628 side)', () => {
  describe('should publish its metadata', () => {
    test.each(['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration'])('when %s is fetched', async (path) => {
      const emulator = await start();
      const answer = await call(`${emulator.url}${path}`);
      expect(answer.status).toBe(200);
      expect(answer.json).toMatchObject({
        issuer: emulator.url,
        device_authorization_endpoint: `${emulator.url}/device_authorization`,
        token_endpoint: `${emulator.url}/token`,
        grant_types_supported: [DEVICE_CODE_GRANT, 'refresh_token'],
        token_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'client_secret_post'],
      });
    });
  });

  describe('should answer the device authorization request', () => {
    test('when asked with the defaults, with every RFC 8628 §3.2 field', async () => {
      const emulator = await start();
      const answer = await postForm(`${emulator.url}/device_authorization`, { client_id: 'tokenpoll-test', scope: 'openid profile' });
      expect(answer.status).toBe(200);
      expect(answer.headers.get('content-type')).toBe('application/json');
      expect(answer.headers.get('cache-control')).toBe('no-store');
      const body = answer.json!;
      expect(body['device_code']).toEqual(expect.any(String));
      expect(body['user_code']).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
      expect(body['verification_uri']).toBe(`${emulator.url}/device`);
      expect(body['verification_uri_complete']).toBe(`${emulator.url}/device?user_code=${body['user_code'] as string}`);
      expect(body['expires_in']).toBe(600);
      expect(body['interval']).toBe(5);
    });

    test('when the options are fractional, or leave out the interval and the complete URI', async () => {
      const emulator = await start({ intervalSeconds: 0.05, expiresInSeconds: 2.5, omitInterval: true, sendVerificationUriComplete: false });
      const { body } = await authorizeRfc(emulator);
      expect(body['expires_in']).toBe(2.5);
      expect(body).not.toHaveProperty('interval');
      expect(body).not.toHaveProperty('verification_uri_complete');
      const announced = await start({ intervalSeconds: 0.05 });
      expect((await authorizeRfc(announced)).body['interval']).toBe(0.05);
    });

    test('when the body is not a form, with invalid_request', async () => {
      const emulator = await start();
      const answer = await call(`${emulator.url}/device_authorization`, { method: 'POST', body: '{"client_id":"tokenpoll-test"}', headers: { 'content-type': 'application/json' } });
      expect(answer.status).toBe(400);
      expect(answer.json).toMatchObject({ error: 'invalid_request' });
    });
  });

  describe('should answer device code token requests', () => {
    test('when the user has not decided yet, with authorization_pending (400)', async () => {
      const emulator = await start({ intervalSeconds: 0 });
      const { deviceCode } = await authorizeRfc(emulator);
      const answer = await pollRfc(emulator, deviceCode);
      expect(answer.status).toBe(400);
      expect(answer.json).toEqual({ error: 'authorization_pending', error_description: expect.any(String) });
    });

    test('when approved, with a token set, and invalid_grant when the code is used again', async () => {
      const emulator = await start({ intervalSeconds: 0, accessTokenTtlSeconds: 120 });
      const { deviceCode, userCode } = await authorizeRfc(emulator, { client_id: 'tokenpoll-test', scope: 'read' });
      emulator.approve(userCode);
      const granted = await pollRfc(emulator, deviceCode);
      const reused = await pollRfc(emulator, deviceCode);
      expect(granted.status).toBe(200);
      expect(granted.json).toEqual({ access_token: expect.stringMatching(/^at-/), token_type: 'Bearer', expires_in: 120, refresh_token: expect.any(String), scope: 'read' });
      expect(reused.status).toBe(400);
      expect(reused.json).toMatchObject({ error: 'invalid_grant' });
      expect(emulator.codes).toEqual([expect.objectContaining({ userCode, status: 'consumed', approvedAt: expect.any(Number), consumedAt: expect.any(Number) })]);
    });

    test('when denied, with access_denied', async () => {
      const emulator = await start({ intervalSeconds: 0 });
      const { deviceCode, userCode } = await authorizeRfc(emulator);
      emulator.deny(userCode);
      const answer = await pollRfc(emulator, deviceCode);
      expect(answer.status).toBe(400);
      expect(answer.json).toMatchObject({ error: 'access_denied' });
    });

    test('when expired on command or by its lifetime, with expired_token', async () => {
      const emulator = await start({ intervalSeconds: 0, expiresInSeconds: 0.05 });
      const first = await authorizeRfc(emulator);
      emulator.expire(first.userCode);
      expect((await pollRfc(emulator, first.deviceCode)).json).toMatchObject({ error: 'expired_token' });
      const second = await authorizeRfc(emulator);
      await sleep(80);
      const answer = await pollRfc(emulator, second.deviceCode);
      expect(answer.status).toBe(400);
      expect(answer.json).toMatchObject({ error: 'expired_token' });
      expect(emulator.codes.map((code) => code.status)).toEqual(['expired', 'expired']);
    });

    test('when the device code is unknown, with invalid_grant', async () => {
      const emulator = await start();
      const answer = await pollRfc(emulator, 'dc-made-up');
      expect(answer.status).toBe(400);
      expect(answer.json).toMatchObject({ error: 'invalid_grant' });
    });

    test('when the grant type is missing or unsupported, or the device code is missing', async () => {
      const emulator = await start();
      const missing = await postForm(`${emulator.url}/token`, { client_id: 'tokenpoll-test' });
      const unsupported = await postForm(`${emulator.url}/token`, { grant_type: 'password', client_id: 'tokenpoll-test' });
      const noCode = await postForm(`${emulator.url}/token`, { grant_type: DEVICE_CODE_GRANT, client_id: 'tokenpoll-test' });
      expect([missing.status, missing.json?.['error']]).toEqual([400, 'invalid_request']);
      expect([unsupported.status, unsupported.json?.['error']]).toEqual([400, 'unsupported_grant_type']);
      expect([noCode.status, noCode.json?.['error']]).toEqual([400, 'invalid_request']);
    });

    test('when autoApproveAfterMs or autoDenyAfterMs passes, without a command', async () => {
      const approving = await start({ intervalSeconds: 0, autoApproveAfterMs: 30 });
      const denying = await start({ intervalSeconds: 0, autoDenyAfterMs: 30 });
      const waiting = await start({ intervalSeconds: 0, autoApproveAfterMs: 60_000 });
      const approved = await authorizeRfc(approving);
      const denied = await authorizeRfc(denying);
      const notYet = await authorizeRfc(waiting);
      await sleep(60);
      expect((await pollRfc(approving, approved.deviceCode)).status).toBe(200);
      expect((await pollRfc(denying, denied.deviceCode)).json).toMatchObject({ error: 'access_denied' });
      expect((await pollRfc(waiting, notYet.deviceCode)).json).toMatchObject({ error: 'authorization_pending' });
    });

    test('when githubStyle is on, pending comes as HTTP 200 with an error body', async () => {
      const emulator = await start({ intervalSeconds: 0, githubStyle: true });
      const { deviceCode, userCode } = await authorizeRfc(emulator);
      const pending = await pollRfc(emulator, deviceCode);
      emulator.deny(userCode);
      const denied = await pollRfc(emulator, deviceCode);
      expect([pending.status, pending.json?.['error']]).toEqual([200, 'authorization_pending']);
      expect([denied.status, denied.json?.['error']]).toEqual([400, 'access_denied']);
    });
  });

  describe('should support the refresh token grant', () => {
    test('when a refresh token is spent, it rotates: the new one works, the old one is invalid_grant', async () => {
      const emulator = await start({ intervalSeconds: 0, autoApproveAfterMs: 0 });
      const { deviceCode } = await authorizeRfc(emulator);
      await sleep(10);
      const granted = await pollRfc(emulator, deviceCode);
      const first = granted.json!['refresh_token'] as string;
      const refreshed = await postForm(`${emulator.url}/token`, { grant_type: 'refresh_token', refresh_token: first, client_id: 'tokenpoll-test' });
      const again = await postForm(`${emulator.url}/token`, { grant_type: 'refresh_token', refresh_token: first, client_id: 'tokenpoll-test' });
      const missing = await postForm(`${emulator.url}/token`, { grant_type: 'refresh_token', client_id: 'tokenpoll-test' });
      expect(refreshed.status).toBe(200);
      expect(refreshed.json).toMatchObject({ access_token: expect.any(String), token_type: 'Bearer', refresh_token: expect.any(String) });
      expect(refreshed.json!['refresh_token']).not.toBe(first);
      expect([again.status, again.json?.['error']]).toEqual([400, 'invalid_grant']);
      expect([missing.status, missing.json?.['error']]).toEqual([400, 'invalid_request']);
    });
  });

  describe('should refuse what it does not serve', () => {
    test('when the path is unknown (404) or the method is wrong (405)', async () => {
      const emulator = await start();
      expect((await call(`${emulator.url}/nothing`)).status).toBe(404);
      expect((await call(`${emulator.url}/token`)).status).toBe(405);
    });

    test('when the body is over 1 MiB (413)', async () => {
      const emulator = await start();
      const answer = await postForm(`${emulator.url}/token`, { padding: 'x'.repeat(1_100_000) });
      expect(answer.status).toBe(413);
    });
  });

  describe('should throw on bad commands and options', () => {
    test('when a command names an unknown code, or a decision contradicts an earlier one', async () => {
      const emulator = await start({ intervalSeconds: 0 });
      const { userCode } = await authorizeRfc(emulator);
      expect(() => emulator.approve('BCDF-GHJK')).toThrow(ConfigurationError);
      expect(() => emulator.expire('BCDF-GHJK')).toThrow(ConfigurationError);
      emulator.approve(userCode);
      emulator.approve(userCode.toLowerCase().replace('-', ' '));
      expect(() => emulator.deny(userCode)).toThrow(ConfigurationError);
    });

    test.each([{ intervalSeconds: -1 }, { expiresInSeconds: 0 }, { port: 70_000 }, { autoApproveAfterMs: Number.NaN }, { clients: [{ clientId: 'c', authMethod: 'client_secret_post' as const }] }])(
      'when the options are %j, with ConfigurationError',
      async (options) => {
        await expect(start(options)).rejects.toBeInstanceOf(ConfigurationError);
      },
    );
  });
});
