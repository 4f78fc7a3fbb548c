import type { Clock, TimerOptions } from '../src/index.js';

interface Timer {
  readonly id: number;
  readonly at: number;
  readonly callback: () => void;
}

/**
 * How many microtask turns in a row must pass without any clock activity
 * (setTimeout / clearTimeout) before the clock jumps to its next timer. The
 * in-memory transport answers one microtask turn after it is called, so 4 is
 * ample; every flow checks its final virtual time and attempt count, so a
 * timer fired too early (say, the driver's request timeout) fails the run.
 */
const QUIET_TURNS = 4;

/**
 * A self-driving virtual clock for benchmarks.
 *
 * `ManualClock.runUntilSettled` (src/testing) waits one `setImmediate` per
 * timer, i.e. one event-loop turn per poll, so its cost (several µs) would be
 * counted in every poll. This clock instead advances on microtasks: once the
 * program has been quiet for {@link QUIET_TURNS} microtask turns it jumps to
 * the earliest timer and fires it. It implements tokenpoll's `Clock`, and
 * `sleep()` gives hand-written loops the same kind of virtual wait, so every
 * alternative pays the same (small, ~QUIET_TURNS microtasks) price per wait.
 */
export class VirtualClock implements Clock {
  #now = 0;
  #nextId = 1;
  #timers: Timer[] = [];
  #activity = 0;
  #seen = 0;
  #quiet = 0;
  #scheduled = false;
  /** Timers fired so far. */
  fired = 0;

  now(): number {
    return this.#now;
  }

  wallNow(): number {
    return 1_767_225_600_000 + this.#now;
  }

  setTimeout(callback: () => void, delayMs: number, _options?: TimerOptions): unknown {
    const timer: Timer = { id: this.#nextId++, at: this.#now + Math.max(0, delayMs), callback };
    const timers = this.#timers;
    let index = timers.length;
    while (index > 0 && timers[index - 1]!.at > timer.at) index--;
    if (index === timers.length) timers.push(timer);
    else timers.splice(index, 0, timer);
    this.#activity++;
    if (!this.#scheduled) this.#schedule();
    return timer.id;
  }

  clearTimeout(id: unknown): void {
    const timers = this.#timers;
    for (let i = 0; i < timers.length; i++) {
      if (timers[i]!.id === id) {
        timers.splice(i, 1);
        this.#activity++;
        return;
      }
    }
  }

  /** A virtual wait, for hand-written loops. */
  sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      this.setTimeout(resolve, ms);
    });
  }

  /** Timers still pending (0 once a flow has settled cleanly). */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  #schedule(): void {
    this.#scheduled = true;
    this.#seen = this.#activity;
    this.#quiet = QUIET_TURNS;
    queueMicrotask(this.#step);
  }

  readonly #step = (): void => {
    if (this.#activity !== this.#seen) {
      this.#seen = this.#activity;
      this.#quiet = QUIET_TURNS;
    }
    if (--this.#quiet > 0) {
      queueMicrotask(this.#step);
      return;
    }
    this.#scheduled = false;
    const timer = this.#timers.shift();
    if (!timer) return;
    if (timer.at > this.#now) this.#now = timer.at;
    this.fired++;
    timer.callback();
    if (!this.#scheduled && this.#timers.length > 0) this.#schedule();
  };
}
