import { describe, expect, test } from 'vitest';
import {
  ConfigurationError,
  capBackoff,
  constantBackoff,
  createConfig,
  exponentialBackoff,
  linearBackoff,
  initialState,
  OAuthError,
  pollToken,
  transition,
  type ConfigInput,
  type PendingEvent,
  type PollConfig,
  type PollState,
  type TokenOutcome,
  type TokenSet,
  type Transition,
  type WarningEvent,
} from '../../src/index.js';
import { ManualClock, scriptedTransport, type ScriptStep } from '../../src/testing.js';

// Issue 10, protocol gaps: the timeout doubling and its cap, clock drift on the
// first poll, and provider codes that mean "keep polling" (pendingErrorCodes).

const config = (input: Partial<ConfigInput> = {}): PollConfig => createConfig({ interval: 5, expiresIn: 600, ...input });
const timeout: TokenOutcome = { type: 'timeout', message: 'timed out' };
const slowDown: TokenOutcome = { type: 'slow_down' };
const pending: TokenOutcome = { type: 'authorization_pending' };
const incorrectCode: TokenOutcome = { type: 'oauth_error', error: { code: 'incorrect_device_code', description: 'The device_code provided is not valid.', status: 200 } };
const token: TokenSet = { accessToken: 'at', raw: {} };

