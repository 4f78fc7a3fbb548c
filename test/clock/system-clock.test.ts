import { afterEach, describe, expect, test, vi } from 'vitest';
import { systemClock } from '../../src/clock/index.js';

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('systemClock', () => {
  describe('should never fire a timer before its delay has passed', () => {
    test('when the host timer fires early, in the millisecond the timer is due in', () => {
      // Arrange: set at 100.9 ms (now() reads 101), so due at 107.9.
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const performanceNow = vi.spyOn(performance, 'now').mockReturnValue(100.9);
      const fired = vi.fn();
      systemClock.setTimeout(fired, 7);
      expect(systemClock.now()).toBe(101);
      // Act: the host timer fires at 107.2 (Node's count whole milliseconds of a loop time that lags).
      performanceNow.mockReturnValue(107.2);
      vi.advanceTimersByTime(8);
      // Assert
      expect(fired).not.toHaveBeenCalled();
      performanceNow.mockReturnValue(108);
      vi.advanceTimersByTime(1);
      expect(fired).toHaveBeenCalledOnce();
      expect(vi.getTimerCount()).toBe(0);
    });
  });

  describe('should run timers due together back to back', () => {
    test('when two are due in the same turn, a microtask queued by the first runs after the second', async () => {
      const order: string[] = [];
      await new Promise<void>((resolve) => {
        systemClock.setTimeout(() => {
          queueMicrotask(() => order.push('microtask'));
          order.push('first');
        }, 5);
        systemClock.setTimeout(() => {
          order.push('second');
          resolve();
        }, 5);
      });
      expect(order).toEqual(['first', 'second', 'microtask']);
    });
  });

  describe('should hand out handles of its own', () => {
    test('when given a handle from the global setTimeout, clearTimeout leaves that timer alone', () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const fired = vi.fn();
      const native = setTimeout(fired, 5);
      systemClock.clearTimeout(native);
      vi.advanceTimersByTime(5);
      expect(fired).toHaveBeenCalledOnce();
    });

    test('when a timer is set, its handle is not a Node Timeout', () => {
      const handle = systemClock.setTimeout(noop, 5) as object;
      systemClock.clearTimeout(handle);
      for (const method of ['ref', 'unref', 'hasRef', 'refresh']) expect(handle).not.toHaveProperty(method);
    });
  });

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
