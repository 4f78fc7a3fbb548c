import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { pollToken } from '../../src/index.js';
import { ManualClock, scriptedTransport, seededRandom, simulateFlow, type ScriptStep, type SimulatedAnswer } from '../../src/testing.js';
import { arb } from '../helpers/arbitraries.js';

const token = { accessToken: 'at', raw: {} };

describe('simulateFlow', () => {
  describe('should run a flow on virtual time, synchronously', () => {
    test('when the server says pending, slow down, then grants', () => {
      const { state, requests } = simulateFlow({
        config: { interval: 5, expiresIn: 900 },
        script: [{ type: 'authorization_pending' }, { type: 'slow_down' }, { type: 'success', token }],
      });
      expect(state).toMatchObject({ status: 'granted', token, attempt: 3, at: 20_000 });
      expect(requests.map((r) => r.at)).toEqual([5000, 10_000, 20_000]);
    });

    test('when the user never answers, a 15-minute flow expires at its deadline', () => {
      const { state, requests } = simulateFlow({ config: { interval: 5, expiresIn: 900 }, script: [{ type: 'authorization_pending' }] });
      expect(state).toMatchObject({ status: 'expired', source: 'deadline', at: 900_000 });
      expect(requests).toHaveLength(179);
    });

    test('when cancelled mid-request, the answer is dropped', () => {
      const { state, requests } = simulateFlow({ config: { interval: 5, expiresIn: 900 }, script: [{ outcome: { type: 'success', token }, latencyMs: 1000 }], cancelAt: 5500 });
      expect(state).toMatchObject({ status: 'cancelled', at: 5500 });
      expect(requests).toEqual([{ attempt: 1, at: 5000 }]);
    });

    test('when asked, it keeps the events', () => {
      const { events } = simulateFlow({ config: { interval: 5, expiresIn: 900 }, script: [{ type: 'authorization_pending' }, { type: 'success', token }], collectEvents: true });
      expect(events.map((e) => e.name)).toEqual(['stateChange', 'attempt', 'pending', 'attempt', 'stateChange']);
    });
  });

  describe('should agree with the driver', () => {
    test.prop([fc.array(fc.tuple(arb.outcome, fc.option(fc.integer({ min: 1, max: 9_999 }), { nil: undefined })), { minLength: 1, maxLength: 25 }), fc.integer()], { numRuns: 300 })(
      'when both run the same script with the same seed',
      async (steps, seed) => {
        // Arrange: latencies stay below the request timeout (10 s), where the two would break a tie differently.
        const script: SimulatedAnswer[] = steps.map(([outcome, latencyMs]) => (latencyMs === undefined ? outcome : { outcome, latencyMs }));
        const driverScript: ScriptStep[] = steps.map(([outcome, latencyMs]) => (latencyMs === undefined ? outcome : { reply: outcome, latencyMs }));
        const settings = { intervalSeconds: 5, expiresInSeconds: 600, requestTimeoutMs: 10_000 } as const;
        // Act
        const simulated = simulateFlow({ config: { interval: 5, expiresIn: 600, requestTimeoutMs: 10_000 }, script, random: seededRandom(seed) });
        const clock = new ManualClock();
        const transport = scriptedTransport(driverScript, { clock, whenExhausted: 'repeat-last' });
        const poll = pollToken({ ...settings, transport, clock, random: seededRandom(seed) });
        await clock.runUntilSettled(poll.result);
        // Assert
        expect(transport.requests.map((r) => r.at)).toEqual(simulated.requests.map((r) => r.at));
        const { status, attempt, at } = poll.state as { status: string; attempt: number; at: number };
        expect({ status, attempt, at }).toEqual({ status: simulated.state.status, attempt: simulated.state.attempt, at: simulated.state.at });
      },
    );
  });
});
