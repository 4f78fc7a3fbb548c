import { describe, expect, test } from 'vitest';
import { createConfig } from '../../src/core/config.js';
import { recordConfig, recordState, restoreConfig, restoreState, resumeTransition } from '../../src/core/resume.js';
import type { ActiveState } from '../../src/core/state.js';
import { initialState, transition } from '../../src/core/transition.js';
import { constantBackoff } from '../../src/index.js';

// The pure pieces of resume: a state written down in wall time and read back, and the first step of a resumed flow.

const config = createConfig({ interval: 5, expiresIn: 600, backoff: constantBackoff(1000), pendingErrorCodes: ['incorrect_device_code'] });

/** The state after `start` at 0 and the first poll at 5 s, and, if asked, its answer (pending) at 5.2 s. */
function stateAt(answered: boolean): ActiveState {
  let state = transition(initialState, { type: 'start', now: 0 }, config).state;
  state = transition(state, { type: 'timerFired', now: 5000 }, config).state;
  if (answered) state = transition(state, { type: 'responseReceived', now: 5200, attempt: 1, outcome: { type: 'authorization_pending' } }, config).state;
  return state as ActiveState;
}

describe('recordState and restoreState', () => {
  test('should move every time by the clocks offset and back, keeping Infinity and unset times', () => {
    // Arrange
    const state = stateAt(true);
    // Act
    const record = recordState(state, 1_000_000);
    const back = restoreState(JSON.parse(JSON.stringify(record)), 50_000, 1_000_000 + 40_000);
    // Assert: the second process's clock reads 50 000 when the wall clock reads what the first's read at 40 000
    expect(record).toMatchObject({ at: 1_005_200, dueAt: 1_010_200, deadlineAt: 1_600_000, timeoutAt: null, lastRequestAt: 1_005_000, previousRequestAt: null });
    expect(back).toEqual({ ...state, at: 15_200, dueAt: 20_200, deadlineAt: 610_000, lastRequestAt: 15_000 });
    expect(back.timeoutAt).toBe(Number.POSITIVE_INFINITY);
    expect(Object.isFrozen(back)).toBe(true);
  });

  test('should keep the config values a running flow reads, and take the backoff passed again', () => {
    const record = recordConfig(config, true);
    const back = restoreConfig(JSON.parse(JSON.stringify(record)), config.backoff);
    expect(record).toMatchObject({ timeoutMs: null, transientRetries: 10, pendingErrorCodes: ['incorrect_device_code'], backoff: 'custom' });
    expect(back).toMatchObject({ intervalMs: 5000, lifetimeMs: 600_000, requestTimeoutMs: config.requestTimeoutMs, timeoutMs: Number.POSITIVE_INFINITY, warnings: [] });
    expect([...back.pendingErrors.codes]).toEqual(['incorrect_device_code']);
    expect(back.backoff).toBe(config.backoff);
  });
});

describe('resumeTransition', () => {
  test('should set the same wake-up again when the poll is not due yet', () => {
    const step = resumeTransition(stateAt(true), 7000, config);
    expect(step.effects).toEqual([{ type: 'schedule', at: 10_200, delayMs: 3200 }]);
  });

  test('should poll at once when the poll fell due meanwhile', () => {
    const step = resumeTransition(stateAt(true), 12_000, config);
    expect(step.effects.map((e) => e.type)).toEqual(['emit', 'request', 'schedule']);
    expect(step.state).toMatchObject({ phase: 'polling', attempt: 2 });
  });

  test('should count a request in flight as failed in transit: a retry, never sooner than the floor', () => {
    const step = resumeTransition(stateAt(false), 6000, config, 0.3);
    expect(step.state).toMatchObject({ status: 'retrying', phase: 'waiting', faults: 1, dueAt: 11_000, intervalMs: 5000 });
    expect(step.effects).toContainEqual(expect.objectContaining({ type: 'emit', name: 'retry', payload: expect.objectContaining({ fault: expect.objectContaining({ type: 'network_error' }) }) }));
  });

  test('should count a request aborted for its timeout as that timeout', () => {
    const polling = stateAt(false);
    const aborting = transition(polling, { type: 'timerFired', now: polling.dueAt }, config).state as ActiveState;
    const step = resumeTransition(aborting, polling.dueAt + 10, config, 0.3);
    expect(aborting.phase).toBe('aborting');
    expect(step.effects).toContainEqual(expect.objectContaining({ name: 'retry', payload: expect.objectContaining({ fault: expect.objectContaining({ type: 'timeout' }) }) }));
  });
});
