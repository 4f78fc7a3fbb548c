import type { Clock } from '../../src/index.js';

/**
 * A real clock running `factor` times faster than wall time: virtual time is
 * `performance.now() * factor`, and a timer of `delayMs` fires after
 * `delayMs / factor` real ms. Against a server that counts real time (the
 * emulator), it lets a client's 5 s `slow_down` steps pass in 50 ms at factor
 * 100, so a whole `slow_down` storm runs in about a second.
 */
export function dilatedClock(factor: number): Clock {
  return {
    now: () => performance.now() * factor,
    wallNow: () => Date.now(),
    setTimeout(callback, delayMs, options) {
      const timer = setTimeout(callback, Math.max(0, delayMs) / factor);
      if (options?.unref) timer.unref();
      return timer;
    },
    clearTimeout: (timer) => clearTimeout(timer as ReturnType<typeof setTimeout>),
  };
}
