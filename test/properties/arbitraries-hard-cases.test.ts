import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { classifyTokenResponse } from '../../src/index.js';
import { type ScriptStep } from '../../src/testing.js';
import { deviceFlowArbitraries } from '../../src/testing-arbitraries.js';

/** What the default classifier makes of a step; `hang` for one that never answers. */
function classified(step: ScriptStep): string {
  if ('hang' in step) return 'hang';
  const answer = 'fail' in step ? { ok: false as const, error: step.fail } : { ok: true as const, value: 'reply' in step ? step.reply : step };
  return classifyTokenResponse(answer, { wallNow: 0 }).type;
}

describe('deviceFlowArbitraries, hard cases', () => {
  const hard = deviceFlowArbitraries(fc, { hardCases: true });

  test('should make lost grants that the classifier takes for an unreadable success', () => {
    fc.assert(
      fc.property(hard.lostGrant, (step) => {
        expect(classified(step)).toBe('unreadable_success');
      }),
    );
  });

  test('should make malformed answers that carry no token', () => {
    fc.assert(
      fc.property(hard.malformed, (step) => {
        expect(['invalid_response', 'unreadable_success']).toContain(classified(step));
      }),
    );
  });

  test('should make thrown errors: recognised network errors and timeouts, and errors nothing recognises', () => {
    const types = new Set(fc.sample(hard.transportError, { numRuns: 500, seed: 1 }).map(classified));
    expect([...types].sort()).toEqual(['network_error', 'timeout', 'transport_error']);
  });

  test('should put every hard case in the steps with hardCases, and none without', () => {
    const kinds = (steps: ScriptStep[]): Set<string> => new Set(steps.map(classified));
    const withHard = kinds(fc.sample(hard.step, { numRuns: 3000, seed: 1 }));
    for (const kind of ['unreadable_success', 'invalid_response', 'transport_error', 'hang']) expect(withHard).toContain(kind);
    const without = kinds(fc.sample(deviceFlowArbitraries(fc).step, { numRuns: 3000, seed: 1 }));
    for (const kind of ['unreadable_success', 'invalid_response', 'transport_error', 'hang']) expect(without).not.toContain(kind);
  });
});
