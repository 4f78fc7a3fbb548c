import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { ErrorCode, LostGrantError, PollCancelledError, RetriesExhaustedError, TransientFaultError, isTokenPollError } from '../../src/index.js';
import { flushCallbacks, type ScriptStep } from '../../src/testing.js';
import { arb, flowSettings, RUNS, type FlowSettings } from '../helpers/arbitraries.js';
import { TERMINAL_EVENTS, runFlow, startFlow, type FlowRun } from '../helpers/run-flow.js';

const params = { numRuns: RUNS };

describe('pollToken', () => {
  describe('should end every flow exactly once', () => {
    test.prop([arb.script, flowSettings], params)('when the server answers any sequence of answers and faults', async (script, settings) => {
      // Arrange
      const run = startFlow(script, settings);
      // Act
      const result = await runFlow(run);
      const eventsAtEnd = run.events.length;
      const requestsAtEnd = run.transport.requests.length;
      run.clock.increment(24 * 3_600_000);
      await flushCallbacks();
      // Assert
      const terminal = run.events.filter((e) => TERMINAL_EVENTS.has(e.name));
      expect(terminal).toHaveLength(1);
      expect(run.events.at(-1)).toBe(terminal[0]);
      expect(run.events.length).toBe(eventsAtEnd);
      expect(run.transport.requests.length).toBe(requestsAtEnd);
      expect(run.clock.pendingTimers).toBe(0);
      expect(run.transport.inFlight).toBe(0);
      expect(run.poll.state.status).toBe(terminal[0]!.name);
      if (terminal[0]!.name === 'granted') {
        expect(result).toEqual({ status: 'fulfilled', value: (terminal[0]!.payload as { token: unknown }).token });
      } else {
        expect(result).toEqual({ status: 'rejected', reason: (terminal[0]!.payload as { error: unknown }).error });
      }
    });
  });

  describe('should space requests by the interval floor', () => {
    test.prop([arb.script, flowSettings], params)('when answers and faults arrive with any latency', async (script, settings) => {
      // Arrange
      const run = startFlow(script, settings);
      // Act
      await runFlow(run);
      // Assert
      expect(run.transport.maxConcurrent).toBeLessThanOrEqual(1);
      const attempts = attemptEvents(run);
      for (let i = 1; i < attempts.length; i++) {
        expect(attempts[i]!.at - attempts[i - 1]!.at).toBeGreaterThanOrEqual(attempts[i]!.intervalMs);
      }
      if (attempts[0]) expect(attempts[0].at).toBe(settings.firstPoll === 'immediate' ? 0 : attempts[0].intervalMs);
    });
  });

  describe('should only ever raise the floor, by at least 5 s per slow_down', () => {
    test.prop([arb.script, flowSettings], params)('when slow_down answers come with or without an interval', async (script, settings) => {
      // Arrange
      const run = startFlow(script, settings);
      // Act
      await runFlow(run);
      // Assert
      let floor = attemptEvents(run)[0]?.intervalMs ?? 0;
      for (const event of run.events) {
        if (event.name === 'attempt') {
          const { intervalMs } = event.payload as { intervalMs: number };
          expect(intervalMs).toBeGreaterThanOrEqual(floor);
          floor = intervalMs;
        }
        if (event.name === 'slowDown') {
          const { previousIntervalMs, intervalMs } = event.payload as { previousIntervalMs: number; intervalMs: number };
          expect(previousIntervalMs).toBe(floor);
          expect(intervalMs - previousIntervalMs).toBeGreaterThanOrEqual(5000);
          floor = intervalMs;
        }
      }
    });
  });

  describe('should send nothing at or after the deadline, and settle at it', () => {
    test.prop([arb.script, flowSettings], params)('when the user never answers in time', async (script, settings) => {
      // Arrange: a server that keeps saying pending (or faulting) after the script, like servers that never send expired_token
      const endless: ScriptStep[] = [...script.filter((s) => !isTerminalStep(s)), { type: 'authorization_pending' }];
      const run = startFlow(endless, settings);
      const deadlineAt = settings.expiresInSeconds * 1000;
      // Act
      await runFlow(run);
      // Assert
      for (const request of run.transport.requests) expect(request.at).toBeLessThan(deadlineAt);
      const state = run.poll.state;
      if (state.status === 'expired' && state.source === 'deadline') {
        const last = run.transport.requests.at(-1);
        const lastEnded = last ? (last.answeredAt ?? last.abortedAt ?? Number.POSITIVE_INFINITY) : 0;
        // Settles at the deadline, unless a request was still in flight then: its answer may be the grant.
        expect(state.at).toBe(Math.max(deadlineAt, lastEnded));
      } else {
        expect(state.status).toBe('failed');
      }
    });
  });

  describe('should cancel cleanly from any point', () => {
    /**
     * Where to cancel: at any time up to the moment the flow would have ended on its own, or while one of
     * its requests is in flight (a request with latency, a hang, one waiting for its timeout). Which
     * requests span time is found by a dry run of the same flow: the runs are deterministic.
     */
    const cancelPoint = fc.record({ whileInFlight: fc.constantFrom(true, true, false), pick: fc.nat(), fraction: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }) });
    /** Cancels must reach the hard moment, a request in flight, in at least this share of the runs. */
    const MIN_IN_FLIGHT_SHARE = 0.25;

    test('when cancel() or the signal fires at any time, a request in flight included', async () => {
      const tally = { runs: 0, inFlight: 0, settledBefore: 0 };
      await fc.assert(
        fc.asyncProperty(arb.script, flowSettings, cancelPoint, fc.boolean(), async (script, settings, point, viaSignal) => {
          // Arrange
          const cancelAt = await chooseCancelTime(script, settings, point);
          const controller = new AbortController();
          const run = startFlow(script, { ...settings, signal: controller.signal });
          const reason = new Error('user pressed Ctrl-C');
          await run.clock.advance(cancelAt);
          const settledBefore = run.events.some((e) => TERMINAL_EVENTS.has(e.name));
          const requestsBefore = run.transport.requests.length;
          const inFlight = run.transport.requests.at(-1);
          const wasInFlight = inFlight !== undefined && inFlight.answeredAt === undefined && inFlight.abortedAt === undefined;
          tally.runs += 1;
          if (wasInFlight) tally.inFlight += 1;
          if (settledBefore) tally.settledBefore += 1;
          // Act
          if (viaSignal) controller.abort(reason);
          else run.poll.cancel(reason);
          const result = await runFlow(run);
          // Assert
          if (settledBefore) return;
          expect(run.poll.state.status).toBe('cancelled');
          expect(result.status).toBe('rejected');
          const error = (result as PromiseRejectedResult).reason as PollCancelledError;
          expect(error).toBeInstanceOf(PollCancelledError);
          expect(error.cause).toBe(reason);
          expect(run.transport.requests.length).toBe(requestsBefore);
          expect(run.events.some((e) => e.name === 'granted')).toBe(false);
          expect(run.clock.pendingTimers).toBe(0);
          expect(run.transport.inFlight).toBe(0);
          if (wasInFlight) expect(inFlight.abortedAt).toBe(cancelAt);
        }),
        params,
      );
      const share = (count: number): string => `${((100 * count) / tally.runs).toFixed(1)}%`;
      console.info(`cancel property: ${tally.runs} runs, ${share(tally.inFlight)} cancelled with a request in flight, ${share(tally.settledBefore)} already settled`);
      expect(tally.inFlight / tally.runs).toBeGreaterThanOrEqual(MIN_IN_FLIGHT_SHARE);
    });
  });

  describe('should end at once on a lost grant, never sending again', () => {
    test.prop([arb.script, flowSettings], params)('when a success answer arrives whose body could not be read', async (script, settings) => {
      // Arrange
      const run = startFlow(script, settings);
      // Act
      const result = await runFlow(run);
      // Assert
      const requests = run.transport.requests;
      const stepOf = (index: number): ScriptStep => script[Math.min(index, script.length - 1)]!;
      const lost = requests.findIndex((request, i) => request.answeredAt !== undefined && isLostGrantStep(stepOf(i)));
      if (lost === -1) return;
      expect(requests).toHaveLength(lost + 1);
      expect(run.poll.state.status).toBe('failed');
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(LostGrantError);
    });
  });

  describe('should be deterministic', () => {
    test.prop([arb.script, flowSettings], params)('when the same script runs twice with the same seed', async (script, settings) => {
      // Arrange
      const first = startFlow(script, settings);
      const second = startFlow(script, settings);
      // Act
      const [a, b] = [await runFlow(first), await runFlow(second)];
      // Assert
      expect(b).toEqual(a);
      expect(second.events).toEqual(first.events);
      expect(second.transport.requests).toEqual(first.transport.requests);
    });
  });

  describe('should wait out transient faults without touching the floor, within a budget', () => {
    test.prop([fc.array(arb.fault, { minLength: 1, maxLength: 20 }), flowSettings], params)(
      'when the server only ever faults',
      async (faults, settings) => {
        // Arrange
        const run = startFlow(faults, { ...settings, expiresInSeconds: 3600 });
        // Act
        const result = await runFlow(run);
        // Assert
        const attempts = attemptEvents(run);
        expect(new Set(attempts.map((a) => a.intervalMs)).size).toBe(1);
        const retries = run.events.filter((e) => e.name === 'retry').map((e) => ({ at: e.at, ...(e.payload as { retriesLeft: number; delayMs: number }) }));
        retries.forEach((r, i) => expect(r.retriesLeft).toBe(settings.transientRetries - i - 1));
        // Every wait is at least the floor, unless the deadline (3600 s) cuts it short.
        for (const r of retries) expect(r.delayMs).toBeGreaterThanOrEqual(Math.min(attempts[0]!.intervalMs, 3_600_000 - r.at));
        const error = (result as PromiseRejectedResult).reason as RetriesExhaustedError;
        if (error.code === ErrorCode.RETRIES_EXHAUSTED) {
          expect(run.transport.requests).toHaveLength(settings.transientRetries + 1);
          expect(error.faults).toBe(settings.transientRetries + 1);
          expect(error.cause).toBeInstanceOf(TransientFaultError);
          const last = faults[Math.min(faults.length, settings.transientRetries + 1) - 1] as { type: string };
          expect((error.cause as TransientFaultError).fault.type).toBe(last.type);
        } else {
          expect(error.code).toBe(ErrorCode.DEADLINE_REACHED);
          expect(run.transport.requests.length).toBeLessThanOrEqual(settings.transientRetries + 1);
        }
      },
    );
  });

  describe('should never reveal a secret', () => {
    test.prop([arb.script, flowSettings], params)('when transports fail with errors that carry the request', async (script, settings) => {
      // Arrange: the canary is the device code and client secret, and rides on thrown errors the way HTTP clients attach requests.
      const canary = 'CANARY-9f3a7c';
      const leaky = script.map((step, i): ScriptStep =>
        i % 3 === 1
          ? { fail: Object.assign(new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } }), { config: { data: `device_code=${canary}&client_secret=${canary}` } }) }
          : step,
      );
      const run = startFlow(leaky, settings, { device_code: canary, client_secret: canary });
      // Act
      const result = await runFlow(run);
      // Assert
      expect(run.transport.requests.every((r) => r.params['device_code'] === canary)).toBe(true);
      for (const event of run.events) expect(JSON.stringify(event.payload)).not.toContain(canary);
      expect(JSON.stringify(run.poll.state)).not.toContain(canary);
      if (result.status === 'rejected') {
        const error = result.reason as Error;
        expect(isTokenPollError(error)).toBe(true);
        expect(error.message).not.toContain(canary);
        expect(String(error)).not.toContain(canary);
        expect(JSON.stringify(error)).not.toContain(canary);
      }
    });
  });
});

