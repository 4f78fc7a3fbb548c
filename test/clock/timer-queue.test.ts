import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { TimerQueue, type HostTimers, type QueuedTimer } from '../../src/clock/timer-queue.js';

describe('TimerQueue', () => {
  describe('should hold many timers on one host timer', () => {
    test('when timers are added, one host timer is armed, for the earliest', () => {
      const host = fakeHost();
      const queue = new TimerQueue(host, MAX);
      queue.add(noop, 300);
      queue.add(noop, 100);
      queue.add(noop, 200);
      expect(host.armed).toEqual([{ at: 100 }]);
      expect(host.sets).toBe(2); // armed for 300, then re-armed for the earlier 100; not for 200
      expect(queue.size).toBe(3);
    });

    test('when they fall due, they fire in time order, ties in the order they were set', () => {
      const host = fakeHost();
      const queue = new TimerQueue(host, MAX);
      const fired: string[] = [];
      for (const [name, delay] of [['c', 30], ['a', 10], ['b1', 20], ['b2', 20], ['d', 40]] as const) queue.add(() => fired.push(name), delay);
      host.advance(25);
      expect(fired).toEqual(['a', 'b1', 'b2']);
      host.advance(100);
      expect(fired).toEqual(['a', 'b1', 'b2', 'c', 'd']);
      expect(host.armed).toEqual([]);
    });

    test('when the last timer is removed, the host timer is disarmed', () => {
      const host = fakeHost();
      const queue = new TimerQueue(host, MAX);
      const fired: number[] = [];
      const first = queue.add(() => fired.push(1), 10);
      const second = queue.add(() => fired.push(2), 20);
      queue.remove(first);
      expect(host.armed).toHaveLength(1);
      queue.remove(second);
      expect(host.armed).toEqual([]);
      host.advance(100);
      expect(fired).toEqual([]);
    });

    test('when the host wakes it before anything is due, it fires nothing and re-arms', () => {
      const host = fakeHost();
      const queue = new TimerQueue(host, MAX);
      const fired: number[] = [];
      const early = queue.add(() => fired.push(1), 10);
      queue.add(() => fired.push(2), 50);
      queue.remove(early);
      host.advance(10); // the host timer armed for 10 ms wakes the queue early
      expect(fired).toEqual([]);
      expect(host.armed).toEqual([{ at: 50 }]);
      host.advance(40);
      expect(fired).toEqual([2]);
    });

    test('when a delay is longer than the host honours, it is waited out in steps', () => {
      const host = fakeHost();
      const queue = new TimerQueue(host, 1000);
      const fired: number[] = [];
      queue.add(() => fired.push(1), 2500);
      expect(host.armed).toEqual([{ at: 1000 }]);
      host.advance(2499);
      expect(fired).toEqual([]);
      host.advance(1);
      expect(fired).toEqual([1]);
    });
  });

  describe('should never fire a timer before its delay has passed', () => {
    test('when host time has a fraction and host timers fire early, it waits out the whole delay', () => {
      // Arrange: the host's clock reads 100.9, and its timers fire 0.8 ms early (as Node's may: they count whole milliseconds).
      const host = fakeHost(0.8);
      const queue = new TimerQueue(host, MAX);
      host.time = 100.9;
      const firedAt: number[] = [];
      // Act
      queue.add(() => firedAt.push(host.time), 7);
      host.advance(20);
      // Assert
      expect(firedAt).toHaveLength(1);
      expect(firedAt[0]).toBeGreaterThanOrEqual(100.9 + 7);
      expect(host.armed).toEqual([]);
    });
  });

  describe('should re-arm a host timer that may never fire', () => {
    test('when the host timer was cleared behind its back and is long overdue, the next timer re-arms it', () => {
      // Arrange
      const host = fakeHost();
      const queue = new TimerQueue(host, MAX);
      const fired: number[] = [];
      queue.add(() => fired.push(1), 10);
      host.drop();
      host.advance(100);
      // Act
      queue.add(() => fired.push(2), 10);
      queue.add(() => fired.push(3), 20);
      // Assert
      expect(host.sets).toBe(2); // re-armed once, not again for the next timer
      host.advance(20);
      expect(fired).toEqual([1, 2, 3]);
      expect(host.armed).toEqual([]);
    });

    test('when the timer functions were replaced, the next timer re-arms it on the new ones and clears the old one', () => {
      // Arrange
      const host = fakeHost();
      const queue = new TimerQueue(host, MAX);
      const fired: number[] = [];
      queue.add(() => fired.push(1), 10);
      host.swapped = true;
      // Act
      queue.add(() => fired.push(2), 20);
      // Assert
      expect(host.sets).toBe(2);
      expect(host.armed).toEqual([{ at: 10 }]);
      host.advance(20);
      expect(fired).toEqual([1, 2]);
      expect(host.turns).toBe(2);
    });

    test('when the host timer is only a little late, it is left armed', () => {
      const host = fakeHost();
      const queue = new TimerQueue(host, MAX);
      queue.add(noop, 10);
      host.time = 30; // a busy event loop: the host timer has not run yet
      queue.add(noop, 10);
      expect(host.sets).toBe(1);
    });
  });

  describe('should keep the event loop turning', () => {
    test('when a callback sets a timer that is already due, it fires on a later turn', () => {
      const host = fakeHost();
      const queue = new TimerQueue(host, MAX);
      let fired = 0;
      const again = (): void => {
        if (++fired < 3) queue.add(again, 0);
      };
      queue.add(again, 10);
      host.advance(10);
      expect(fired).toBe(3);
      expect(host.turns).toBe(3); // one host callback each: never two in the same turn
    });

    test('when many timers fall due at once and they take long, it yields after a slice and carries on', () => {
      const host = fakeHost();
      const queue = new TimerQueue(host, MAX);
      let fired = 0;
      const slow = (): void => {
        fired++;
        host.time += 0.1; // each callback takes 0.1 ms of host time
      };
      for (let i = 0; i < 1000; i++) queue.add(slow, 10);
      host.advance(10);
      expect(fired).toBeGreaterThan(0);
      expect(fired).toBeLessThan(1000);
      expect(host.armed).toEqual([{ at: host.time }]);
      while (host.armed.length > 0) host.advance(0);
      expect(fired).toBe(1000);
    });

    test('when a callback throws, the error reaches the host and the other timers still fire', () => {
      const host = fakeHost();
      const queue = new TimerQueue(host, MAX);
      const fired: number[] = [];
      queue.add(() => {
        throw new Error('boom');
      }, 10);
      queue.add(() => fired.push(2), 10);
      expect(() => host.advance(10)).toThrow('boom');
      host.advance(0);
      expect(fired).toEqual([2]);
      expect(host.armed).toEqual([]);
    });
  });

  describe('should let a callback remove timers', () => {
    test('when it removes another timer due in the same turn, that one does not fire', () => {
      const host = fakeHost();
      const queue = new TimerQueue(host, MAX);
      const fired: string[] = [];
      queue.add(() => {
        fired.push('a');
        queue.remove(b);
      }, 10);
      const b = queue.add(() => fired.push('b'), 10);
      queue.add(() => fired.push('c'), 10);
      host.advance(10);
      expect(fired).toEqual(['a', 'c']);
      expect(queue.size).toBe(0);
      expect(host.armed).toEqual([]);
    });

    test('when it removes the last live timer and adds a new one, the new one fires, on one host timer', () => {
      // Arrange
      const host = fakeHost();
      const queue = new TimerQueue(host, MAX);
      const fired: string[] = [];
      queue.add(() => {
        fired.push('a');
        queue.remove(b);
        queue.add(() => fired.push('c'), 5);
      }, 10);
      const b = queue.add(() => fired.push('b'), 10);
      // Act
      host.advance(10);
      // Assert
      expect(queue.size).toBe(1);
      expect(host.armed).toEqual([{ at: 15 }]);
      host.advance(5);
      expect(fired).toEqual(['a', 'c']);
      expect(host.armed).toEqual([]);
    });

    test('when it removes itself, nothing else changes', () => {
      const host = fakeHost();
      const queue = new TimerQueue(host, MAX);
      const fired: string[] = [];
      const self = queue.add(() => {
        fired.push('self');
        queue.remove(self);
      }, 10);
      queue.add(() => fired.push('next'), 10);
      queue.add(() => fired.push('later'), 20);
      host.advance(10);
      expect(fired).toEqual(['self', 'next']);
      expect(queue.size).toBe(1);
      host.advance(10);
      expect(fired).toEqual(['self', 'next', 'later']);
      expect(host.armed).toEqual([]);
    });

    test('when it removes two of every three timers, some due in the same turn, the rest fire in order', () => {
      // Arrange: the remover is set first, so it fires first among the timers due at 0.
      const host = fakeHost();
      const queue = new TimerQueue(host, MAX);
      const fired: number[] = [];
      const handles: QueuedTimer[] = [];
      queue.add(() => {
        for (let i = 0; i < 300; i++) if (i % 3 !== 0) queue.remove(handles[i]);
      }, 0);
      const delayOf = (i: number): number => (i * 7919) % 100;
      for (let i = 0; i < 300; i++) handles.push(queue.add(() => fired.push(i), delayOf(i)));
      // Act
      host.advance(0);
      // Assert
      expect(fired).toEqual([0]); // 100 and 200, also due at 0, were removed
      expect(queue.size).toBe(99);
      host.advance(100);
      const kept = Array.from({ length: 100 }, (_, k) => k * 3);
      expect(fired).toEqual(kept.sort((a, b) => delayOf(a) - delayOf(b) || a - b));
      expect(host.armed).toEqual([]);
    });
  });

  describe('should ignore handles it does not hold', () => {
    test('when a timer is removed twice, after firing, or is not one of its own', () => {
      const host = fakeHost();
      const queue = new TimerQueue(host, MAX);
      const other = new TimerQueue(fakeHost(), MAX);
      const fired: number[] = [];
      const once = queue.add(() => fired.push(1), 10);
      const kept = queue.add(() => fired.push(2), 20);
      host.advance(10);
      queue.remove(once);
      queue.remove(other.add(noop, 5));
      for (const junk of [undefined, null, 42, 'timer', {}, { index: 0 }]) queue.remove(junk);
      expect(queue.size).toBe(1);
      queue.remove(kept);
      queue.remove(kept);
      host.advance(100);
      expect(fired).toEqual([1]);
    });
  });

  describe('should fire the timers left after mass removal', () => {
    test('when all but every tenth of 1000 timers are removed, in an order unlike their due times', () => {
      // Arrange
      const host = fakeHost();
      const queue = new TimerQueue(host, MAX);
      const fired: number[] = [];
      const handles = Array.from({ length: 1000 }, (_, i) => queue.add(() => fired.push(i), (i * 7919) % 1000));
      // Act
      for (let i = 999; i >= 0; i--) if (i % 10 !== 0) queue.remove(handles[i]);
      host.advance(1000);
      // Assert
      const kept = Array.from({ length: 100 }, (_, k) => k * 10);
      expect(fired).toEqual(kept.sort((a, b) => ((a * 7919) % 1000) - ((b * 7919) % 1000) || a - b));
      expect(queue.size).toBe(0);
      expect(host.armed.length).toBe(0);
    });
  });

  describe('should agree with a sorted list', () => {
    test.prop([fc.array(fc.oneof(addOp, removeOp, advanceOp), { maxLength: 200 })])('when timers are added, removed and time moves on', (ops) => {
      // Arrange
      const host = fakeHost();
      const queue = new TimerQueue(host, MAX);
      const fired: number[] = [];
      const model: { id: number; at: number; seq: number }[] = [];
      const expected: number[] = [];
      const handles: unknown[] = [];
      let seq = 0;
      // Act
      for (const op of ops) {
        if (op.type === 'add') {
          const id = handles.length;
          handles.push(queue.add(() => fired.push(id), op.delayMs));
          model.push({ id, at: host.time + op.delayMs, seq: seq++ });
        } else if (op.type === 'remove') {
          const id = handles.length === 0 ? -1 : op.pick % handles.length;
          if (id >= 0) queue.remove(handles[id]);
          const index = model.findIndex((t) => t.id === id);
          if (index >= 0) model.splice(index, 1);
        } else {
          const target = host.time + op.ms;
          host.advance(op.ms);
          const due = model.filter((t) => t.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq);
          expected.push(...due.map((t) => t.id));
          for (const t of due) model.splice(model.indexOf(t), 1);
        }
      }
      // Assert
      expect(fired).toEqual(expected);
      expect(queue.size).toBe(model.length);
      expect(host.armed.length).toBe(model.length > 0 ? 1 : 0);
    });
  });
});

