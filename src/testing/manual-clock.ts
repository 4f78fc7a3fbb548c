import type { Clock, TimerOptions } from '../clock/clock.js';

interface Timer {
  readonly id: number;
  readonly at: number;
  readonly callback: () => void;
}

/** Options for {@link ManualClock}. @group Testing */
export interface ManualClockOptions {
  /** The starting monotonic time. @defaultValue 0 */
  readonly now?: number;
  /** The wall-clock time (epoch ms) at monotonic 0, for `Retry-After` dates. @defaultValue 2026-01-01T00:00:00Z */
  readonly wallEpochMs?: number;
}

/**
 * A virtual clock: time moves only when the test moves it, so a whole
 * 15-minute flow runs in milliseconds. Modelled on xstate's `SimulatedClock`:
 * `increment(ms)` and `set(ms)` fire the timers that fall due, in order, each
 * at its own time, and time never goes back.
 *
 * @example
 * ```ts
 * import { pollToken, type TokenSet } from 'tokenpoll';
 * import { ManualClock, scriptedTransport } from 'tokenpoll/testing';
 * const token: TokenSet = { accessToken: 'at', raw: {} };
 * const clock = new ManualClock();
 * const transport = scriptedTransport([{ type: 'authorization_pending' }, { type: 'success', token }], { clock });
 * const poll = pollToken({ transport, clock, intervalSeconds: 5, expiresInSeconds: 900 });
 * await clock.runUntilSettled(poll.result);
 * clock.now(); // 10000: two polls, 5 s apart
 * ```
 * @group Testing
 */
export class ManualClock implements Clock {
  #now: number;
  readonly #wallEpochMs: number;
  #timers: Timer[] = [];
  #nextId = 1;

  constructor(options: ManualClockOptions = {}) {
    this.#now = options.now ?? 0;
    this.#wallEpochMs = options.wallEpochMs ?? Date.UTC(2026, 0, 1);
  }

  now(): number {
    return this.#now;
  }

  wallNow(): number {
    return this.#wallEpochMs + this.#now;
  }

  setTimeout(callback: () => void, delayMs: number, _options?: TimerOptions): unknown {
    const timer: Timer = { id: this.#nextId++, at: this.#now + Math.max(0, delayMs), callback };
    // Keep timers sorted by due time, then by creation, so equal times fire in order.
    let index = this.#timers.length;
    while (index > 0 && this.#timers[index - 1]!.at > timer.at) index--;
    this.#timers.splice(index, 0, timer);
    return timer.id;
  }

  clearTimeout(timer: unknown): void {
    const index = this.#timers.findIndex((t) => t.id === timer);
    if (index >= 0) this.#timers.splice(index, 1);
  }

  /** How many timers are pending. A settled flow leaves 0. */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  /** When the next timer is due, or `undefined` when none is pending. */
  get nextTimerAt(): number | undefined {
    return this.#timers[0]?.at;
  }

  /**
   * Moves time forward by `ms`, firing every timer that falls due, each at its own time.
   * Synchronous: no promise callback runs between two timers, so an answer that
   * a transport resolved at 5 s is not seen before a timer due at 30 s fires.
   * To let answers arrive in between, use {@link ManualClock.advance}.
   * @throws `RangeError` for a negative or NaN `ms`.
   */
  increment(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`ManualClock cannot go back in time (increment by ${ms})`);
    this.#advanceTo(this.#now + ms);
  }

  /**
   * Moves time to `ms`, firing every timer that falls due.
   * @throws `RangeError` when `ms` is earlier than now.
   */
  set(ms: number): void {
    if (!(ms >= this.#now)) throw new RangeError(`ManualClock cannot go back in time (from ${this.#now} to ${ms})`);
    this.#advanceTo(ms);
  }

  /**
   * Moves time forward by `ms` the way real time passes: fires the timers that
   * fall due one by one, and lets pending promise callbacks (transport answers)
   * run before each and at the end.
   * @throws `RangeError` for a negative or NaN `ms`.
   */
  async advance(ms: number): Promise<void> {
    if (!(ms >= 0)) throw new RangeError(`ManualClock cannot go back in time (advance by ${ms})`);
    const target = this.#now + ms;
    for (;;) {
      await flushCallbacks();
      const next = this.#timers[0];
      if (!next || next.at > target) break;
      this.tick();
    }
    this.#advanceTo(target);
    await flushCallbacks();
  }

  /** Jumps to the next timer and fires it (and any due at the same time). Returns false when none is pending. */
  tick(): boolean {
    const next = this.#timers[0];
    if (!next) return false;
    this.#advanceTo(Math.max(next.at, this.#now));
    return true;
  }

  /**
   * Runs the clock until `promise` settles: lets pending callbacks run, then
   * jumps to the next timer, and so on. Resolves with the promise's outcome.
   * @throws `Error` when the promise is still pending with no timer left
   * (nothing could ever settle it), or after `maxSteps` timers.
   */
  async runUntilSettled<T>(promise: PromiseLike<T>, options: { readonly maxSteps?: number } = {}): Promise<PromiseSettledResult<T>> {
    let settled: PromiseSettledResult<T> | undefined;
    Promise.resolve(promise).then(
      (value) => (settled = { status: 'fulfilled', value }),
      (reason: unknown) => (settled = { status: 'rejected', reason }),
    );
    const maxSteps = options.maxSteps ?? 100_000;
    for (let step = 0; ; step++) {
      await flushCallbacks();
      if (settled) return settled;
      if (step >= maxSteps) throw new Error(`ManualClock.runUntilSettled: still pending after ${maxSteps} timers`);
      if (!this.tick()) {
        await flushCallbacks();
        if (settled) return settled;
        throw new Error('ManualClock.runUntilSettled: the promise is pending and no timer is left to settle it');
      }
    }
  }

  #advanceTo(target: number): void {
    for (let next = this.#timers[0]; next && next.at <= target; next = this.#timers[0]) {
      this.#timers.shift();
      this.#now = Math.max(this.#now, next.at);
      next.callback();
    }
    this.#now = target;
  }
}

const immediate = (globalThis as { setImmediate?: (callback: () => void) => unknown }).setImmediate;

/**
 * Lets every queued promise callback run: waits one macrotask turn
 * (`setImmediate` where there is one, else a zero-delay `setTimeout`).
 * @example
 * ```ts
 * import { flushCallbacks } from 'tokenpoll/testing';
 * let answered = false;
 * void Promise.resolve().then(() => (answered = true));
 * await flushCallbacks(); // answered === true: the queued callbacks ran
 * ```
 * @group Testing
 */
export function flushCallbacks(): Promise<void> {
  return new Promise((resolve) => (immediate ? immediate(resolve) : setTimeout(resolve, 0)));
}
