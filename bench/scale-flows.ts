/**
 * Suite 1 (scale): one pending device-flow poll, written once per
 * alternative. Every flow polls the same in-memory transport, which always
 * answers `authorization_pending`, every {@link SCALE_INTERVAL_MS} on the real
 * clock, until it is cancelled. bench/scale.ts holds many of them at once.
 *
 * Two groups, like for like: with an AbortController per flow (each
 * alternative cancelled through its caller's signal), and without one (each
 * cancelled through its own cancel function: tokenpoll's `cancel()`, a
 * clearable wait for p-retry and the hand loop).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pRetry from 'p-retry';
import { pollToken, type PollHandle, type TokenOutcome } from '../src/index.js';

/** The RFC 8628 default interval. */
export const SCALE_INTERVAL_MS = 5_000;

/** The event-loop delay sampling interval (ms). */
export const LOOP_DELAY_RESOLUTION_MS = 10;

const PENDING: TokenOutcome = Object.freeze({ type: 'authorization_pending' });
/** One error reused for every pending answer, so the retry library is not charged for stack captures. */
const PENDING_ERROR = new Error('authorization_pending');

/** Transport calls so far, across every flow in the process. */
export let polls = 0;

/** The in-memory transport every alternative calls: answers pending, one microtask later. */
function pendingTransport(): Promise<TokenOutcome> {
  polls++;
  return Promise.resolve(PENDING);
}

/** One flow just started: what cancels it (its handle, its AbortController or its cancel function), and its result. */
export interface StartedFlow {
  readonly cancellable: object;
  readonly result: PromiseLike<unknown>;
}

export interface ScaleAlternative {
  readonly label: string;
  readonly note: string;
  /** Whether each flow has an AbortController (the caller's signal), whose abort listeners are then counted. */
  readonly signal: boolean;
  /** Starts one flow. The harness holds `cancellable` and `result`, and awaits `result` at once, as a caller would. */
  start(): StartedFlow;
  /** Cancels a flow through what `start` returned as `cancellable`. */
  cancel(cancellable: object): void;
}

/**
 * Every flow is cancelled with this one reason, as a service shutting down
 * would do. Without it, each abort would also build a `DOMException` (the
 * platform's default reason), which costs more than settling a flow.
 */
export const SHUTDOWN = new Error('shutting down');

const abortController = (controller: object): void => (controller as AbortController).abort(SHUTDOWN);

/**
 * A wait that can be cut short without an AbortController: what a hand-written
 * poller keeps to cancel itself. `wait` resolves true when the time is up,
 * false once cancelled; `cancel` clears the timer.
 */
class ClearableWait {
  #timer: ReturnType<typeof setTimeout> | undefined = undefined;
  #wake: ((elapsed: boolean) => void) | undefined = undefined;
  #cancelled = false;

  wait(ms: number): Promise<boolean> {
    if (this.#cancelled) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      this.#wake = resolve;
      this.#timer = setTimeout(this.#elapsed, ms);
    });
  }

  cancel(): void {
    this.#cancelled = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#wake?.(false);
    this.#wake = undefined;
  }

  readonly #elapsed = (): void => {
    this.#timer = undefined;
    this.#wake?.(true);
    this.#wake = undefined;
  };
}

const cancelWait = (wait: object): void => (wait as ClearableWait).cancel();

