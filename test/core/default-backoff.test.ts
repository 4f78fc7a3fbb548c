import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { DEFAULT_BACKOFF } from '../../src/core/backoff-strategy.js';
import { exponentialBackoff } from '../../src/index.js';

// The core may import nothing outside src/core, so it spells out its default backoff
// rather than calling exponentialBackoff(); this test holds the two together.

describe('DEFAULT_BACKOFF', () => {
  describe('should be exponentialBackoff() with its defaults', () => {
    test.prop([fc.integer({ min: 1, max: 5000 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.nat()])(
      'when given any attempt, random number and previous delay',
      (attempt, random, previousDelayMs) => {
        const context = { attempt, random, previousDelayMs };
        expect(DEFAULT_BACKOFF(context)).toBe(exponentialBackoff()(context));
      },
    );

    test('when its cap is read, as the timeout doubling does', () => {
      expect(DEFAULT_BACKOFF.maxDelayMs).toBe(exponentialBackoff().maxDelayMs);
      expect(Object.isFrozen(DEFAULT_BACKOFF)).toBe(true);
    });
  });
});
