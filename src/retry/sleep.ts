import type { Clock } from '../clock/clock.js';

/**
 * Waits `delayMs` on `clock`: one timer from `clock.setTimeout`, so the wait
 * is virtual on a `ManualClock` and a host timer on the system clock.
 *
 * When `signal` aborts, the timer is cleared at once and the promise rejects
 * with `signal.reason`; when the timer fires, the abort listener is removed.
 * Either way nothing is left behind: no timer, no listener.
 * @internal
 */
export function sleep(clock: Clock, delayMs: number, signal: AbortSignal, unref: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clock.clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = clock.setTimeout(
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      },
      delayMs,
      { unref },
    );
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