export const SCALE_ALTERNATIVES = {
  tokenpollSignal: {
    label: 'tokenpoll `pollToken`, `signal`',
    note: 'pollToken on the system clock with one AbortController per flow passed as `signal`; cancelled by aborting the controller.',
    signal: true,
    start() {
      const controller = new AbortController();
      return { cancellable: controller, result: startPoll(controller.signal).result };
    },
    cancel: abortController,
  },
  pRetrySignal: {
    label: 'p-retry 7, `signal`',
    note: "pRetry(attempt, { retries: Infinity, minTimeout: 5000, factor: 1, randomize: false, signal }): p-retry's own wait, on a host timer; the attempt throws one shared Error on pending. Cancelled by aborting the controller.",
    signal: true,
    start() {
      const controller = new AbortController();
      const result = pRetry(pendingAttempt, { retries: Number.POSITIVE_INFINITY, minTimeout: SCALE_INTERVAL_MS, factor: 1, randomize: false, signal: controller.signal });
      return { cancellable: controller, result };
    },
    cancel: abortController,
  },
  handLoopSignal: {
    label: 'hand-written loop, `signal`',
    note: '`await setTimeout(5000, undefined, { signal })` from node:timers/promises, call the transport, switch on the answer. Cancelled by aborting the controller.',
    signal: true,
    start() {
      const controller = new AbortController();
      return { cancellable: controller, result: handLoopWithSignal(controller.signal) };
    },
    cancel: abortController,
  },
  tokenpollCancel: {
    label: 'tokenpoll `pollToken`, `cancel()`',
    note: 'pollToken on the system clock, no AbortController; cancelled through the handle (`poll.cancel(reason)`).',
    signal: false,
    start() {
      const poll = startPoll();
      return { cancellable: poll, result: poll.result };
    },
    cancel: (poll) => (poll as PollHandle).cancel(SHUTDOWN),
  },
  pRetryCancel: {
    label: 'p-retry 7, clearable wait',
    note: "pRetry(attempt, { retries: Infinity, minTimeout: 0, shouldRetry }), where shouldRetry waits the interval on a clearable host timer (p-retry's hook for a wait of your own, as tokenpoll's one-shot retry uses it); no AbortController. Cancelled by clearing the wait, which makes shouldRetry answer false.",
    signal: false,
    start() {
      const wait = new ClearableWait();
      const result = pRetry(pendingAttempt, { retries: Number.POSITIVE_INFINITY, minTimeout: 0, shouldRetry: () => wait.wait(SCALE_INTERVAL_MS) });
      return { cancellable: wait, result };
    },
    cancel: cancelWait,
  },
  handLoopCancel: {
    label: 'hand-written loop, clearable wait',
    note: 'the same loop, waiting on a clearable host timer instead of a signal; no AbortController. Cancelled by clearing the wait.',
    signal: false,
    start() {
      const wait = new ClearableWait();
      return { cancellable: wait, result: handLoopWithWait(wait) };
    },
    cancel: cancelWait,
  },
  abortController: {
    label: 'reference: one AbortController each, nothing else',
    note: 'what a caller-side AbortController, its signal and one abort listener weigh on their own, for reading the `signal` rows.',
    signal: true,
    start() {
      const controller = new AbortController();
      const result = new Promise<void>((resolve) => controller.signal.addEventListener('abort', () => resolve(), { once: true }));
      return { cancellable: controller, result };
    },
    cancel: abortController,
  },
} as const satisfies Record<string, ScaleAlternative>;

export type ScaleAlternativeKey = keyof typeof SCALE_ALTERNATIVES;

function startPoll(signal?: AbortSignal): PollHandle {
  return pollToken({ transport: pendingTransport, intervalSeconds: SCALE_INTERVAL_MS / 1000, expiresInSeconds: 3600, signal });
}

async function pendingAttempt(): Promise<never> {
  const answer = await pendingTransport();
  throw answer.type === 'authorization_pending' ? PENDING_ERROR : new Error(answer.type);
}

async function handLoopWithSignal(signal: AbortSignal): Promise<void> {
  for (;;) {
    await sleep(SCALE_INTERVAL_MS, undefined, { signal });
    const answer = await pendingTransport();
    if (answer.type !== 'authorization_pending') return;
  }
}

async function handLoopWithWait(wait: ClearableWait): Promise<void> {
  while (await wait.wait(SCALE_INTERVAL_MS)) {
    const answer = await pendingTransport();
    if (answer.type !== 'authorization_pending') return;
  }
  throw SHUTDOWN;
}
