/**
 * Suite 2 (scale): one pending device-flow poll, written once per
 * alternative. Every flow polls the same in-memory transport, which always
 * answers `authorization_pending`, every {@link SCALE_INTERVAL_MS} on the real
 * clock, until it is aborted. bench/scale.ts holds many of them at once.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ConstantBackoff, handleAll, retry as cockatielRetry } from 'cockatiel';
import pRetry from 'p-retry';
import { pollToken, type PollHandle, type TokenOutcome, type TokenRequestContext } from '../src/index.js';

/** The RFC 8628 default interval. */
export const SCALE_INTERVAL_MS = 5_000;

const PENDING: TokenOutcome = Object.freeze({ type: 'authorization_pending' });
/** One error reused for every pending answer, so the retry libraries are not charged for stack captures. */
const PENDING_ERROR = new Error('authorization_pending');

/** Transport calls so far, across every flow in the process. */
export let polls = 0;

/** The in-memory transport every alternative calls: answers pending, one microtask later. */
function pendingTransport(_context?: TokenRequestContext): Promise<TokenOutcome> {
  polls++;
  return Promise.resolve(PENDING);
}

/** One flow just started: what aborts it (its handle or its AbortController), and what settles once it is over. */
export interface StartedFlow {
  readonly abortable: object;
  readonly settled: PromiseLike<unknown>;
}

export interface ScaleAlternative {
  readonly label: string;
  readonly note: string;
  /** Starts one flow. The harness keeps only `abortable`, and awaits `settled` at once, as a caller would. */
  start(): StartedFlow;
  /** Aborts a flow through what `start` returned as `abortable`. */
  abort(abortable: object): void;
}

/**
 * Every flow is aborted with this one reason, as a broker shutting down would
 * do. Without it, each abort would also build a `DOMException` (Node's default
 * reason, and tokenpoll's), which costs more than settling a flow.
 */
export const SHUTDOWN = new Error('shutting down');

const abortController = (controller: object): void => (controller as AbortController).abort(SHUTDOWN);

/** One cockatiel policy for every flow: policies are reusable and stateless between executions. */
let cockatielPolicy: ReturnType<typeof cockatielRetry> | undefined;

export const SCALE_ALTERNATIVES = {
  tokenpollCancel: {
    label: 'tokenpoll `pollToken`, `cancel()`',
    note: 'pollToken on the system clock (its shared timer queue); aborted through the handle (`poll.cancel(reason)`), so there is no AbortController at all.',
    start() {
      const poll = startPoll();
      return { abortable: poll, settled: poll.result };
    },
    abort: (poll) => (poll as PollHandle).cancel(SHUTDOWN),
  },
  tokenpollSignal: {
    label: 'tokenpoll `pollToken`, AbortController each',
    note: 'as above, with one AbortController per flow passed as `signal`, aborted through the controller: like for like with the others.',
    start() {
      const controller = new AbortController();
      return { abortable: controller, settled: startPoll(controller.signal).result };
    },
    abort: abortController,
  },
  tokenpollListener: {
    label: 'tokenpoll, AbortController + a `pending` listener each',
    note: 'as above, plus one `pending` listener per flow, so each flow also holds its event emitter.',
    start() {
      const controller = new AbortController();
      const poll = startPoll(controller.signal).on('pending', onPending);
      return { abortable: controller, settled: poll.result };
    },
    abort: abortController,
  },
  handLoop: {
    label: 'hand-written loop, AbortController each',
    note: "an async loop: `await setTimeout(5000, undefined, { signal })` from node:timers/promises, call the transport, switch on the answer; one AbortController per flow.",
    start() {
      const controller = new AbortController();
      return { abortable: controller, settled: handLoop(controller.signal) };
    },
    abort: abortController,
  },
  pRetry: {
    label: 'p-retry 7, AbortController each',
    note: 'pRetry(attempt, { retries: Infinity, minTimeout: 5000, factor: 1, randomize: false, signal }): the attempt throws one shared Error on pending.',
    start() {
      const controller = new AbortController();
      const settled = pRetry(pRetryAttempt, { retries: Number.POSITIVE_INFINITY, minTimeout: SCALE_INTERVAL_MS, factor: 1, randomize: false, signal: controller.signal });
      return { abortable: controller, settled };
    },
    abort: abortController,
  },
  cockatiel: {
    label: 'cockatiel 3, AbortController each',
    note: 'one shared policy retry(handleAll, { maxAttempts: Infinity, backoff: new ConstantBackoff(5000) }); policy.execute(attempt, signal). Its backoff wait does not listen to the signal, so an aborted flow settles only when its wait ends (up to 5 s later), holding its timer until then.',
    start() {
      cockatielPolicy ??= cockatielRetry(handleAll, { maxAttempts: Number.POSITIVE_INFINITY, backoff: new ConstantBackoff(SCALE_INTERVAL_MS) });
      const controller = new AbortController();
      const settled = cockatielPolicy.execute(pRetryAttempt, controller.signal);
      return { abortable: controller, settled };
    },
    abort: abortController,
  },
  abortController: {
    label: 'reference: one AbortController each, nothing else',
    note: 'what the caller-side AbortController and its signal weigh on their own, for reading the rows above.',
    start() {
      const controller = new AbortController();
      const settled = new Promise<void>((resolve) => controller.signal.addEventListener('abort', () => resolve(), { once: true }));
      return { abortable: controller, settled };
    },
    abort: abortController,
  },
} as const satisfies Record<string, ScaleAlternative>;

export type ScaleAlternativeKey = keyof typeof SCALE_ALTERNATIVES;

function startPoll(signal?: AbortSignal): PollHandle {
  return pollToken({ transport: pendingTransport, intervalSeconds: SCALE_INTERVAL_MS / 1000, expiresInSeconds: 3600, signal });
}

function onPending(): void {}

async function pRetryAttempt(): Promise<never> {
  const answer = await pendingTransport();
  throw answer.type === 'authorization_pending' ? PENDING_ERROR : new Error(answer.type);
}

async function handLoop(signal: AbortSignal): Promise<void> {
  for (;;) {
    await sleep(SCALE_INTERVAL_MS, undefined, { signal });
    const answer = await pendingTransport();
    switch (answer.type) {
      case 'authorization_pending':
        break;
      default:
        return;
    }
  }
}