// Helpers

/** The cancel time a cancel point stands for, from a dry run of the same flow to its own end. */
async function chooseCancelTime(
  script: readonly ScriptStep[],
  settings: FlowSettings,
  point: { readonly whileInFlight: boolean; readonly pick: number; readonly fraction: number },
): Promise<number> {
  const dry = startFlow(script, settings);
  await runFlow(dry);
  const spans = dry.transport.requests
    .map((r) => ({ from: r.at, to: r.answeredAt ?? r.abortedAt ?? r.at }))
    .filter((span) => span.to > span.from);
  const span = spans[point.pick % Math.max(1, spans.length)];
  // In flight from the moment it is sent until (not including) the moment it is answered or aborted.
  if (point.whileInFlight && span) return span.from + Math.floor(point.fraction * (span.to - span.from));
  return Math.floor(point.fraction * (dry.clock.now() + 1));
}

function attemptEvents(run: FlowRun): { at: number; intervalMs: number }[] {
  return run.events.filter((e) => e.name === 'attempt').map((e) => ({ at: e.at, intervalMs: (e.payload as { intervalMs: number }).intervalMs }));
}

/** A 2xx whose body was lost, as `arb.lostGrant` makes it: a raw answer with a `bodyError`, or the `unreadable_success` outcome. */
function isLostGrantStep(step: ScriptStep): boolean {
  const answer = 'reply' in step ? step.reply : step;
  if (typeof answer !== 'object' || answer === null) return false;
  const { status, bodyError, type } = answer as { status?: number; bodyError?: unknown; type?: unknown };
  return type === 'unreadable_success' || (bodyError !== undefined && status !== undefined && status >= 200 && status < 300);
}

function isTerminalStep(step: ScriptStep): boolean {
  const outcome = 'reply' in step ? step.reply : step;
  if (typeof outcome !== 'object' || outcome === null) return true; // a malformed answer, which ends the flow
  const type = (outcome as { type?: unknown }).type;
  return ['success', 'access_denied', 'expired_token', 'oauth_error'].includes(type as string) || 'reply' in step && !('type' in (step.reply as object));
}
