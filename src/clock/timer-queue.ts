/**
 * The host's timers, as a {@link TimerQueue} uses them: one timer at a time.
 * @internal
 */
export interface HostTimers {
  /** Monotonic milliseconds, with their fraction: a timer is due once this reaches its time. */
  now(): number;
  /** Arms one timer; `delayMs` is already capped and never negative. */
  setTimeout(callback: () => void, delayMs: number): unknown;
  /** Disarms a timer returned by `setTimeout`. */
  clearTimeout(timer: unknown): void;
  /**
   * Whether the armed timer may never fire: the timer functions that set it
   * were replaced since (test fakes installed or removed).
   */
  lost(): boolean;
}

/** One timer waiting in a {@link TimerQueue}; the handle its `add` returns. @internal */
export interface QueuedTimer {
  /** When it is due, on the host's monotonic clock. */
  readonly at: number;
}

/** A timer as the queue keeps it. */
interface Entry extends QueuedTimer {
  readonly at: number;
  /** Creation order, so timers due at the same time fire in the order they were set. */
  readonly seq: number;
  /**
   * What to call; `undefined` once fired or removed. An entry is in the heap
   * while it has one (a removed one may stay there until it surfaces).
   */
  callback: (() => void) | undefined;
}

type EntryClass = new (at: number, seq: number, callback: () => void) => Entry;

/**
 * A class of entries for one queue: `remove` tells its own entries from
 * another queue's with `instanceof`, and the entries need no field for it.
 */
function entryClass(): EntryClass {
  return class {
    readonly at: number;
    readonly seq: number;
    callback: (() => void) | undefined;
    constructor(at: number, seq: number, callback: () => void) {
      this.at = at;
      this.seq = seq;
      this.callback = callback;
    }
  };
}

/**
 * How long one host timer callback may run due timers before it yields to the
 * event loop (I/O, promise callbacks) and carries on in a later turn. It bounds
 * the event-loop delay when many timers fall due at once. The time is read
 * after every 64th callback (a read costs about 40 ns, a few percent of a
 * poll's callback), so a turn runs at least 64 due timers (if that many are
 * due), and up to 63 more once the slice is over.
 */
const SLICE_MS = 5;
/** Callbacks between two reads of the time: a power of two, as a mask. */
const SLICE_CHECK_MASK = 63;

/**
 * How late the host timer may be before the queue takes it for lost (test
 * fakes cleared it) and arms another: far beyond a busy event loop's usual
 * lag, far below a wait anyone would notice. A host timer that is only late
 * costs one needless re-arm at most every so often.
 */
const LOST_AFTER_MS = 50;

/**
 * Many timers on one host timer: a binary min-heap of due times, and a single
 * host timer armed for the earliest. Adding a timer is O(log n) and allocates
 * one small entry, where a host timer costs an object, a list node and a
 * native handle each. Removing one is O(1): the entry is marked and skipped
 * when it reaches the top, and the heap is compacted once removed entries
 * outnumber live ones (so cancelling 100,000 flows does not sift the heap
 * 100,000 times, and between turns the heap never holds more than twice its
 * live timers).
 * The host timer is disarmed as soon as no live timer is left, so an idle
 * queue holds nothing alive. A host timer that may never fire (test fakes
 * removed or cleared it) is replaced when the next timer is added.
 *
 * A timer is due `delayMs` after the host's time when it was added, fraction
 * included, and fires once the host's time reaches that: never before its
 * delay has passed, even when the host timer fires early (Node's timers count
 * whole milliseconds of a loop time that lags behind).
 *
 * Timers due at the same time fire in the order they were set. A callback runs
 * synchronously after the previous one, without a microtask checkpoint in
 * between (Node runs one between its own timers). A timer set by a callback
 * for a time already due fires on a later turn, never in the same one.
 * @internal
 */
export class TimerQueue {
  readonly #host: HostTimers;
  readonly #maxDelayMs: number;
  readonly #heap: Entry[] = [];
  readonly #Entry: EntryClass = entryClass();
  /** Entries in the heap not yet removed. */
  #live = 0;
  #seq = 0;
  #hostTimer: unknown = undefined;
  /** When the host timer is due (the host should fire it within 1 ms after); +Infinity while none is armed. */
  #hostAt = Number.POSITIVE_INFINITY;
  /** Set while due timers run: the host timer is armed once, when they are done. */
  #firing = false;

  /**
   * @param host - The host's timers.
   * @param maxDelayMs - The longest delay the host honours; longer waits are taken in steps.
   */
  constructor(host: HostTimers, maxDelayMs: number) {
    this.#host = host;
    this.#maxDelayMs = maxDelayMs;
  }

  /** Timers waiting. */
  get size(): number {
    return this.#live;
  }

