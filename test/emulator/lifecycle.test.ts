import { describe, expect, test } from 'vitest';
import { startEmulator } from '../../src/testing-emulator.js';
import { authorizeRfc, DEVICE_CODE_GRANT, pollRfc, postJson, useEmulator } from './helpers.js';

const start = useEmulator();

describe('emulator (lifecycle)', () => {
  describe('should record every request', () => {
    test('when requests arrive, with method, path, time, status and decoded params', async () => {
      const emulator = await start({ intervalSeconds: 5 });
      const { deviceCode } = await authorizeRfc(emulator, { client_id: 'tokenpoll-test', scope: 'openid' });
      await pollRfc(emulator, deviceCode);
      await pollRfc(emulator, deviceCode);
      await fetch(`${emulator.url}/device?user_code=ABCD`);
      await postJson(`${emulator.awsEndpoint}/client/register`, { clientName: 'cli', clientType: 'public', scopes: ['a', 'b'] });
      const requests = emulator.requests;
      expect(requests.map(({ method, path, status }) => [method, path, status])).toEqual([
        ['POST', '/device_authorization', 200],
        ['POST', '/token', 400],
        ['POST', '/token', 400],
        ['GET', '/device', 200],
        ['POST', '/aws/client/register', 200],
      ]);
      expect(requests[0]!.params).toEqual({ client_id: 'tokenpoll-test', scope: 'openid' });
      expect(requests[1]!.params).toEqual({ grant_type: DEVICE_CODE_GRANT, device_code: deviceCode, client_id: 'tokenpoll-test' });
      expect(requests[3]!.params).toEqual({ user_code: 'ABCD' });
      expect(requests[4]!.params).toEqual({ clientName: 'cli', clientType: 'public', scopes: '["a","b"]' });
      const times = requests.map((request) => request.at);
      expect(times).toEqual([...times].sort((a, b) => a - b));
      expect(times[0]).toBeLessThanOrEqual(performance.now());
    });

    test('when a test changes a snapshot, the emulator is not affected', async () => {
      const emulator = await start();
      await authorizeRfc(emulator);
      (emulator.requests[0]!.params as Record<string, string>)['client_id'] = 'changed';
      expect(emulator.requests[0]!.params['client_id']).toBe('tokenpoll-test');
    });
  });

  describe('should list the codes it issued', () => {
    test('when codes are issued, approved and consumed, without the device codes', async () => {
      const emulator = await start({ intervalSeconds: 0 });
      const first = await authorizeRfc(emulator);
      const second = await authorizeRfc(emulator);
      emulator.approve(first.userCode);
      await pollRfc(emulator, first.deviceCode);
      const codes = emulator.codes;
      expect(codes).toEqual([
        { userCode: first.userCode, status: 'consumed', side: 'rfc', issuedAt: expect.any(Number), approvedAt: expect.any(Number), consumedAt: expect.any(Number) },
        { userCode: second.userCode, status: 'pending', side: 'rfc', issuedAt: expect.any(Number) },
      ]);
      expect(codes[0]!.approvedAt!).toBeLessThanOrEqual(codes[0]!.consumedAt!);
      expect(JSON.stringify(codes)).not.toContain(first.deviceCode);
    });
  });

  describe('should close cleanly', () => {
    test('when closed, later requests are refused and closing again is harmless', async () => {
      const emulator = await startEmulator();
      await authorizeRfc(emulator);
      await emulator.close();
      await emulator.close();
      await expect(fetch(`${emulator.url}/.well-known/oauth-authorization-server`)).rejects.toThrow(TypeError);
    });

    test('when a request hangs at close, close still resolves and the client sees the connection end', async () => {
      const emulator = await startEmulator();
      emulator.inject({ type: 'hang' });
      const hung = fetch(`${emulator.url}/token`, { method: 'POST', body: 'a=b' }).then(
        () => 'answered',
        () => 'rejected',
      );
      while (emulator.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      await emulator.close();
      expect(await hung).toBe('rejected');
    });

    test('when codes wait for an automatic approval, close clears their timers and leaves no server or socket', async () => {
      const before = resources();
      const emulator = await startEmulator({ autoApproveAfterMs: 60_000, autoDenyAfterMs: 60_000 });
      await authorizeRfc(emulator);
      await authorizeRfc(emulator);
      const during = resources();
      await emulator.close();
      const after = resources();
      // Four timers (approve and deny for two codes) were live, and are gone; other timers (fetch's own) may come and go.
      expect(after.Timeout).toBeLessThanOrEqual(during.Timeout - 4);
      expect(during.TCPServerWrap).toBe(before.TCPServerWrap + 1);
      expect(after.TCPServerWrap).toBe(before.TCPServerWrap);
      expect(emulator.codes.map((code) => code.status)).toEqual(['pending', 'pending']);
    });
  });
});

// Helpers

/** Counts the live handles Node reports, by kind. */
function resources(): Record<'Timeout' | 'TCPServerWrap', number> {
  const kinds = process.getActiveResourcesInfo();
  return { Timeout: kinds.filter((kind) => kind === 'Timeout').length, TCPServerWrap: kinds.filter((kind) => kind === 'TCPServerWrap').length };
}
