/**
 * Testing code that polls, on virtual time: a 15-minute flow runs in
 * milliseconds and every wait is exact, so a test can assert when each
 * request was sent.
 *
 * 1. `ManualClock` + `scriptedTransport`: the real driver, a scripted server.
 * 2. `simulateFlow`: the pure state machine alone, synchronously.
 * 3. `deviceFlowArbitraries`: a fast-check property over random server behaviour.
 *
 * Run: `npm run build && node examples/testing-virtual-clock.ts` (Node 22.18 or later).
 */
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { pollToken, type TokenSet } from 'tokenpoll';
import { ManualClock, scriptedTransport, simulateFlow } from 'tokenpoll/testing';
import { deviceFlowArbitraries } from 'tokenpoll/testing/arbitraries';

const token: TokenSet = { accessToken: 'test-token', tokenType: 'Bearer', raw: {} };

// 1. The driver on a virtual clock. The server says: pending, slow down, a 502, then the token.
const clock = new ManualClock();
const transport = scriptedTransport(
  [{ type: 'authorization_pending' }, { type: 'slow_down' }, { reply: { status: 502, body: '<html>Bad gateway</html>' } }, { type: 'success', token }],
  { clock },
);
const poll = pollToken({ transport, clock, intervalSeconds: 5, expiresInSeconds: 900 });
const outcome = await clock.runUntilSettled(poll.result); // { status: 'fulfilled', value: token }
// 5 s (the interval), 10 s (5 s after the pending), 20 s (slow_down raised the floor to 10 s),
// 30 s (the 502 is waited out for at least the floor).
assert.deepEqual(transport.requests.map((r) => r.at), [5000, 10_000, 20_000, 30_000]);
assert.equal(outcome.status === 'fulfilled' && outcome.value.accessToken, 'test-token');
console.log(`driver: requests at ${transport.requests.map((r) => `${r.at / 1000} s`).join(', ')}; ${poll.state.status}`);

// 2. The state machine alone: the user never approves, so the code expires after 15 minutes.
const expired = simulateFlow({ config: { interval: 5, expiresIn: 900 }, script: [{ type: 'authorization_pending' }] });
assert.equal(expired.state.status, 'expired');
console.log(`simulateFlow: ${expired.requests.length} polls, then ${expired.state.status} at ${expired.state.at / 1000} s`);

// 3. A property: whatever the server answers, requests never overlap, are never closer than
//    the interval, and the flow always ends.
const { script } = deviceFlowArbitraries(fc, { maxSteps: 20 });
await fc.assert(
  fc.asyncProperty(script, async (steps) => {
    const clock = new ManualClock();
    const transport = scriptedTransport(steps, { clock, whenExhausted: 'repeat-last' });
    const poll = pollToken({ transport, clock, intervalSeconds: 5, expiresInSeconds: 300 });
    await clock.runUntilSettled(poll.result); // granted, denied, expired, failed: any ending will do
    assert.ok(transport.maxConcurrent <= 1);
    const times = transport.requests.map((r) => r.at);
    for (let i = 1; i < times.length; i++) assert.ok(times[i]! - times[i - 1]! >= 5000);
    assert.equal(clock.pendingTimers, 0);
  }),
  { numRuns: 50 },
);
console.log('property: 50 random server behaviours, no overlap, no poll closer than the interval, no timer left');
