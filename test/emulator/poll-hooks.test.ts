import { describe, expect, test } from 'vitest';
import { isTokenPollError, readHttpResponse } from '../../src/index.js';
import { ManualClock } from '../../src/testing.js';
import { type EmulatorPoll } from '../../src/testing-emulator.js';
import { authorizeAws, authorizeRfc, pollAws, pollRfc, useEmulator } from './helpers.js';

/**
 * The emulator's poll-driven controls: a test decides at a given poll, never
 * on a timer, so the order of answers does not depend on the machine's speed.
 * Every poll here is sent at interval 0, back to back.
 */
describe('the emulator, decided at a given poll', () => {
  const start = useEmulator();
  const outcomeOf = (answer: { status: number; json: Record<string, unknown> | undefined }): unknown => answer.json?.['error'] ?? answer.status;

  test('should approve each code at its Nth poll with approveOnPoll, that poll getting the token', async () => {
    const emulator = await start({ intervalSeconds: 0, approveOnPoll: 3 });
    const { deviceCode } = await authorizeRfc(emulator);
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(outcomeOf(await pollRfc(emulator, deviceCode)));
    expect(answers).toEqual(['authorization_pending', 'authorization_pending', 200, 'invalid_grant']);
  });

  test('should deny at the Nth poll with denyOnPoll, on the AWS side too', async () => {
    const emulator = await start({ intervalSeconds: 0, denyOnPoll: 2 });
    const client = await authorizeAws(emulator);
    const answers = [outcomeOf(await pollAws(emulator, client)), outcomeOf(await pollAws(emulator, client))];
    expect(answers).toEqual(['authorization_pending', 'access_denied']);
  });

  test('should not count a request answered with an injected fault as a poll', async () => {
    const emulator = await start({ intervalSeconds: 0, approveOnPoll: 1 });
    const { deviceCode } = await authorizeRfc(emulator);
    emulator.inject({ type: 'server_error' }, { count: 2 });
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(outcomeOf(await pollRfc(emulator, deviceCode)));
    expect(answers).toEqual([502, 502, 200]);
  });

  test('should call onPoll before answering, so a decision taken there is this poll\'s answer; its remover stops it', async () => {
    const emulator = await start({ intervalSeconds: 0 });
    const { deviceCode, userCode } = await authorizeRfc(emulator);
    const seen: EmulatorPoll[] = [];
    const remove = emulator.onPoll((poll) => {
      seen.push(poll);
      if (poll.count === 2) emulator.approve(poll.userCode);
    });
    const answers = [outcomeOf(await pollRfc(emulator, deviceCode)), outcomeOf(await pollRfc(emulator, deviceCode))];
    remove();
    await pollRfc(emulator, deviceCode);
    expect(answers).toEqual(['authorization_pending', 200]);
    expect(seen).toEqual([
      { userCode, side: 'rfc', count: 1, status: 'pending' },
      { userCode, side: 'rfc', count: 2, status: 'pending' },
    ]);
  });

  test('should refuse a poll number that is not a whole number from 1', async () => {
    for (const bad of [0, 1.5, -1, Number.NaN]) {
      const error = await start({ approveOnPoll: bad }).catch((thrown: unknown) => thrown);
      expect(isTokenPollError(error) && error.code).toBe('ERR_INVALID_OPTION');
    }
  });

  test('should keep its time on the clock it is given, and refuse a clock without now()', async () => {
    const clock = new ManualClock();
    clock.increment(12_345);
    const emulator = await start({ intervalSeconds: 5, expiresInSeconds: 10, clock });
    const { deviceCode } = await authorizeRfc(emulator);
    clock.increment(10_000);
    expect(outcomeOf(await pollRfc(emulator, deviceCode))).toBe('expired_token');
    expect(emulator.codes[0]).toMatchObject({ issuedAt: 12_345, status: 'expired' });
    expect(emulator.requests.map((r) => r.at)).toEqual([12_345, 22_345]);
    const error = await start({ clock: {} as ManualClock }).catch((thrown: unknown) => thrown);
    expect(isTokenPollError(error) && error.code).toBe('ERR_INVALID_OPTION');
  });

  test('should cut a 200 mid-body with the lost_body fault, which readHttpResponse keeps as a lost grant', async () => {
    const emulator = await start({ intervalSeconds: 0, approveOnPoll: 1 });
    const { deviceCode } = await authorizeRfc(emulator);
    emulator.inject({ type: 'lost_body' });
    const response = await fetch(`${emulator.url}/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: deviceCode, client_id: 'tokenpoll-test' }),
    });
    const answer = await readHttpResponse(response);
    expect(answer).toMatchObject({ status: 200, bodyError: expect.anything() });
    expect(answer).not.toHaveProperty('body');
    // Like every fault, it consumed nothing: the code still grants.
    expect((await pollRfc(emulator, deviceCode)).status).toBe(200);
  });
});
