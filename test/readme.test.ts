import { describe, expect, test } from 'vitest';
import { pollToken, type TokenSet } from '../src/index.js';
import { ManualClock, scriptedTransport } from '../src/testing.js';

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
});