describe('transition', () => {
  describe('should double the wait after a connection timeout only up to the backoff ceiling', () => {
    test('when timeouts repeat under a backoff without a cap of its own, the waits go 10, 20, 40 s, then stay at 60 s', () => {
      // Arrange
      const c = config({ backoff: () => 0 });
      // Act
      const waits = answerEachPoll(c, Array(8).fill(timeout), 100).map((step) => wait(step));
      // Assert: the doubling used to go on to 80, 160, 320, 640 s, so a 600 s code got very few polls.
      expect(waits).toEqual([10_000, 20_000, 40_000, 60_000, 60_000, 60_000, 60_000, 60_000]);
    });

    test('when the default backoff is in use, its 60 s cap is the ceiling', () => {
      const c = config();
      const waits = answerEachPoll(c, Array(6).fill(timeout), 100).map((step) => wait(step));
      expect(waits).toEqual([10_000, 20_000, 40_000, 60_000, 60_000, 60_000]);
    });

    test.each([
      ['exponentialBackoff', exponentialBackoff({ maxDelayMs: 15_000, jitter: 'none' })],
      ['linearBackoff', linearBackoff({ initialDelayMs: 0, incrementMs: 0, maxDelayMs: 15_000 })],
      ['capBackoff', capBackoff(() => 0, 15_000)],
    ])('when the backoff is %s with a 15 s cap, the doubling stops there', (_name, backoff) => {
      const c = config({ backoff });
      const waits = answerEachPoll(c, [timeout, timeout, timeout], 100).map((step) => wait(step));
      expect(waits).toEqual([10_000, 15_000, 15_000]);
    });

    test('when the interval floor is above the ceiling, the wait is the floor, never less and no longer doubled', () => {
      // Arrange: a 90 s interval (allowed by a higher maxIntervalMs), above the 60 s ceiling.
      const c = config({ interval: 90, maxIntervalMs: 120_000, backoff: () => 0 });
      // Act
      const waits = answerEachPoll(c, [timeout, timeout, timeout], 100).map((step) => wait(step));
      // Assert
      expect(waits).toEqual([90_000, 90_000, 90_000]);
    });

    test('when the backoff itself asks for more than the doubled wait, its delay is kept', () => {
      const c = config({ backoff: () => 70_000 });
      const waits = answerEachPoll(c, [timeout, timeout], 100).map((step) => wait(step));
      expect(waits).toEqual([70_000, 70_000]);
    });
  });

  describe('should count a slow_down on the first poll as compliant when it came a full interval after the code was issued', () => {
    test.each([
      ['the code was issued at start', 0],
      ['the code was issued 3 s before start', -3000],
    ])('when %s, two slow_down answers in a row reach the default threshold of 2', (_label, issuedAt) => {
      // Arrange: the first poll one interval after issuedAt, as strict servers count.
      const c = config({ issuedAt });
      // Act
      const steps = answerEachPoll(c, [slowDown, slowDown], 10);
      // Assert: the first poll had no earlier request to measure from, and used never to count.
      expect(steps.map((step) => warnings(step))).toEqual([[], ['clock-drift-suspected']]);
      expect(steps[0]!.state).toMatchObject({ compliantSlowDowns: 1 });
    });

    test('when the first poll was sent before a full interval had passed since the code was issued, it does not count', () => {
      // Arrange: firstPoll 'immediate' sends the first request at the moment of issue.
      const c = config({ firstPoll: 'immediate' });
      // Act
      const steps = answerEachPoll(c, [slowDown, slowDown], 10);
      // Assert
      expect(steps.map((step) => step.state)).toMatchObject([{ compliantSlowDowns: 0 }, { compliantSlowDowns: 1 }]);
      expect(steps.flatMap((step) => warnings(step))).toEqual([]);
    });
  });

  describe('should wait out a provider code listed in pendingErrorCodes, a bounded number of times', () => {
    test('when a listed code arrives, the flow stays pending, waits the floor and emits pending with the error', () => {
      // Arrange
      const c = config({ pendingErrorCodes: ['incorrect_device_code'] });
      // Act
      const [step] = answerEachPoll(c, [incorrectCode], 100);
      // Assert
      expect(step!.state).toMatchObject({ status: 'pending', phase: 'waiting', pendingErrors: 1, intervalMs: 5000, dueAt: 5100 + 5000 });
      expect(emitted<PendingEvent>(step!, 'pending')).toEqual([{ attempt: 1, at: 5100, nextPollInMs: 5000, error: (incorrectCode as { error: object }).error }]);
    });

    test('when more than maxPendingErrors arrive in a row, the next one ends the flow failed with that OAuth error', () => {
      const c = config({ pendingErrorCodes: ['incorrect_device_code'], maxPendingErrors: 2 });
      const steps = answerEachPoll(c, [incorrectCode, incorrectCode, incorrectCode], 100);
      expect(steps.map((step) => step.state.status)).toEqual(['pending', 'pending', 'failed']);
      expect(steps[2]!.state).toMatchObject({ failure: { kind: 'oauth_error', error: { code: 'incorrect_device_code' } } });
    });

    test('when authorization_pending or slow_down comes in between, the count starts again', () => {
      const c = config({ pendingErrorCodes: ['incorrect_device_code'], maxPendingErrors: 2 });
      const steps = answerEachPoll(c, [incorrectCode, incorrectCode, pending, incorrectCode, incorrectCode, slowDown, incorrectCode, incorrectCode, incorrectCode], 100);
      expect(steps.map((step) => step.state.status)).toEqual(['pending', 'pending', 'pending', 'pending', 'pending', 'slow-down', 'pending', 'pending', 'failed']);
    });

    test.each([
      ['no code is listed (the default)', {}],
      ['another code is listed', { pendingErrorCodes: ['authorization_declined'] }],
      ['maxPendingErrors is 0', { pendingErrorCodes: ['incorrect_device_code'], maxPendingErrors: 0 }],
    ])('when %s, the code ends the flow at once, as any OAuth error does', (_label, input: Partial<ConfigInput>) => {
      const [step] = answerEachPoll(config(input), [incorrectCode], 100);
      expect(step!.state).toMatchObject({ status: 'failed', failure: { kind: 'oauth_error', error: { code: 'incorrect_device_code' } } });
    });

    test('when the deadline has passed by the time a listed code arrives, the flow expires as after authorization_pending', () => {
      const c = config({ pendingErrorCodes: ['incorrect_device_code'], expiresIn: 6 });
      const [step] = answerEachPoll(c, [incorrectCode], 2000);
      expect(step!.state).toMatchObject({ status: 'expired', source: 'deadline' });
    });
  });
});

describe('the backoff strategies', () => {
  describe('should carry their cap as maxDelayMs, which the timeout doubling reads', () => {
    test('when built with a cap, or capped; a plain function or a constant has none', () => {
      expect(exponentialBackoff().maxDelayMs).toBe(60_000);
      expect(exponentialBackoff({ maxDelayMs: 5000, jitter: 'decorrelated' }).maxDelayMs).toBe(5000);
      expect(linearBackoff({ maxDelayMs: 7000 }).maxDelayMs).toBe(7000);
      expect(capBackoff(() => 1, 9000).maxDelayMs).toBe(9000);
      expect(capBackoff(exponentialBackoff({ maxDelayMs: 3000 }), 9000).maxDelayMs).toBe(3000);
      expect(constantBackoff(1000).maxDelayMs).toBeUndefined();
    });
  });
});

