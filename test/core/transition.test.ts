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
      const step = transition(s, answer(s, 5100, { type: 'slow_down' }), config());
      expect(step.state).toMatchObject({ status: 'slow-down', intervalMs: 10_000, dueAt: 15_100 });
      expect(emitted(step, 'slowDown')).toEqual([{ attempt: 1, at: 5100, previousIntervalMs: 5000, intervalMs: 10_000, reason: 'increment' }]);
      const after = transition(step.state, { type: 'timerFired', now: 15_100 }, config());
      const again = transition(after.state, answer(after.state, 15_200, pending), config());
      expect(again.state).toMatchObject({ status: 'pending', intervalMs: 10_000, dueAt: 25_200 });
    });

    test('when slow_down carries a larger interval, the floor rises to it', () => {
      const step = transition(polled(config()), firstAnswer(5000, { type: 'slow_down', interval: '30' }), config());
      expect(step.state).toMatchObject({ intervalMs: 30_000 });
      expect(emitted(step, 'slowDown')[0]).toMatchObject({ reason: 'server-interval' });
    });

    test('when slow_down carries a smaller interval, the floor still rises by 5 s', () => {
      const step = transition(polled(config({ interval: 20 })), firstAnswer(20_000, { type: 'slow_down', interval: 1 }), config({ interval: 20 }));
      expect(step.state).toMatchObject({ intervalMs: 25_000 });
    });

    test('when slow_down carries an unusable or absurd interval, with a warning', () => {
      const c = config({ maxIntervalMs: 60_000 });
      const bad = transition(polled(c), firstAnswer(5000, { type: 'slow_down', interval: 'soon' }), c);
      expect(bad.state).toMatchObject({ intervalMs: 10_000 });
      expect(warnings(bad)).toEqual(['interval-invalid']);
      const huge = transition(polled(c), firstAnswer(5000, { type: 'slow_down', interval: 600 }), c);
      expect(huge.state).toMatchObject({ intervalMs: 60_000 });
      expect(warnings(huge)).toEqual(['interval-clamped']);
    });

    test('when repeated slow_down answers arrive although the spacing complied, drift is suspected once', () => {
      const c = config({ firstPoll: 'immediate', requestTimeoutMs: 1000 });
      let s = transition(initialState, { type: 'start', now: 0 }, c).state;
      const seen: string[] = [];
      let now = 0;
      for (let i = 0; i < 4; i++) {
        const answered = transition(s, answer(s, now + 10, { type: 'slow_down' }), c);
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
      const step = transition(polled(c), firstAnswer(5000, { type: 'server_error', status: 503, message: 'HTTP 503', retryAfterMs: 9000 }), c);
      expect(step.state).toMatchObject({ status: 'retrying', intervalMs: 5000, faults: 1, dueAt: 14_000 });
      expect(emitted(step, 'retry')[0]).toMatchObject({ faults: 1, delayMs: 9000, retriesLeft: 9, fault: { type: 'server_error', status: 503, retryAfterMs: 9000 } });
    });

    test('when a connection times out, the next wait at least doubles', () => {
      const c = config({ backoff: () => 0 });
      let s = polled(c);
      const waits: number[] = [];
      for (let i = 0; i < 3; i++) {
        const now = (s as { lastRequestAt: number }).lastRequestAt + 100;
        const step = transition(s, answer(s, now, { type: 'timeout', message: 'timed out' }), c);
        waits.push((step.state as { dueAt: number }).dueAt - now);
        s = transition(step.state, { type: 'timerFired', now: (step.state as { dueAt: number }).dueAt }, c).state;
      }
      expect(waits).toEqual([10_000, 20_000, 40_000]);
    });

    test('when the request itself runs past its timeout, it is aborted, and the abort error it answers with counts as a timeout', () => {
      const c = config({ requestTimeoutMs: 3000, backoff: () => 0 });
      const aborted = transition(polled(c), { type: 'timerFired', now: 8000 }, c);
      expect(aborted.effects).toEqual([{ type: 'abort', attempt: 1, cause: 'request-timeout' }, { type: 'schedule', at: 8000 + ABORT_GRACE_MS, delayMs: ABORT_GRACE_MS }]);
      expect(aborted.state).toMatchObject({ status: 'pending', phase: 'aborting', faults: 0 });
      const step = transition(aborted.state, firstAnswer(8000, { type: 'network_error', message: 'This operation was aborted' }), c);
      expect(step.state).toMatchObject({ status: 'retrying', phase: 'waiting', faults: 1, dueAt: 18_000 });
      expect(step.effects).toContainEqual(expect.objectContaining({ type: 'emit', name: 'retry', payload: expect.objectContaining({ fault: { type: 'timeout', message: 'no answer within 3000 ms' } }) }));
    });

    test('when an aborted request rejects with an error the classifier does not know (a client library\'s own cancel error), it is still the timeout fault', () => {
      const c = config({ requestTimeoutMs: 3000, backoff: () => 0 });
      const aborted = transition(polled(c), { type: 'timerFired', now: 8000 }, c);
      const step = transition(aborted.state, firstAnswer(8000, { type: 'transport_error', message: 'CanceledError: canceled' }), c);
      expect(step.state).toMatchObject({ status: 'retrying', phase: 'waiting', faults: 1 });
    });

    test('when an aborted request never answers (its transport ignores the signal), the timeout counts once the grace has passed', () => {
      const c = config({ requestTimeoutMs: 3000, backoff: () => 0 });
      const aborted = transition(polled(c), { type: 'timerFired', now: 8000 }, c);
      const step = transition(aborted.state, { type: 'timerFired', now: 8000 + ABORT_GRACE_MS }, c);
      expect(step.state).toMatchObject({ status: 'retrying', phase: 'waiting', faults: 1, dueAt: 18_000 + ABORT_GRACE_MS });
      const late = transition(step.state, firstAnswer(9500, { type: 'success', token: 't' }), c);
      expect(late.state).toBe(step.state);
    });

    test.each([
      ['a grant', { type: 'success', token: 't' } as const, { status: 'granted', token: 't' }],
      ['a 2xx whose body the abort cut', { type: 'unreadable_success', status: 200, message: 'body cut' } as const, { status: 'failed', failure: { kind: 'lost_grant' } }],
      ['authorization_pending', { type: 'authorization_pending' } as const, { status: 'pending', phase: 'waiting', faults: 0 }],
    ])('when an aborted request answers with %s, that answer counts as it is: the device code is never sent again after a grant', (_name, outcome, expected) => {
      const c = config({ requestTimeoutMs: 3000, backoff: () => 0 });
      const aborted = transition(polled(c), { type: 'timerFired', now: 8000 }, c);
      const step = transition(aborted.state, firstAnswer(8000, outcome), c);
      expect(step.state).toMatchObject(expected);
    });

    test('when a well-formed OAuth answer follows faults, the backoff resets', () => {
      const c = config({ backoff: ({ attempt }) => attempt * 1000 });
      const faulted = transition(polled(c), firstAnswer(5000, { type: 'network_error', message: 'reset' }), c);
      const repolled = transition(faulted.state, { type: 'timerFired', now: 10_000 }, c);
      const answered = transition(repolled.state, answer(repolled.state, 10_100, pending), c);
      expect(answered.state).toMatchObject({ status: 'pending', faults: 0, backoffMs: 0 });
    });

    test('when the budget runs out, the flow fails with the last fault', () => {
      const c = config({ transientRetries: 0 });
      const fault = { type: 'rate_limited', status: 429, message: 'HTTP 429' } as const;
      const step = transition(polled(c), firstAnswer(5000, fault), c);
      expect(step.state).toMatchObject({ status: 'failed', failure: { kind: 'retries_exhausted', fault, faults: 1 } });
    });
  });

  describe('should respect the deadline', () => {
    test('when a wait would cross the deadline, the wake-up is cut short and the flow expires at it', () => {
      const c = config({ interval: 5, expiresIn: 8 });
      const waited = transition(polled(c), firstAnswer(5000, pending), c);
      expect(schedules(waited)).toEqual([{ type: 'schedule', at: 8000, delayMs: 3000 }]);
      const expired = transition(waited.state, { type: 'timerFired', now: 8000 }, c);
      expect(expired.state).toMatchObject({ status: 'expired', source: 'deadline', at: 8000 });
      expect(kinds(expired)).not.toContain('request');
    });

    test('when a wait is cut short by the deadline, the events announce the real wait', () => {
      const c = config({ interval: 5, expiresIn: 8, backoff: () => 60_000 });
      const pending = transition(polled(c), firstAnswer(5000, { type: 'authorization_pending' }), c);
      expect(emitted(pending, 'pending')[0]).toMatchObject({ nextPollInMs: 3000 });
      const faulted = transition(polled(c), firstAnswer(5000, { type: 'network_error', message: 'reset' }), c);
      expect(emitted(faulted, 'retry')[0]).toMatchObject({ delayMs: 3000 });
    });

    test('when pending arrives after the deadline, the flow expires locally', () => {
      const c = config({ interval: 5, expiresIn: 6, requestTimeoutMs: 5000 });
      const step = transition(polled(c), firstAnswer(6500, pending), c);
      expect(step.state).toMatchObject({ status: 'expired', source: 'deadline' });
    });

    test('when a grant arrives after the deadline for a request sent before it, the grant is kept', () => {
      const c = config({ interval: 5, expiresIn: 6, requestTimeoutMs: 5000 });
      const step = transition(polled(c), firstAnswer(6500, grant), c);
      expect(step.state).toMatchObject({ status: 'granted' });
    });

    test("when the server answers expired_token, the source says it was the server's", () => {
      const step = transition(polled(config()), firstAnswer(5000, { type: 'expired_token', error: { code: 'expired_token' } }), config());
      expect(step.state).toMatchObject({ status: 'expired', source: 'server', error: { code: 'expired_token' } });
    });

    test("when the caller's timeout passes first, the source says timeout and the request in flight is aborted", () => {
      const c = config({ timeoutMs: 6000 });
      const step = transition(polled(c), { type: 'timerFired', now: 6000 }, c);
      expect(step.state).toMatchObject({ status: 'expired', source: 'timeout' });
      expect(step.effects[0]).toEqual({ type: 'abort', attempt: 1, cause: 'timeout' });
    });
  });

  describe('should settle on terminal answers', () => {
    test('when a failure keeps what the outcome said, without its type tag', () => {
      const step = transition(polled(config()), firstAnswer(5000, { type: 'unreadable_success', status: 200, message: 'truncated' }), config());
      expect(step.state).toEqual({ status: 'failed', failure: { kind: 'lost_grant', status: 200, message: 'truncated' }, attempt: 1, at: 5000 });
    });

    test.each([
      [{ type: 'access_denied', error: { code: 'access_denied', reason: 'KMS_AccessDeniedException' } }, { status: 'denied', error: { reason: 'KMS_AccessDeniedException' } }],
      [{ type: 'oauth_error', error: { code: 'invalid_grant' } }, { status: 'failed', failure: { kind: 'oauth_error', error: { code: 'invalid_grant' } } }],
      [{ type: 'unreadable_success', status: 200, message: 'truncated' }, { status: 'failed', failure: { kind: 'lost_grant', status: 200 } }],
      [{ type: 'invalid_response', status: 404, message: 'HTTP 404' }, { status: 'failed', failure: { kind: 'invalid_response' } }],
      [{ type: 'transport_error', message: 'bug' }, { status: 'failed', failure: { kind: 'transport_error' } }],
    ] as const)('when the answer is %o', (outcome, expected) => {
      const step = transition(polled(config()), firstAnswer(5000, outcome as TokenOutcome), config());
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

    test('when polling, aborting the request in flight with the caller\'s reason', () => {
      const step = transition(polled(config()), { type: 'cancel', now: 5001, reason: 'bye' }, config());
      expect(step.effects[0]).toEqual({ type: 'abort', attempt: 1, cause: 'cancel', reason: 'bye' });
      expect(kinds(step)).toEqual(['abort', 'emit:stateChange', 'settle']);
    });

    test('when waiting, with nothing to abort', () => {
      const waiting = transition(initialState, { type: 'start', now: 0 }, config()).state;
      const step = transition(waiting, { type: 'cancel', now: 100, reason: 'bye' }, config());
      expect(step.state).toMatchObject({ status: 'cancelled', reason: 'bye', at: 100 });
      expect(kinds(step)).toEqual(['emit:stateChange', 'settle']);
    });
  });

  describe('should fail with callback_error on a crash', () => {
    test('when a callback throws while a request is in flight, that request is aborted', () => {
      // Arrange
      const error = new Error('the classifier setup threw');
      // Act
      const step = transition(polled(config()), { type: 'crash', now: 5200, error }, config());
      // Assert
      expect(step.state).toMatchObject({ status: 'failed', attempt: 1, at: 5200, failure: { kind: 'callback_error', message: 'a callback threw: the classifier setup threw' } });
      expect(step.effects[0]).toEqual({ type: 'abort', attempt: 1, cause: 'crash' });
      expect(kinds(step)).toEqual(['abort', 'emit:stateChange', 'settle']);
    });

    test('when the clock itself threw (now is NaN), the flow settles at the last time the machine knew', () => {
      const step = transition(polled(config()), { type: 'crash', now: Number.NaN, error: new Error('clock') }, config());
      expect(step.state).toMatchObject({ status: 'failed', at: 5000 });
    });

    test('when what was thrown cannot even be printed, the flow still settles', () => {
      const unprintable = { toString: (): string => { throw new Error('no'); } };
      const step = transition(polled(config()), { type: 'crash', now: 5200, error: unprintable }, config());
      expect(step.state).toMatchObject({ status: 'failed', failure: { kind: 'callback_error', message: 'a callback threw: a value that cannot be printed' } });
    });

    test('when the thrown value holds secrets, it stays reachable as cause but out of a JSON dump', () => {
      const error = new Error('boom', { cause: 'client_secret=s3cr3t' });
      const step = transition(polled(config()), { type: 'crash', now: 5200, error }, config());
      const failure = (step.state as { failure: { cause?: unknown } }).failure;
      expect(failure.cause).toBe(error);
      expect(JSON.stringify(step.state)).not.toContain('s3cr3t');
      expect(Object.keys(failure)).not.toContain('cause');
    });
  });

  describe('should ignore inputs that do not apply', () => {
    test('when an answer arrives while waiting, and says so when it is a grant', () => {
      const waiting = transition(initialState, { type: 'start', now: 0 }, config()).state;
      expect(transition(waiting, { type: 'responseReceived', now: 100, attempt: 0, outcome: { type: 'authorization_pending' } }, config())).toEqual({ state: waiting, effects: [] });
      const step = transition(waiting, { type: 'responseReceived', now: 100, attempt: 0, outcome: grant }, config());
      expect(step.state).toBe(waiting);
      expect(step.effects).toEqual([{ type: 'emit', name: 'warning', payload: expect.objectContaining({ code: 'late-grant-dropped', value: 0, at: 100 }) }]);
    });

    test('when a stale answer arrives, for an earlier request than the one in flight', () => {
      // Arrange: request 1 timed out, was aborted and written off; request 2 is in flight.
      const c = config({ requestTimeoutMs: 3000, backoff: () => 0 });
      const aborted = transition(polled(c), { type: 'timerFired', now: 8000 }, c);
      const written = transition(aborted.state, { type: 'timerFired', now: 8000 + ABORT_GRACE_MS }, c);
      const second = transition(written.state, { type: 'timerFired', now: (written.state as { dueAt: number }).dueAt }, c).state;
      expect(second).toMatchObject({ phase: 'polling', attempt: 2 });
      // Act: request 1's grant turns up late (its transport ignored the abort), and so does a pending answer.
      const step = transition(second, { type: 'responseReceived', now: 20_000, attempt: 1, outcome: grant }, c);
      const pendingStep = transition(second, { type: 'responseReceived', now: 20_000, attempt: 1, outcome: { type: 'authorization_pending' } }, c);
      // Assert: the state is unchanged; only the grant is reported, since it spent the device code.
      expect(step.state).toBe(second);
      expect(step.effects).toEqual([{ type: 'emit', name: 'warning', payload: expect.objectContaining({ code: 'late-grant-dropped', value: 1, at: 20_000 }) }]);
      expect(JSON.stringify(step.effects)).not.toContain('accessToken');
      expect(pendingStep).toEqual({ state: second, effects: [] });
    });

    test('when a timer fires early, it is simply set again', () => {
      const waiting = transition(initialState, { type: 'start', now: 0 }, config()).state;
      const step = transition(waiting, { type: 'timerFired', now: 100 }, config());
      expect(step.state).toMatchObject({ phase: 'waiting', dueAt: 5000 });
      expect(kinds(step)).toEqual(['schedule']);
    });

    test('when a second start arrives, or anything but start and cancel before the first', () => {
      const c = config();
      const waiting = transition(initialState, { type: 'start', now: 0 }, c).state;
      expect(transition(waiting, { type: 'start', now: 10 }, c)).toEqual({ state: waiting, effects: [] });
      expect(transition(initialState, { type: 'timerFired', now: 10 }, c)).toEqual({ state: initialState, effects: [] });
      expect(transition(initialState, { type: 'responseReceived', now: 10, attempt: 0, outcome: grant }, c)).toEqual({ state: initialState, effects: [] });
    });
  });

  describe('should absorb every input once terminal', () => {
    test.prop([movesArb(), movesArb()], { numRuns: RUNS })('when any inputs follow the end', (before, after) => {
      const c = config({ firstPoll: 'immediate' });
      const end = lastNow(before) + 1;
      const { state } = feed(c, [...before, { kind: 'cancel', now: end }]);
      expect(isTerminal(state)).toBe(true);
      for (const move of shift(after, end + 1)) {
        const step = transition(state, inputFor(state, move), c);
        expect(step.state).toBe(state);
        expect(step.effects).toEqual([]);
      }
    });
  });

  describe('should be deterministic', () => {
    test.prop([movesArb()], { numRuns: RUNS })('when the same inputs are fed twice', (moves) => {
      const c = config({ firstPoll: 'immediate' });
      expect(feed(c, moves)).toEqual(feed(c, moves));
    });
  });

  describe('should return a fresh, frozen state and frozen effects, and leave the state it was given as it was', () => {
    test.prop([movesArb(), fc.constantFrom('none', 'cancel', 'crash')], { numRuns: RUNS })('when any inputs arrive, the flow ending any way', (moves, ending) => {
      // Arrange
      const c = config({ firstPoll: 'immediate', expiresIn: 120 });
      const end = lastNow(moves) + 1;
      const all: Move[] = ending === 'none' ? moves : [...moves, { kind: ending, now: end }];
      let state: PollState = initialState;
      for (const move of all) {
        const input = inputFor(state, move);
        const before = { ...state };
        // Act
        const step: Transition = transition(state, input, c);
        // Assert: nothing the caller holds can change, the state given included.
        expect(Object.isFrozen(step.state)).toBe(true);
        if (step.state.status === 'failed') expect(Object.isFrozen(step.state.failure)).toBe(true);
        expect(Object.isFrozen(step.effects)).toBe(true);
        for (const effect of step.effects) {
          expect(Object.isFrozen(effect)).toBe(true);
          if (effect.type === 'emit') expect(Object.isFrozen(effect.payload)).toBe(true);
          if (effect.type === 'settle') expect(effect.state).toBe(step.state);
        }
        expect(state).toEqual(before);
        // Nothing of the step is kept inside: the same input on the same state gives the same step again.
        expect(transition(state, input, c)).toEqual(step);
        state = step.state;
      }
    });
  });

  describe('should abort the request in flight before settling by anything but its answer', () => {
    test.prop([movesArb(), fc.constantFrom('cancel', 'crash', 'timeout')], { numRuns: RUNS })('when the flow ends while a request is out', (moves, ending) => {
      // Arrange: a caller's timeout lets timerFired end the flow too.
      const c = config({ firstPoll: 'immediate', expiresIn: 120, ...(ending === 'timeout' ? { timeoutMs: 30_000 } : {}) });
      const all: Move[] = ending === 'timeout' ? [...moves, { kind: 'timer', now: 30_000 + lastNow(moves), random: 0.5 }] : [...moves, { kind: ending, now: lastNow(moves) + 1 }];
      let state: PollState = initialState;
      for (const move of all) {
        const input = inputFor(state, move);
        // Act
        const step: Transition = transition(state, input, c);
        // Assert
        const settles = step.effects.findIndex((e) => e.type === 'settle');
        if (settles >= 0 && isActive(state) && state.phase === 'polling' && input.type !== 'responseReceived') {
          const inFlight = state.attempt;
          const abort = step.effects.findIndex((e) => e.type === 'abort' && e.attempt === inFlight);
          expect(abort).toBeGreaterThanOrEqual(0);
          expect(abort).toBeLessThan(settles);
        }
        state = step.state;
      }
    });
  });

  describe('should never request at or after the deadline', () => {
    test.prop([movesArb(), fc.integer({ min: 1, max: 120 })], { numRuns: RUNS })('when any inputs arrive at any time', (moves, expiresIn) => {
      const c = config({ firstPoll: 'immediate', expiresIn });
      const { requestsAt } = feed(c, moves);
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

/** The answer at `now` to the request `state` has in flight. */
function answer(state: PollState, now: number, outcome: TokenOutcome<unknown>): PollInput<unknown> {
  return { type: 'responseReceived', now, attempt: (state as { attempt: number }).attempt, outcome };
}

/** The answer at `now` to the first request, as {@link polled} sent it. */
function firstAnswer(now: number, outcome: TokenOutcome<unknown>): PollInput<unknown> {
  return { type: 'responseReceived', now, attempt: 1, outcome };
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

/**
 * One thing that happens to a flow, at `now`. An answer is to the request in
 * flight when it happens, unless `stale` (then to the one before it), so the
 * input is only made once the state it meets is known: {@link inputFor}.
 */
type Move =
  | { readonly kind: 'start'; readonly now: number }
  | { readonly kind: 'timer'; readonly now: number; readonly random: number }
  | { readonly kind: 'answer'; readonly now: number; readonly outcome: TokenOutcome; readonly random: number; readonly stale: boolean }
  | { readonly kind: 'cancel' | 'crash'; readonly now: number };

function movesArb(): fc.Arbitrary<Move[]> {
  const move = fc.tuple(
    fc.integer({ min: 0, max: 20_000 }),
    fc.oneof(
      { weight: 3, arbitrary: fc.constant<'timer'>('timer') },
      { weight: 4, arbitrary: arb.outcome },
      { weight: 1, arbitrary: arb.terminal },
    ),
    fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
    fc.integer({ min: 0, max: 9 }).map((n) => n === 0), // one answer in ten is stale
  );
  return fc.array(move, { maxLength: 40 }).map((steps) => {
    let now = 0;
    const moves: Move[] = [{ kind: 'start', now }];
    for (const [dt, what, random, stale] of steps) {
      now += dt;
      moves.push(what === 'timer' ? { kind: 'timer', now, random } : { kind: 'answer', now, outcome: what, random, stale });
    }
    return moves;
  });
}

function inputFor(state: PollState, move: Move): PollInput {
  switch (move.kind) {
    case 'start':
      return { type: 'start', now: move.now };
    case 'timer':
      return { type: 'timerFired', now: move.now, random: move.random };
    case 'answer': {
      const inFlight = 'attempt' in state ? state.attempt : 0;
      return { type: 'responseReceived', now: move.now, attempt: move.stale ? inFlight - 1 : inFlight, outcome: move.outcome, random: move.random };
    }
    case 'cancel':
      return { type: 'cancel', now: move.now, reason: 'stop' };
    case 'crash':
      return { type: 'crash', now: move.now, error: new Error('a callback threw') };
  }
}

function feed(c: PollConfig, moves: readonly Move[]): { state: PollState; effects: PollEffect[]; requestsAt: number[] } {
  let state: PollState = initialState;
  const effects: PollEffect[] = [];
  const requestsAt: number[] = [];
  for (const move of moves) {
    const step: Transition = transition(state, inputFor(state, move), c);
    state = step.state;
    effects.push(...step.effects);
    if (step.effects.some((e) => e.type === 'request')) requestsAt.push(move.now);
  }
  return { state, effects, requestsAt };
}

function lastNow(moves: readonly Move[]): number {
  return moves.at(-1)?.now ?? 0;
}

function shift(moves: readonly Move[], by: number): Move[] {
  return moves.map((move) => ({ ...move, now: move.now + by }));
}
