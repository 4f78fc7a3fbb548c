import { describe, expect, test } from 'vitest';
import { ManualClock } from '../../src/testing.js';
import { authorizeAws, authorizeRfc, pollAws, pollRfc, useEmulator } from './helpers.js';

const start = useEmulator();

describe('emulator (interval enforcement)', () => {
  describe('should answer slow_down to a poll sooner than the interval', () => {
    test('when the second poll follows the first at once', async () => {
      const emulator = await start({ intervalSeconds: 5 });
      const { deviceCode } = await authorizeRfc(emulator);
      const first = await pollRfc(emulator, deviceCode);
      const second = await pollRfc(emulator, deviceCode);
      expect(first.json).toMatchObject({ error: 'authorization_pending' });
      expect(second.status).toBe(400);
      expect(second.json).toMatchObject({ error: 'slow_down' });
    });

    test('when a client ignores slow_down, it keeps getting it and the interval keeps growing', async () => {
      // githubStyle answers carry the enforced interval, so its growth is visible on the wire.
      const emulator = await start({ intervalSeconds: 1, slowDownIncrementSeconds: 2, githubStyle: true });
      const { deviceCode, userCode } = await authorizeRfc(emulator);
      await pollRfc(emulator, deviceCode);
      emulator.approve(userCode);
      const storm = [];
      for (let i = 0; i < 4; i++) storm.push(await pollRfc(emulator, deviceCode));
      expect(storm.map((answer) => [answer.status, answer.json?.['error'], answer.json?.['interval']])).toEqual([
        [200, 'slow_down', 3],
        [200, 'slow_down', 5],
        [200, 'slow_down', 7],
        [200, 'slow_down', 9],
      ]);
      expect(emulator.codes[0]?.status).toBe('approved');
    });

    test('when each device code is counted on its own', async () => {
      const emulator = await start({ intervalSeconds: 5 });
      const a = await authorizeRfc(emulator);
      const b = await authorizeRfc(emulator);
      await pollRfc(emulator, a.deviceCode);
      expect((await pollRfc(emulator, b.deviceCode)).json).toMatchObject({ error: 'authorization_pending' });
      expect((await pollRfc(emulator, a.deviceCode)).json).toMatchObject({ error: 'slow_down' });
    });

    test('when an AWS client polls too soon, with SlowDownException', async () => {
      const emulator = await start({ intervalSeconds: 5 });
      const client = await authorizeAws(emulator);
      await pollAws(emulator, client);
      const answer = await pollAws(emulator, client);
      expect(answer.status).toBe(400);
      expect(answer.headers.get('x-amzn-errortype')).toMatch(/^SlowDownException:/);
      expect(answer.json).toMatchObject({ error: 'slow_down' });
    });
  });

  describe('should let a client that waits the raised interval through', () => {
    test('when the client waits longer than the interval after each answer', async () => {
      // The emulator's time is virtual: "too soon" and "patient" do not depend on how fast the machine is.
      const clock = new ManualClock();
      const emulator = await start({ intervalSeconds: 0.3, slowDownIncrementSeconds: 0.1, clock });
      const { deviceCode, userCode } = await authorizeRfc(emulator);
      const first = await pollRfc(emulator, deviceCode);
      clock.increment(200);
      const tooSoon = await pollRfc(emulator, deviceCode); // the interval is now 0.4 s
      clock.increment(400);
      const patient = await pollRfc(emulator, deviceCode);
      emulator.approve(userCode);
      clock.increment(400);
      const granted = await pollRfc(emulator, deviceCode);
      expect([first, tooSoon, patient, granted].map((answer) => answer.json?.['error'] ?? answer.status)).toEqual(['authorization_pending', 'slow_down', 'authorization_pending', 200]);
    });

    test('when the first poll comes at once (the first poll is never too early)', async () => {
      const emulator = await start({ intervalSeconds: 60 });
      const { deviceCode } = await authorizeRfc(emulator);
      expect((await pollRfc(emulator, deviceCode)).json).toMatchObject({ error: 'authorization_pending' });
    });
  });
});
