import { describe, expect, test, vi } from 'vitest';
import { sleep } from '../../src/retry/sleep.js';
import { ManualClock, flushCallbacks } from '../../src/testing.js';

describe('sleep', () => {
  describe('should wait on the clock it is given', () => {
    test('when the delay passes on a virtual clock, it resolves then and leaves no timer and no listener', async () => {
      // Arrange
      const clock = new ManualClock();
      const { signal, listeners } = trackedSignal();
      const resolved = vi.fn();
      // Act
      void sleep(clock, 1000, signal, false).then(resolved);
      await clock.advance(999);
      // Assert
      expect(resolved).not.toHaveBeenCalled();
      expect(clock.pendingTimers).toBe(1);
      expect(listeners()).toBe(1);
      await clock.advance(1);
      expect(resolved).toHaveBeenCalledOnce();
      expect(clock.pendingTimers).toBe(0);
      expect(listeners()).toBe(0);
    });

    test('when unref is asked, the clock is asked for an unref’d timer', () => {
      const clock = new ManualClock();
      const setTimeoutSpy = vi.spyOn(clock, 'setTimeout');
      void sleep(clock, 10, new AbortController().signal, true);
      expect(setTimeoutSpy).toHaveBeenCalledWith(expect.any(Function), 10, { unref: true });
    });
  });

  describe('should honour the AbortSignal', () => {
    test('when the signal aborts during the wait, it rejects with the reason and clears its timer', async () => {
      // Arrange
      const clock = new ManualClock();
      const controller = new AbortController();
      const settled = sleep(clock, 60_000, controller.signal, false).then(
        () => 'resolved',
        (reason: unknown) => reason,
      );
      await flushCallbacks();
      // Act
      controller.abort('bye');
      // Assert
      expect(await settled).toBe('bye');
      expect(clock.pendingTimers).toBe(0);
      expect(clock.now()).toBe(0);
    });

    test('when the signal is already aborted, it rejects at once and sets no timer', async () => {
      const clock = new ManualClock();
      await expect(sleep(clock, 10, AbortSignal.abort('early'), false)).rejects.toBe('early');
      expect(clock.pendingTimers).toBe(0);
    });
  });
});

// Helpers

/** A signal whose 'abort' listeners added and not yet removed are counted. */
function trackedSignal(): { signal: AbortSignal; listeners: () => number } {
  const { signal } = new AbortController();
  const live = new Set<unknown>();
  const add = vi.spyOn(signal, 'addEventListener');
  const remove = vi.spyOn(signal, 'removeEventListener');
  add.mockImplementation((...args: Parameters<AbortSignal['addEventListener']>) => {
    const [type, listener, options] = args;
    if (type === 'abort') live.add(listener);
    EventTarget.prototype.addEventListener.call(signal, type, listener, options);
  });
  remove.mockImplementation((...args: Parameters<AbortSignal['removeEventListener']>) => {
    const [type, listener, options] = args;
    if (type === 'abort') live.delete(listener);
    EventTarget.prototype.removeEventListener.call(signal, type, listener, options);
  });
  return { signal, listeners: () => live.size };
}
