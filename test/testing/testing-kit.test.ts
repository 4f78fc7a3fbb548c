import fc from 'fast-check';
import { describe, expect, test, vi } from 'vitest';
import { classifyTokenResponse, pollToken } from '../../src/index.js';
import { ManualClock, ScriptExhaustedError, flushCallbacks, scriptedTransport, seededRandom } from '../../src/testing.js';
import { deviceFlowArbitraries } from '../../src/testing-arbitraries.js';

describe('ManualClock', () => {
  describe('should move only when told', () => {
    test('when timers fall due, they fire in order, each at its own time', () => {
      const clock = new ManualClock({ now: 100 });
      const fired: [string, number][] = [];
      clock.setTimeout(() => fired.push(['b', clock.now()]), 50);
      clock.setTimeout(() => fired.push(['a', clock.now()]), 10);
      clock.setTimeout(() => fired.push(['c', clock.now()]), 50);
      clock.increment(60);
      expect(fired).toEqual([['a', 110], ['b', 150], ['c', 150]]);
      expect(clock.now()).toBe(160);
    });

    test('when a timer is cleared, it never fires', () => {
      const clock = new ManualClock();
      const fired = vi.fn();
      const timer = clock.setTimeout(fired, 10);
      clock.clearTimeout(timer);
      clock.increment(100);
      expect(fired).not.toHaveBeenCalled();
      expect(clock.pendingTimers).toBe(0);
    });

    test('when asked to go back in time, it refuses', () => {
      const clock = new ManualClock({ now: 50 });
      expect(() => clock.set(10)).toThrow(RangeError);
      expect(() => clock.increment(-1)).toThrow(RangeError);
    });

    test('when advanced asynchronously, answers arrive between timers', async () => {
      const clock = new ManualClock();
      const seen: string[] = [];
      clock.setTimeout(() => void Promise.resolve().then(() => seen.push(`answer@${clock.now()}`)), 10);
      clock.setTimeout(() => seen.push(`timer@${clock.now()}`), 20);
      await clock.advance(30);
      expect(seen).toEqual(['answer@10', 'timer@20']);
      expect(clock.now()).toBe(30);
    });

    test('when incremented synchronously, promise callbacks wait until after', async () => {
      const clock = new ManualClock();
      const seen: string[] = [];
      clock.setTimeout(() => void Promise.resolve().then(() => seen.push(`answer@${clock.now()}`)), 10);
      clock.setTimeout(() => seen.push(`timer@${clock.now()}`), 20);
      clock.increment(30);
      await flushCallbacks();
      expect(seen).toEqual(['timer@20', 'answer@30']);
    });

    test('when asked for wall time, it follows monotonic time from its epoch', () => {
      const clock = new ManualClock({ wallEpochMs: 1_000_000 });
      clock.increment(500);
      expect(clock.wallNow()).toBe(1_000_500);
    });
  });

  describe('should run a flow to its end', () => {
    test('when a 15-minute flow runs, it takes virtual time only', async () => {
      const clock = new ManualClock();
      const transport = scriptedTransport([{ type: 'authorization_pending' }], { clock, whenExhausted: 'repeat-last' });
      const poll = pollToken({ transport, clock, expiresInSeconds: 900 });
      const result = await clock.runUntilSettled(poll.result);
      expect(result.status).toBe('rejected');
      expect(clock.now()).toBe(900_000);
      expect(transport.requests).toHaveLength(179);
    });

    test('when nothing can settle the promise, it says so instead of hanging', async () => {
      const clock = new ManualClock();
      await expect(clock.runUntilSettled(new Promise(() => {}))).rejects.toThrow(/no timer is left/);
    });
  });
});

describe('scriptedTransport', () => {
  describe('should replay and record', () => {
    test('when asked in turn, it answers each step and records time and parameters', async () => {
      const clock = new ManualClock();
      const boom = new Error('boom');
      const transport = scriptedTransport([{ type: 'authorization_pending' }, { reply: { status: 200 }, latencyMs: 30 }, { fail: boom }], {
        clock,
        params: { device_code: 'dc' },
      });
      const signal = new AbortController().signal;
      await expect(transport({ signal, attempt: 1 })).resolves.toEqual({ type: 'authorization_pending' });
      const second = transport({ signal, attempt: 2 });
      clock.increment(30);
      await expect(second).resolves.toEqual({ status: 200 });
      await expect(transport({ signal, attempt: 3 })).rejects.toBe(boom);
      await expect(transport({ signal, attempt: 4 })).rejects.toBeInstanceOf(ScriptExhaustedError);
      expect(transport.requests.map(({ attempt, at, params, answeredAt }) => ({ attempt, at, params, answeredAt }))).toEqual([
        { attempt: 1, at: 0, params: { device_code: 'dc' }, answeredAt: 0 },
        { attempt: 2, at: 0, params: { device_code: 'dc' }, answeredAt: 30 },
        { attempt: 3, at: 30, params: { device_code: 'dc' }, answeredAt: 30 },
        { attempt: 4, at: 30, params: { device_code: 'dc' }, answeredAt: undefined },
      ]);
    });

    test('when a request is aborted, it rejects with the reason and counts overlap', async () => {
      const clock = new ManualClock();
      const transport = scriptedTransport([{ hang: true }, { reply: 1, latencyMs: 10 }], { clock });
      const a = new AbortController();
      const first = transport({ signal: a.signal, attempt: 1 });
      const second = transport({ signal: new AbortController().signal, attempt: 2 });
      expect(transport.inFlight).toBe(2);
      a.abort('stop');
      await expect(first).rejects.toBe('stop');
      clock.increment(10);
      await second;
      expect(transport.maxConcurrent).toBe(2);
      expect(transport.inFlight).toBe(0);
    });
  });
});

describe('seededRandom', () => {
  describe('should replay', () => {
    test('when seeded alike, sequences match, and stay within [0, 1)', () => {
      const a = seededRandom(7);
      const b = seededRandom(7);
      const xs = Array.from({ length: 1000 }, () => a());
      expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
      expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
      expect(new Set(xs).size).toBeGreaterThan(990);
    });
  });
});

describe('deviceFlowArbitraries', () => {
  describe('should produce what the default classifier understands', () => {
    test("when any generated step is classified", () => {
      const arbs = deviceFlowArbitraries(fc);
      fc.assert(
        fc.property(arbs.step, (step) => {
          const answer = 'fail' in step ? { ok: false as const, error: step.fail } : { ok: true as const, value: 'reply' in step ? step.reply : step };
          const outcome = classifyTokenResponse(answer, { wallNow: 0 });
          expect(['transport_error', 'invalid_response', 'unreadable_success']).not.toContain(outcome.type);
        }),
        { numRuns: 500 },
      );
    });

    test('when scripts are sampled, they cover pending, slow_down, faults and terminal answers', () => {
      const samples = fc.sample(deviceFlowArbitraries(fc).outcome, { numRuns: 2000, seed: 1 });
      const types = new Set(samples.map((s) => s.type));
      for (const type of ['authorization_pending', 'slow_down', 'network_error', 'timeout', 'server_error', 'rate_limited', 'success', 'access_denied', 'expired_token', 'oauth_error']) {
        expect(types).toContain(type);
      }
    });
  });
});

describe('flushCallbacks', () => {
  test('should let chained promise callbacks run', async () => {
    let done = false;
    void Promise.resolve().then(() => Promise.resolve()).then(() => (done = true));
    await flushCallbacks();
    expect(done).toBe(true);
  });
});