  /** Calls `callback` once, `delayMs` from now (0 for a negative or NaN delay). */
  add(callback: () => void, delayMs: number): QueuedTimer {
    const now = this.#host.now();
    const entry = new this.#Entry(now + (delayMs > 0 ? delayMs : 0), this.#seq++, callback);
    this.#live++;
    this.#up(this.#heap.push(entry) - 1);
    if (!this.#firing && (entry.at < this.#hostAt || this.#hostLost(now))) this.#arm();
    return entry;
  }

  /** Cancels a timer that `add` returned; does nothing if it already fired, was removed, or is not one of this queue's. */
  remove(timer: unknown): void {
    if (!(timer instanceof this.#Entry) || timer.callback === undefined) return;
    const heap = this.#heap;
    // Marked, not sifted out: #fire skips it, and the heap is compacted once half of it is removed entries.
    timer.callback = undefined;
    this.#live--;
    // An emptied queue lets go of its host timer; otherwise an early wake-up just re-arms it.
    if (this.#live === 0) this.#clear();
    else if (this.#live * 2 < heap.length && !this.#firing) this.#compact();
  }

  readonly #fire = (): void => {
    this.#hostTimer = undefined;
    this.#hostAt = Number.POSITIVE_INFINITY;
    const heap = this.#heap;
    const host = this.#host;
    const now = host.now();
    // Timers set from here on wait for a later turn, even when already due.
    const seqLimit = this.#seq;
    const sliceEnd = now + SLICE_MS;
    let fired = 0;
    this.#firing = true;
    try {
      for (let top = heap[0]; top && top.at <= now && top.seq < seqLimit; top = heap[0]) {
        this.#pop();
        const callback = top.callback;
        if (callback === undefined) continue;
        top.callback = undefined;
        this.#live--;
        callback();
        if ((++fired & SLICE_CHECK_MASK) === 0 && host.now() > sliceEnd) break;
      }
    } finally {
      // Re-armed even when a callback threw: the error goes to the host, the other timers still fire.
      this.#firing = false;
      if (this.#live === 0) this.#clear();
      else {
        if (this.#live * 2 < heap.length) this.#compact();
        this.#arm();
      }
    }
  };

  /**
   * Whether the armed host timer may never fire: overdue by far (cleared
   * behind the queue's back), or set on timer functions since replaced.
   */
  #hostLost(now: number): boolean {
    return this.#hostTimer !== undefined && (now > this.#hostAt + LOST_AFTER_MS || this.#host.lost());
  }

  /** Arms the host timer for the earliest timer, replacing any armed for later, or lost. */
  #arm(): void {
    const first = this.#heap[0]!;
    if (this.#hostTimer !== undefined) this.#host.clearTimeout(this.#hostTimer);
    const now = this.#host.now();
    const delayMs = Math.min(Math.max(0, Math.ceil(first.at - now)), this.#maxDelayMs);
    // The earliest timer's due time (now, if that has passed), or the end of a step.
    this.#hostAt = Math.min(Math.max(first.at, now), now + delayMs);
    this.#hostTimer = this.#host.setTimeout(this.#fire, delayMs);
  }

  #disarm(): void {
    if (this.#hostTimer !== undefined) this.#host.clearTimeout(this.#hostTimer);
    this.#hostTimer = undefined;
    this.#hostAt = Number.POSITIVE_INFINITY;
  }

  /** Drops every entry (all removed) and the host timer. */
  #clear(): void {
    this.#heap.length = 0;
    this.#disarm();
  }

  /** Drops the removed entries and rebuilds the heap from the live ones: O(n), so O(1) per removal. */
  #compact(): void {
    const heap = this.#heap;
    let kept = 0;
    for (const entry of heap) if (entry.callback !== undefined) heap[kept++] = entry;
    heap.length = kept;
    for (let i = (kept >> 1) - 1; i >= 0; i--) this.#down(i);
  }

  /** Removes the earliest timer. */
  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    heap[0] = last;
    this.#down(0);
  }

  #up(index: number): void {
    const heap = this.#heap;
    const entry = heap[index]!;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = heap[parentIndex]!;
      if (!before(entry, parent)) break;
      heap[index] = parent;
      index = parentIndex;
    }
    heap[index] = entry;
  }

  #down(index: number): void {
    const heap = this.#heap;
    const length = heap.length;
    const entry = heap[index]!;
    for (;;) {
      let child = 2 * index + 1;
      if (child >= length) break;
      if (child + 1 < length && before(heap[child + 1]!, heap[child]!)) child++;
      const smallest = heap[child]!;
      if (!before(smallest, entry)) break;
      heap[index] = smallest;
      index = child;
    }
    heap[index] = entry;
  }
}

function before(a: Entry, b: Entry): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
