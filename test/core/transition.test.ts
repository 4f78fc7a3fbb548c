import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import {
  ABORT_GRACE_MS,
  createConfig,
  initialState,
  isActive,
  isTerminal,
  transition,
  type ConfigInput,
  type PollConfig,
  type PollEffect,
  type PollInput,
  type PollState,
  type TokenOutcome,
  type Transition,
} from '../../src/index.js';
import { advance, type StepSink } from '../../src/core/transition.js';
import { arb, RUNS } from '../helpers/arbitraries.js';

const config = (input: Partial<ConfigInput> = {}): PollConfig => createConfig({ interval: 5, expiresIn: 600, ...input });
const pending: TokenOutcome = { type: 'authorization_pending' };
const grant: TokenOutcome = { type: 'success', token: { accessToken: 'at', raw: {} } };

describe('transition', () => {
  describe('should start', () => {
    test('when the first poll comes one interval after the device authorization answer', () => {
      // Act
      const step = transition(initialState, { type: 'start', now: 1000 }, config());
      // Assert
      expect(step.state).toMatchObject({ status: 'pending', phase: 'waiting', intervalMs: 5000, deadlineAt: 601_000, dueAt: 6000 });
      expect(kinds(step)).toEqual(['emit:stateChange', 'schedule']);
      expect(schedules(step)).toEqual([{ type: 'schedule', at: 6000, delayMs: 5000 }]);
    });

    test('when the first poll is immediate', () => {
      const step = transition(initialState, { type: 'start', now: 0 }, config({ firstPoll: 'immediate', requestTimeoutMs: 7000 }));
      expect(step.state).toMatchObject({ phase: 'polling', attempt: 1, lastRequestAt: 0, dueAt: 7000 });
      expect(kinds(step)).toEqual(['emit:stateChange', 'emit:attempt', 'request', 'schedule']);
      expect(schedules(step)[0]).toMatchObject({ at: 7000 });
    });

    test('when issuedAt is ahead of the clock, it counts from now and warns', () => {
      const step = transition(initialState, { type: 'start', now: 1000 }, config({ issuedAt: 1_700_000_000_000 }));
      expect(step.state).toMatchObject({ deadlineAt: 601_000, dueAt: 6000 });
      expect(warnings(step)).toEqual(['issued-at-in-future']);
    });

    test('when the request timeout is not finite, the default applies', () => {
      expect(config({ requestTimeoutMs: Number.POSITIVE_INFINITY }).requestTimeoutMs).toBe(30_000);
    });

    test('when the device authorization answer arrived earlier than start', () => {
      // issuedAt 0, start at 8000: the interval has already passed, so poll at once; the deadline counts from issuedAt.
      const step = transition(initialState, { type: 'start', now: 8000 }, config({ issuedAt: 0 }));
      expect(step.state).toMatchObject({ phase: 'polling', deadlineAt: 600_000 });
    });

    test('when the device code has already expired', () => {
      const step = transition(initialState, { type: 'start', now: 600_000 }, config({ issuedAt: 0 }));
      expect(step.state).toMatchObject({ status: 'expired', source: 'deadline', attempt: 0, at: 600_000 });
      expect(kinds(step)).not.toContain('request');
    });

    test('when the server sent unusable numbers, with one warning each', () => {
      const step = transition(initialState, { type: 'start', now: 0 }, config({ interval: 'NaN', expiresIn: 99_999_999 }));
      expect(step.state).toMatchObject({ intervalMs: 5000, deadlineAt: 3_600_000 });
      expect(warnings(step)).toEqual(['interval-invalid', 'expires-in-clamped']);
    });
  });

  describe('should keep the RFC 8628 interval floor', () => {
    test('when slow_down adds 5 s for this and every later poll', () => {
      const s = polled(config());
      const step = transition(s, { type: 'responseReceived', now: 5100, outcome: { type: 'slow_down' } }, config());
      expect(step.state).toMatchObject({ status: 'slow-down', intervalMs: 10_000, dueAt: 15_100 });
      expect(emitted(step, 'slowDown')).toEqual([{ attempt: 1, at: 5100, previousIntervalMs: 5000, intervalMs: 10_000, reason: 'increment' }]);
      const after = transition(step.state, { type: 'timerFired', now: 15_100 }, config());
      const again = transition(after.state, { type: 'responseReceived', now: 15_200, outcome: pending }, config());
      expect(again.state).toMatchObject({ status: 'pending', intervalMs: 10_000, dueAt: 25_200 });
    });

    test('when slow_down carries a larger interval, the floor rises to it', () => {
      const step = transition(polled(config()), { type: 'responseReceived', now: 5000, outcome: { type: 'slow_down', interval: '30' } }, config());
      expect(step.state).toMatchObject({ intervalMs: 30_000 });
      expect(emitted(step, 'slowDown')[0]).toMatchObject({ reason: 'server-interval' });
    });

    test('when slow_down carries a smaller interval, the floor still rises by 5 s', () => {
      const step = transition(polled(config({ interval: 20 })), { type: 'responseReceived', now: 20_000, outcome: { type: 'slow_down', interval: 1 } }, config({ interval: 20 }));
      expect(step.state).toMatchObject({ intervalMs: 25_000 });
    });

    test('when slow_down carries an unusable or absurd interval, with a warning', () => {
      const c = config({ maxIntervalMs: 60_000 });
      const bad = transition(polled(c), { type: 'responseReceived', now: 5000, outcome: { type: 'slow_down', interval: 'soon' } }, c);
      expect(bad.state).toMatchObject({ intervalMs: 10_000 });
      expect(warnings(bad)).toEqual(['interval-invalid']);
      const huge = transition(polled(c), { type: 'responseReceived', now: 5000, outcome: { type: 'slow_down', interval: 600 } }, c);
      expect(huge.state).toMatchObject({ intervalMs: 60_000 });
      expect(warnings(huge)).toEqual(['interval-clamped']);
    });

    test('when repeated slow_down answers arrive although the spacing complied, drift is suspected once', () => {
      const c = config({ firstPoll: 'immediate', requestTimeoutMs: 1000 });
      let s = transition(initialState, { type: 'start', now: 0 }, c).state;
      const seen: string[] = [];
      let now = 0;
      for (let i = 0; i < 4; i++) {
        const answered = transition(s, { type: 'responseReceived', now: now + 10, outcome: { type: 'slow_down' } }, c);
        seen.push(...warnings(answered));
        const due = (answered.state as { dueAt: number }).dueAt;
        now = due;
        s = transition(answered.state, { type: 'timerFired', now }, c).state;
      }
      expect(seen).toEqual(['clock-drift-suspected']);
    });
  });

  describe('should wait out transient faults on a separate channel', () => {
    test('when a 5xx arrives, the wait is the largest of floor, backoff and Retry-After, and the floor stays', () => {
      const c = config({ backoff: () => 7000 });
      const step = transition(polled(c), { type: 'responseReceived', now: 5000, outcome: { type: 'server_error', status: 503, message: 'HTTP 503', retryAfterMs: 9000 } }, c);
      expect(step.state).toMatchObject({ status: 'retrying', intervalMs: 5000, faults: 1, dueAt: 14_000 });
      expect(emitted(step, 'retry')[0]).toMatchObject({ faults: 1, delayMs: 9000, retriesLeft: 9, fault: { type: 'server_error', status: 503, retryAfterMs: 9000 } });
    });

    test('when a connection times out, the next wait at least doubles', () => {
      const c = config({ backoff: () => 0 });
      let s = polled(c);
      const waits: number[] = [];
      for (let i = 0; i < 3; i++) {
        const now = (s as { lastRequestAt: number }).lastRequestAt + 100;
        const step = transition(s, { type: 'responseReceived', now, outcome: { type: 'timeout', message: 'timed out' } }, c);
        waits.push((step.state as { dueAt: number }).dueAt - now);
        s = transition(step.state, { type: 'timerFired', now: (step.state as { dueAt: number }).dueAt }, c).state;
      }
      expect(waits).toEqual([10_000, 20_000, 40_000]);
    });

    test('when the request itself runs past its timeout, it is aborted, and the abort error it answers with counts as a timeout', () => {
      const c = config({ requestTimeoutMs: 3000, backoff: () => 0 });
      const aborted = transition(polled(c), { type: 'timerFired', now: 8000 }, c);
      expect(aborted.effects).toEqual([{ type: 'abort', cause: 'request-timeout' }, { type: 'schedule', at: 8000 + ABORT_GRACE_MS, delayMs: ABORT_GRACE_MS }]);
      expect(aborted.state).toMatchObject({ status: 'pending', phase: 'aborting', faults: 0 });
      const step = transition(aborted.state, { type: 'responseReceived', now: 8000, outcome: { type: 'network_error', message: 'This operation was aborted' } }, c);
      expect(step.state).toMatchObject({ status: 'retrying', phase: 'waiting', faults: 1, dueAt: 18_000 });
      expect(step.effects).toContainEqual(expect.objectContaining({ type: 'emit', name: 'retry', payload: expect.objectContaining({ fault: { type: 'timeout', message: 'no answer within 3000 ms' } }) }));
    });

    test('when an aborted request rejects with an error the classifier does not know (a client library\'s own cancel error), it is still the timeout fault', () => {
      const c = config({ requestTimeoutMs: 3000, backoff: () => 0 });
      const aborted = transition(polled(c), { type: 'timerFired', now: 8000 }, c);
      const step = transition(aborted.state, { type: 'responseReceived', now: 8000, outcome: { type: 'transport_error', message: 'CanceledError: canceled' } }, c);
      expect(step.state).toMatchObject({ status: 'retrying', phase: 'waiting', faults: 1 });
    });

    test('when an aborted request never answers (its transport ignores the signal), the timeout counts once the grace has passed', () => {
      const c = config({ requestTimeoutMs: 3000, backoff: () => 0 });
      const aborted = transition(polled(c), { type: 'timerFired', now: 8000 }, c);
      const step = transition(aborted.state, { type: 'timerFired', now: 8000 + ABORT_GRACE_MS }, c);
      expect(step.state).toMatchObject({ status: 'retrying', phase: 'waiting', faults: 1, dueAt: 18_000 + ABORT_GRACE_MS });
      const late = transition(step.state, { type: 'responseReceived', now: 9500, outcome: { type: 'success', token: 't' } }, c);
      expect(late.state).toBe(step.state);
    });

    test.each([
      ['a grant', { type: 'success', token: 't' } as const, { status: 'granted', token: 't' }],
      ['a 2xx whose body the abort cut', { type: 'unreadable_success', status: 200, message: 'body cut' } as const, { status: 'failed', failure: { kind: 'lost_grant' } }],
      ['authorization_pending', { type: 'authorization_pending' } as const, { status: 'pending', phase: 'waiting', faults: 0 }],
    ])('when an aborted request answers with %s, that answer counts as it is: the device code is never sent again after a grant', (_name, outcome, expected) => {
      const c = config({ requestTimeoutMs: 3000, backoff: () => 0 });
      const aborted = transition(polled(c), { type: 'timerFired', now: 8000 }, c);
      const step = transition(aborted.state, { type: 'responseReceived', now: 8000, outcome }, c);
      expect(step.state).toMatchObject(expected);
    });

    test('when a well-formed OAuth answer follows faults, the backoff resets', () => {
      const c = config({ backoff: ({ attempt }) => attempt * 1000 });
      const faulted = transition(polled(c), { type: 'responseReceived', now: 5000, outcome: { type: 'network_error', message: 'reset' } }, c);
      const repolled = transition(faulted.state, { type: 'timerFired', now: 10_000 }, c);
      const answered = transition(repolled.state, { type: 'responseReceived', now: 10_100, outcome: pending }, c);
      expect(answered.state).toMatchObject({ status: 'pending', faults: 0, backoffMs: 0 });
    });

    test('when the budget runs out, the flow fails with the last fault', () => {
      const c = config({ transientRetries: 0 });
      const fault = { type: 'rate_limited', status: 429, message: 'HTTP 429' } as const;
      const step = transition(polled(c), { type: 'responseReceived', now: 5000, outcome: fault }, c);
      expect(step.state).toMatchObject({ status: 'failed', failure: { kind: 'retries_exhausted', fault, faults: 1 } });
    });
  });

  describe('should respect the deadline', () => {
    test('when a wait would cross the deadline, the wake-up is cut short and the flow expires at it', () => {
      const c = config({ interval: 5, expiresIn: 8 });
      const waited = transition(polled(c), { type: 'responseReceived', now: 5000, outcome: pending }, c);
      expect(schedules(waited)).toEqual([{ type: 'schedule', at: 8000, delayMs: 3000 }]);
      const expired = transition(waited.state, { type: 'timerFired', now: 8000 }, c);
      expect(expired.state).toMatchObject({ status: 'expired', source: 'deadline', at: 8000 });
      expect(kinds(expired)).not.toContain('request');
    });

    test('when a wait is cut short by the deadline, the events announce the real wait', () => {
      const c = config({ interval: 5, expiresIn: 8, backoff: () => 60_000 });
      const pending = transition(polled(c), { type: 'responseReceived', now: 5000, outcome: { type: 'authorization_pending' } }, c);
      expect(emitted(pending, 'pending')[0]).toMatchObject({ nextPollInMs: 3000 });
      const faulted = transition(polled(c), { type: 'responseReceived', now: 5000, outcome: { type: 'network_error', message: 'reset' } }, c);
      expect(emitted(faulted, 'retry')[0]).toMatchObject({ delayMs: 3000 });
    });

    test('when pending arrives after the deadline, the flow expires locally', () => {
      const c = config({ interval: 5, expiresIn: 6, requestTimeoutMs: 5000 });
      const step = transition(polled(c), { type: 'responseReceived', now: 6500, outcome: pending }, c);
      expect(step.state).toMatchObject({ status: 'expired', source: 'deadline' });
    });

    test('when a grant arrives after the deadline for a request sent before it, the grant is kept', () => {
      const c = config({ interval: 5, expiresIn: 6, requestTimeoutMs: 5000 });
      const step = transition(polled(c), { type: 'responseReceived', now: 6500, outcome: grant }, c);
      expect(step.state).toMatchObject({ status: 'granted' });
    });

    test("when the server answers expired_token, the source says it was the server's", () => {
      const step = transition(polled(config()), { type: 'responseReceived', now: 5000, outcome: { type: 'expired_token', error: { code: 'expired_token' } } }, config());
      expect(step.state).toMatchObject({ status: 'expired', source: 'server', error: { code: 'expired_token' } });
    });

    test("when the caller's timeout passes first, the source says timeout and the request in flight is aborted", () => {
      const c = config({ timeoutMs: 6000 });
      const step = transition(polled(c), { type: 'timerFired', now: 6000 }, c);
      expect(step.state).toMatchObject({ status: 'expired', source: 'timeout' });
      expect(step.effects[0]).toEqual({ type: 'abort', cause: 'timeout' });
    });
  });

  describe('should settle on terminal answers', () => {
    test('when a failure keeps what the outcome said, without its type tag', () => {
      const step = transition(polled(config()), { type: 'responseReceived', now: 5000, outcome: { type: 'unreadable_success', status: 200, message: 'truncated' } }, config());
      expect(step.state).toEqual({ status: 'failed', failure: { kind: 'lost_grant', status: 200, message: 'truncated' }, attempt: 1, at: 5000 });
    });

    test.each([
      [{ type: 'access_denied', error: { code: 'access_denied', reason: 'KMS_AccessDeniedException' } }, { status: 'denied', error: { reason: 'KMS_AccessDeniedException' } }],
      [{ type: 'oauth_error', error: { code: 'invalid_grant' } }, { status: 'failed', failure: { kind: 'oauth_error', error: { code: 'invalid_grant' } } }],
      [{ type: 'unreadable_success', status: 200, message: 'truncated' }, { status: 'failed', failure: { kind: 'lost_grant', status: 200 } }],
      [{ type: 'invalid_response', status: 404, message: 'HTTP 404' }, { status: 'failed', failure: { kind: 'invalid_response' } }],
      [{ type: 'transport_error', message: 'bug' }, { status: 'failed', failure: { kind: 'transport_error' } }],
    ] as const)('when the answer is %o', (outcome, expected) => {
      const step = transition(polled(config()), { type: 'responseReceived', now: 5000, outcome: outcome as TokenOutcome }, config());
      expect(step.state).toMatchObject(expected);
      expect(kinds(step)).toEqual(['emit:stateChange', 'settle']);
    });
  });

  describe('should cancel', () => {
    test('when idle, without ever sending', () => {
      const step = transition(initialState, { type: 'cancel', now: 0, reason: 'bye' }, config());
      expect(step.state).toMatchObject({ status: 'cancelled', reason: 'bye', attempt: 0 });
      expect(kinds(step)).toEqual(['emit:stateChange', 'settle']);
    });

    test('when polling, aborting the request in flight', () => {
      const step = transition(polled(config()), { type: 'cancel', now: 5001, reason: 'bye' }, config());
      expect(step.effects[0]).toEqual({ type: 'abort', cause: 'cancel', reason: 'bye' });
    });
  });

  describe('should ignore inputs that do not apply', () => {
    test('when an answer arrives while waiting', () => {
      const waiting = transition(initialState, { type: 'start', now: 0 }, config()).state;
      const step = transition(waiting, { type: 'responseReceived', now: 100, outcome: grant }, config());
      expect(step).toEqual({ state: waiting, effects: [] });
    });

    test('when a timer fires early, it is simply set again', () => {
      const waiting = transition(initialState, { type: 'start', now: 0 }, config()).state;
      const step = transition(waiting, { type: 'timerFired', now: 100 }, config());
      expect(step.state).toMatchObject({ phase: 'waiting', dueAt: 5000 });
      expect(kinds(step)).toEqual(['schedule']);
    });
  });

  describe('should absorb every input once terminal', () => {
    test.prop([inputsArb(), inputsArb()], { numRuns: RUNS })('when any inputs follow the end', (before, after) => {
      const c = config({ firstPoll: 'immediate' });
      const { state } = feed(c, [...before, { type: 'cancel', now: lastNow(before) + 1 }]);
      expect(isTerminal(state)).toBe(true);
      for (const input of shift(after, lastNow(before) + 2)) {
        const step = transition(state, input, c);
        expect(step.state).toBe(state);
        expect(step.effects).toEqual([]);
      }
    });
  });

  describe('should be deterministic', () => {
    test.prop([inputsArb()], { numRuns: RUNS })('when the same inputs are fed twice', (inputs) => {
      const c = config({ firstPoll: 'immediate' });
      expect(feed(c, inputs)).toEqual(feed(c, inputs));
    });
  });

  describe('should agree with the driver\'s entry, advance()', () => {
    test.prop([inputsArb(), fc.boolean()], { numRuns: RUNS })('when it updates one state in place and builds no events', (inputs, cancelAtEnd) => {
      // Arrange
      const c = config({ firstPoll: 'immediate', expiresIn: 120 });
      const all: PollInput[] = cancelAtEnd ? [...inputs, { type: 'cancel', now: lastNow(inputs) + 1, reason: 'stop' }] : inputs;
      const sink: StepSink = { effects: [], emits: false, inPlace: true };
      let pure: PollState = initialState;
      let driven: PollState = initialState;
      for (const input of all) {
        // Act
        const step: Transition = transition(pure, input, c);
        sink.effects.length = 0;
        driven = advance(driven, input, c, sink);
        pure = step.state;
        // Assert
        expect({ ...driven }).toEqual({ ...pure });
        expect(sink.effects).toEqual(step.effects.filter((e) => e.type !== 'emit'));
      }
    });
  });

  describe('should never request at or after the deadline', () => {
    test.prop([inputsArb(), fc.integer({ min: 1, max: 120 })], { numRuns: RUNS })('when any inputs arrive at any time', (inputs, expiresIn) => {
      const c = config({ firstPoll: 'immediate', expiresIn });
      const { requestsAt } = feed(c, inputs);
      for (const at of requestsAt) expect(at).toBeLessThan(expiresIn * 1000);
    });
  });
});