describe('pollToken', () => {
  describe('should wait out pendingErrorCodes over the wire', () => {
    test("when GitHub-style 200 answers carry a listed code, the poll goes on and is granted; the answers show as pending events", async () => {
      // Arrange
      const clock = new ManualClock();
      const github200: ScriptStep = { reply: { status: 200, body: 'error=incorrect_device_code&error_description=The+device_code+provided+is+not+valid.' } };
      const transport = scriptedTransport([github200, github200, { type: 'success', token }], { clock });
      const poll = pollToken({ transport, clock, intervalSeconds: 5, expiresInSeconds: 600, pendingErrorCodes: ['incorrect_device_code'] });
      const errors: (string | undefined)[] = [];
      poll.on('pending', ({ error }) => errors.push(error?.code));
      // Act
      const result = await clock.runUntilSettled(poll.result);
      // Assert
      expect(result).toEqual({ status: 'fulfilled', value: token });
      expect(errors).toEqual(['incorrect_device_code', 'incorrect_device_code']);
      expect(transport.requests.map((request) => request.at)).toEqual([5000, 10_000, 15_000]);
    });

    test('when the budget runs out, the result rejects with OAuthError naming the code', async () => {
      const clock = new ManualClock();
      const transport = scriptedTransport([incorrectCode as ScriptStep], { clock, whenExhausted: 'repeat-last' });
      const poll = pollToken({ transport, clock, intervalSeconds: 5, expiresInSeconds: 600, pendingErrorCodes: ['incorrect_device_code'], maxPendingErrors: 1 });
      const result = await clock.runUntilSettled(poll.result);
      expect(result.status).toBe('rejected');
      const error = (result as PromiseRejectedResult).reason as OAuthError;
      expect(error).toBeInstanceOf(OAuthError);
      expect(error.error.code).toBe('incorrect_device_code');
      expect(error.message).toContain('incorrect_device_code');
      expect(transport.requests).toHaveLength(2);
    });
  });

  describe('should refuse bad pendingErrorCodes options with a ConfigurationError', () => {
    test.each([
      ['pendingErrorCodes', { pendingErrorCodes: 'incorrect_device_code' }],
      ['pendingErrorCodes', { pendingErrorCodes: [''] }],
      ['pendingErrorCodes', { pendingErrorCodes: [42] }],
      ['pendingErrorCodes', { pendingErrorCodes: ['slow_down'] }],
      ['pendingErrorCodes', { pendingErrorCodes: ['access_denied'] }],
      ['maxPendingErrors', { maxPendingErrors: -1 }],
      ['maxPendingErrors', { maxPendingErrors: Number.NaN }],
    ])('when %s is %o', (option, extra) => {
      const build = (): unknown => pollToken({ transport: () => Promise.resolve({}), expiresInSeconds: 600, ...(extra as object) });
      expect(build).toThrow(ConfigurationError);
      expect(build).toThrow(expect.objectContaining({ option }));
    });
  });
});

// Helpers

/**
 * Starts a flow at 0 and answers each of its polls in turn, `latencyMs` after
 * it was sent, firing the timer for the next one. Returns the step of each answer.
 */
function answerEachPoll(c: PollConfig, answers: readonly TokenOutcome[], latencyMs: number): Transition[] {
  let state = polledState(c, transition(initialState, { type: 'start', now: 0 }, c));
  const steps: Transition[] = [];
  for (const outcome of answers) {
    const { lastRequestAt, attempt } = state as { lastRequestAt: number; attempt: number };
    const step = transition(state, { type: 'responseReceived', now: lastRequestAt + latencyMs, attempt, outcome, random: 0 }, c);
    steps.push(step);
    if (step.state.status === 'failed' || step.state.status === 'expired') break;
    state = polledState(c, step);
  }
  return steps;
}

/** Fires the timer of a waiting state until its next request is sent. */
function polledState(c: PollConfig, step: Transition): PollState {
  let state = step.state;
  while ((state as { phase?: string }).phase === 'waiting') {
    state = transition(state, { type: 'timerFired', now: (state as { dueAt: number }).dueAt, random: 0 }, c).state;
  }
  return state;
}

function wait(step: Transition): number {
  const schedule = step.effects.find((effect) => effect.type === 'schedule') as { delayMs: number };
  return schedule.delayMs;
}

function emitted<TPayload>(step: Transition, name: string): TPayload[] {
  return step.effects.filter((effect) => effect.type === 'emit' && effect.name === name).map((effect) => (effect as unknown as { payload: TPayload }).payload);
}

function warnings(step: Transition): string[] {
  return emitted<WarningEvent>(step, 'warning').map((warning) => warning.code);
}
