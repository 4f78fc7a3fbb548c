import { afterEach, describe, expect, test, vi } from 'vitest';
import { MAX_TIMER_DELAY_MS, systemClock } from '../../src/clock/index.js';

afterEach(() => {
  // Spies first: a spy on setTimeout wraps the fake one, which restoring it would otherwise put back.
  vi.restoreAllMocks();
  vi.useRealTimers();
});

describe('systemClock', () => {
  describe('should run its timers on the platform setTimeout', () => {
    test('when fake timers are installed, its timers are theirs and fire when fake time passes', () => {
      // Arrange
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const fired = vi.fn();
      // Act
      systemClock.setTimeout(fired, 7);
      // Assert
      expect(vi.getTimerCount()).toBe(1);
      vi.advanceTimersByTime(6);
      expect(fired).not.toHaveBeenCalled();
      vi.advanceTimersByTime(1);
      expect(fired).toHaveBeenCalledOnce();
      expect(vi.getTimerCount()).toBe(0);
    });

    test('when two timers are set, the earlier due fires first, and ties fire in the order they were set', () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const fired: string[] = [];
      systemClock.setTimeout(() => fired.push('later'), 20);
      systemClock.setTimeout(() => fired.push('sooner'), 10);
      systemClock.setTimeout(() => fired.push('tie'), 20);
      vi.advanceTimersByTime(20);
      expect(fired).toEqual(['sooner', 'later', 'tie']);
    });

    test('when two timers fall due together, each is its own host timer, so a microtask queued by the first runs before the second', async () => {
      // Arrange
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const order: string[] = [];
      systemClock.setTimeout(() => {
        queueMicrotask(() => order.push('microtask'));
        order.push('first');
      }, 1);
      systemClock.setTimeout(() => order.push('second'), 1);
      // Act: the async advance lets promise jobs run after each host timer, as the platform does
      await vi.advanceTimersByTimeAsync(1);
      // Assert
      expect(order).toEqual(['first', 'microtask', 'second']);
    });

    test('when a timer is cleared, it never fires', () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const fired = vi.fn();
      const timer = systemClock.setTimeout(fired, 10);
      systemClock.clearTimeout(timer);
      vi.advanceTimersByTime(100);
      expect(fired).not.toHaveBeenCalled();
      expect(vi.getTimerCount()).toBe(0);
    });

    test('when a callback clears another timer due at the same time, that one never fires', () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const fired = vi.fn();
      let second: unknown;
      systemClock.setTimeout(() => systemClock.clearTimeout(second), 5);
      second = systemClock.setTimeout(fired, 5);
      vi.advanceTimersByTime(5);
      expect(fired).not.toHaveBeenCalled();
      expect(vi.getTimerCount()).toBe(0);
    });

    test('when a handle is cleared twice, after it fired, or is no timer at all, nothing throws and other timers still fire', () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const fired = vi.fn();
      const short = systemClock.setTimeout(noop, 1);
      const long = systemClock.setTimeout(noop, MAX_TIMER_DELAY_MS + 1);
      systemClock.setTimeout(fired, 10);
      vi.advanceTimersByTime(1);
      expect(() => {
        systemClock.clearTimeout(short);
        systemClock.clearTimeout(long);
        systemClock.clearTimeout(long);
        systemClock.clearTimeout(undefined);
        systemClock.clearTimeout({});
      }).not.toThrow();
      vi.advanceTimersByTime(9);
      expect(fired).toHaveBeenCalledOnce();
    });

    test('when a timer is left pending on fake timers that are then removed, a timer set under the next fakes still fires', () => {
      // Arrange: nothing is shared between timers, so a stranded fake one holds nothing up.
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      systemClock.setTimeout(noop, 1);
      vi.useRealTimers();
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const fired = vi.fn();
      // Act
      systemClock.setTimeout(fired, 1);
      vi.advanceTimersByTime(1);
      // Assert
      expect(fired).toHaveBeenCalledOnce();
    });
  });

  describe('should unref a timer when asked', () => {
    test('when set with { unref: true }, the host timer does not keep the process alive; otherwise it does', () => {
      const unrefed = systemClock.setTimeout(noop, 10_000, { unref: true }) as NodeTimer;
      const refed = systemClock.setTimeout(noop, 10_000) as NodeTimer;
      try {
        expect(unrefed.hasRef()).toBe(false);
        expect(refed.hasRef()).toBe(true);
      } finally {
        systemClock.clearTimeout(unrefed);
        systemClock.clearTimeout(refed);
      }
    });

    test('when a delay past the host limit is waited out in steps, every step is unref’d', () => {
      // Arrange
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout');
      const fired = vi.fn();
      // Act
      systemClock.setTimeout(fired, 2 * MAX_TIMER_DELAY_MS + 5, { unref: true });
      vi.advanceTimersByTime(2 * MAX_TIMER_DELAY_MS + 5);
      // Assert
      expect(fired).toHaveBeenCalledOnce();
      const steps = setTimeoutSpy.mock.results.map((result) => result.value as NodeTimer);
      expect(steps).toHaveLength(3);
      for (const step of steps) expect(step.hasRef()).toBe(false);
    });
  });

  describe('should wait out a delay past 2³¹ − 1 ms in full', () => {
    test('when the delay is twice the host limit and more, it fires once, at its time, and no host timer is given more than the limit', () => {
      // Arrange
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout');
      const fired = vi.fn();
      const delayMs = 2 * MAX_TIMER_DELAY_MS + 5;
      // Act
      systemClock.setTimeout(fired, delayMs);
      // Assert
      vi.advanceTimersByTime(delayMs - 1);
      expect(fired).not.toHaveBeenCalled();
      expect(vi.getTimerCount()).toBe(1);
      vi.advanceTimersByTime(1);
      expect(fired).toHaveBeenCalledOnce();
      expect(vi.getTimerCount()).toBe(0);
      expect(setTimeoutSpy.mock.calls.map(([, ms]) => ms)).toEqual([MAX_TIMER_DELAY_MS, MAX_TIMER_DELAY_MS, 5]);
    });

    test('when it is cleared between two steps, it never fires and leaves no host timer', () => {
      // Arrange
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const fired = vi.fn();
      const timer = systemClock.setTimeout(fired, 3 * MAX_TIMER_DELAY_MS);
      vi.advanceTimersByTime(MAX_TIMER_DELAY_MS + 10); // the first step has run, the second is pending
      expect(vi.getTimerCount()).toBe(1);
      // Act
      systemClock.clearTimeout(timer);
      // Assert
      expect(vi.getTimerCount()).toBe(0);
      vi.advanceTimersByTime(3 * MAX_TIMER_DELAY_MS);
      expect(fired).not.toHaveBeenCalled();
    });

    test('when the delay is the host limit exactly, it is one host timer', () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout');
      const fired = vi.fn();
      systemClock.setTimeout(fired, MAX_TIMER_DELAY_MS);
      vi.advanceTimersByTime(MAX_TIMER_DELAY_MS);
      expect(fired).toHaveBeenCalledOnce();
      expect(setTimeoutSpy.mock.calls.map(([, ms]) => ms)).toEqual([MAX_TIMER_DELAY_MS]);
    });

    test('when it is set on the real setTimeout, the platform is never handed more than the limit, and clearing it clears the host timer', () => {
      // Arrange: Node runs a timer given more than the limit after 1 ms (TimeoutOverflowWarning); nothing is waited for here.
      const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout');
      const clearTimeoutSpy = vi.spyOn(globalThis, 'clearTimeout');
      // Act
      const timer = systemClock.setTimeout(noop, MAX_TIMER_DELAY_MS + 1);
      systemClock.clearTimeout(timer);
      // Assert
      expect(setTimeoutSpy.mock.calls.map(([, ms]) => ms)).toEqual([MAX_TIMER_DELAY_MS]);
      expect(clearTimeoutSpy).toHaveBeenCalledWith(setTimeoutSpy.mock.results[0]!.value);
    });
  });

  describe('should read monotonic time in whole milliseconds', () => {
    test('when performance.now() has a fraction, now() rounds it up', () => {
      vi.spyOn(performance, 'now').mockReturnValue(100.2);
      expect(systemClock.now()).toBe(101);
    });
  });
});

// Helpers

const noop = (): void => {};

interface NodeTimer {
  hasRef(): boolean;
}