// Helpers

function polled(c: PollConfig): PollState {
  const started = transition(initialState, { type: 'start', now: 0 }, c);
  const due = (started.state as { dueAt: number }).dueAt;
  return isActive(started.state) && started.state.phase === 'polling' ? started.state : transition(started.state, { type: 'timerFired', now: due }, c).state;
}

function kinds(step: Transition): string[] {
  return step.effects.map((e) => (e.type === 'emit' ? `emit:${e.name}` : e.type));
}

function schedules(step: Transition): PollEffect[] {
  return step.effects.filter((e) => e.type === 'schedule');
}

function emitted(step: Transition, name: string): unknown[] {
  return step.effects.filter((e) => e.type === 'emit' && e.name === name).map((e) => (e as { payload: unknown }).payload);
}

function warnings(step: Transition): string[] {
  return (emitted(step, 'warning') as { code: string }[]).map((w) => w.code);
}

function inputsArb(): fc.Arbitrary<PollInput[]> {
  const input = fc.tuple(
    fc.integer({ min: 0, max: 20_000 }),
    fc.oneof(
      { weight: 3, arbitrary: fc.constant<'timer'>('timer') },
      { weight: 4, arbitrary: arb.outcome },
      { weight: 1, arbitrary: arb.terminal },
    ),
    fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
  );
  return fc.array(input, { maxLength: 40 }).map((steps) => {
    let now = 0;
    const inputs: PollInput[] = [{ type: 'start', now: 0 }];
    for (const [dt, what, random] of steps) {
      now += dt;
      inputs.push(what === 'timer' ? { type: 'timerFired', now, random } : { type: 'responseReceived', now, outcome: what, random });
    }
    return inputs;
  });
}

function feed(c: PollConfig, inputs: readonly PollInput[]): { state: PollState; effects: PollEffect[]; requestsAt: number[] } {
  let state: PollState = initialState;
  const effects: PollEffect[] = [];
  const requestsAt: number[] = [];
  for (const input of inputs) {
    const step: Transition = transition(state, input, c);
    state = step.state;
    effects.push(...step.effects);
    if (step.effects.some((e) => e.type === 'request')) requestsAt.push(input.now);
  }
  return { state, effects, requestsAt };
}

function lastNow(inputs: readonly PollInput[]): number {
  return inputs.at(-1)?.now ?? 0;
}

function shift(inputs: readonly PollInput[], by: number): PollInput[] {
  return inputs.map((input) => ({ ...input, now: input.now + by }));
}
