import fc from 'fast-check';
import { deviceFlowArbitraries } from '../../src/testing-arbitraries.js';

/**
 * The shared arbitraries: the public ones from tokenpoll/testing, with the hard cases on (lost
 * grants, malformed answers, every kind of thrown error, hangs), plus flow settings.
 */
export const arb = deviceFlowArbitraries(fc, { maxSteps: 30, hardCases: true });

/** Settings a flow may be started with. */
export interface FlowSettings {
  readonly intervalSeconds: number | string | undefined;
  readonly expiresInSeconds: number;
  readonly firstPoll: 'immediate' | 'after-interval';
  readonly intervalFrom: 'response' | 'request';
  readonly transientRetries: number;
  readonly requestTimeoutMs: number;
  readonly seed: number;
}

export const flowSettings: fc.Arbitrary<FlowSettings> = fc.record({
  intervalSeconds: fc.oneof(fc.constant(undefined), fc.integer({ min: 1, max: 15 }), fc.constantFrom('5', '0', -3)),
  expiresInSeconds: fc.integer({ min: 30, max: 900 }),
  firstPoll: fc.constantFrom('immediate' as const, 'after-interval' as const),
  intervalFrom: fc.constantFrom('response' as const, 'request' as const),
  transientRetries: fc.integer({ min: 0, max: 12 }),
  requestTimeoutMs: fc.integer({ min: 1000, max: 30_000 }),
  seed: fc.integer(),
});

/** How many runs each property makes; quoted in the closing note. */
export const RUNS = 1000;
