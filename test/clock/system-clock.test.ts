import { afterEach, describe, expect, test, vi } from 'vitest';
import { systemClock } from '../../src/clock/index.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('systemClock', () => {
  describe('should survive test fakes that take its host timer away', () => {
    test('when a timer is left pending on fake timers that are then removed, a later real timer still fires', async () => {
      // Arrange: the shared host timer is armed on the fake setTimeout, which is then uninstalled.
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const stranded = systemClock.setTimeout(noop, 10);
      vi.useRealTimers();
      try {
        // Act: a later timer, due after the stranded one, on real timers.
        const fired = await new Promise<boolean>((resolve) => {
          const giveUp = setTimeout(() => resolve(false), 5_000);
          systemClock.setTimeout(() => {
            clearTimeout(giveUp);
            resolve(true);
          }, 20);
        });
        // Assert
        expect(fired).toBe(true);
      } finally {
        systemClock.clearTimeout(stranded);
      }
    });
  });
});

// Helpers

const noop = (): void => {};