// Helpers

const MAX = 2 ** 31 - 1;
const noop = (): void => {};

const addOp = fc.record({ type: fc.constant('add' as const), delayMs: fc.integer({ min: 0, max: 100 }) });
const removeOp = fc.record({ type: fc.constant('remove' as const), pick: fc.nat() });
const advanceOp = fc.record({ type: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 60 }) });

interface FakeHost extends HostTimers {
  /** Host time, which now() reads. */
  time: number;
  /** Host timers armed and not yet fired or cleared, with when they fire. */
  readonly armed: { at: number }[];
  sets: number;
  /** Host timer callbacks run so far. */
  turns: number;
  /** Set when the timer functions are replaced (as by test fakes); the next setTimeout is on the new ones. */
  swapped: boolean;
  /** Moves host time on by `ms`, firing each armed host timer that falls due, in turn. */
  advance(ms: number): void;
  /** Loses every armed host timer without firing it (as `vi.clearAllTimers()` does). */
  drop(): void;
}

/** A host with virtual time; it fires its timers when due, or `earlyMs` before. */
function fakeHost(earlyMs = 0): FakeHost {
  const timers = new Map<object, { at: number; callback: () => void }>();
  const host: FakeHost = {
    time: 0,
    sets: 0,
    turns: 0,
    swapped: false,
    now: () => host.time,
    lost: () => host.swapped,
    get armed() {
      return [...timers.values()].map(({ at }) => ({ at }));
    },
    setTimeout(callback, delayMs) {
      const handle = {};
      host.sets++;
      host.swapped = false;
      timers.set(handle, { at: host.time + delayMs - earlyMs, callback });
      return handle;
    },
    clearTimeout(handle) {
      timers.delete(handle as object);
    },
    advance(ms) {
      const target = host.time + ms;
      for (;;) {
        const next = [...timers].filter(([, t]) => t.at <= target).sort(([, a], [, b]) => a.at - b.at)[0];
        if (!next) break;
        timers.delete(next[0]);
        host.time = Math.max(host.time, next[1].at);
        host.turns++;
        next[1].callback();
      }
      host.time = Math.max(host.time, target);
    },
    drop: () => timers.clear(),
  };
  return host;
}
