import { describe, expect, test } from 'vitest';
import { loginWithDeviceFlow, pollToken, type TokenSet } from '../src/index.js';
import { ManualClock, scriptedTransport, startEmulator } from '../src/testing.js';

describe('README', () => {
  test('should hold true: the testing example polls at 5, 10, 20 and 30 s', async () => {
    const token: TokenSet = { accessToken: 'at', raw: {} };
    const clock = new ManualClock();
    const transport = scriptedTransport(
      [{ type: 'authorization_pending' }, { type: 'slow_down' }, { reply: { status: 502, body: '<html>' } }, { type: 'success', token }],
      { clock },
    );
    const poll = pollToken({ transport, clock, intervalSeconds: 5, expiresInSeconds: 900 });
    await clock.runUntilSettled(poll.result);
    expect(transport.requests.map((r) => r.at)).toEqual([5000, 10000, 20000, 30000]);
  });

  test('should hold true: the emulator example logs in through a 502', async () => {
    const emulator = await startEmulator({ intervalSeconds: 0.05, autoApproveAfterMs: 200 });
    try {
      emulator.inject({ type: 'server_error', status: 502 });
      const token = await loginWithDeviceFlow({ issuer: emulator.url, clientId: 'tokenpoll-test' }).result;
      expect(token.accessToken).toEqual(expect.any(String));
      expect(emulator.requests.filter((r) => r.path === '/token').map((r) => r.status)).toContain(502);
    } finally {
      await emulator.close();
    }
  });
});
