/**
 * Suite 5 (virtual-time throughput): one whole 15-minute device flow, on
 * virtual time, written once per alternative. The server never answers
 * anything but `authorization_pending`, so every flow sends its 179 polls (at
 * 5 s, 10 s, … 895 s) and ends expired at the 900 s deadline; each alternative
 * checks that it did. throughput.bench.ts runs them; the section of
 * RESULTS.md counts whole flows per second.
 */
import { createConfig, ExpiredTokenError, pollToken, type TokenOutcome, type TokenRequestContext } from '../src/index.js';
import { ManualClock, simulateFlow } from '../src/testing.js';
import { VirtualClock } from './virtual-clock.js';

const INTERVAL_SECONDS = 5;
const EXPIRES_IN_SECONDS = 900;
/** Polls in one flow: one every 5 s, none at or after the deadline. */
export const FLOW_POLLS = Math.ceil(EXPIRES_IN_SECONDS / INTERVAL_SECONDS) - 1;
const DEADLINE_MS = EXPIRES_IN_SECONDS * 1000;

const PENDING: TokenOutcome = Object.freeze({ type: 'authorization_pending' });
const SCRIPT: readonly TokenOutcome[] = [PENDING];
const CONFIG = createConfig({ interval: INTERVAL_SECONDS, expiresIn: EXPIRES_IN_SECONDS });
const NEVER_ABORTED = new AbortController().signal;

export interface ThroughputScenario {
  /** The bench() name; the report finds samples by it. */
  readonly name: string;
  readonly label: string;
  readonly note: string;
  /** Whole flows run by one bench() iteration. */
  readonly flowsPerIteration: number;
}

export const THROUGHPUT_SCENARIOS = {
  simulateFlow: {
    name: 'simulateFlow (tokenpoll/testing)',
    label: 'tokenpoll `simulateFlow` (testing kit)',
    note: 'the pure state machine driven synchronously by simulateFlow: no driver, promises or timers. What property tests use.',
    flowsPerIteration: 100,
  },
  handSimulation: {
    name: 'hand-written simulation (plain loop)',
    label: 'hand-written simulation, a plain `for` loop',
    note: 'the floor: a synchronous loop that adds the interval, counts a request, reads the answer and stops at the deadline, with no events, states or configuration.',
    flowsPerIteration: 1000,
  },
  pollTokenVirtual: {
    name: 'pollToken on VirtualClock',
    label: 'tokenpoll `pollToken`, VirtualClock',
    note: 'the whole driver (events, result promise, classifier, timers) on the bench clock that jumps to its next timer after a few quiet microtask turns.',
    flowsPerIteration: 10,
  },
  pollTokenManual: {
    name: 'pollToken on ManualClock.runUntilSettled',
    label: 'tokenpoll `pollToken`, ManualClock.runUntilSettled',
    note: 'the driver as the test suite runs it: one `setImmediate` turn per timer.',
    flowsPerIteration: 5,
  },
  handLoopVirtual: {
    name: 'hand loop on VirtualClock',
    label: 'hand-written async loop, VirtualClock',
    note: 'await sleep(interval), await the transport, switch on the answer, stop at the deadline: the async loop an application would write, on the same clock as pollToken.',
    flowsPerIteration: 10,
  },
} as const satisfies Record<string, ThroughputScenario>;

export type ThroughputKey = keyof typeof THROUGHPUT_SCENARIOS;

/** The order of rows in RESULTS.md; ratios are against the first. */
export const THROUGHPUT_ORDER: readonly ThroughputKey[] = ['simulateFlow', 'handSimulation', 'pollTokenVirtual', 'pollTokenManual', 'handLoopVirtual'];

function check(what: string, polls: number, endedAt: number): void {
  if (polls !== FLOW_POLLS || endedAt !== DEADLINE_MS) throw new Error(`${what}: ${polls} polls, ended at ${endedAt} ms; expected ${FLOW_POLLS} polls, ended at ${DEADLINE_MS} ms`);
}

export function simulateFlowOnce(): void {
  const { state, requests } = simulateFlow({ config: CONFIG, script: SCRIPT });
  if (state.status !== 'expired') throw new Error(`simulateFlow: ended ${state.status}`);
  check('simulateFlow', requests.length, state.at);
}

export function handSimulationOnce(): void {
  let now = 0;
  let floorMs = INTERVAL_SECONDS * 1000;
  let polls = 0;
  for (;;) {
    if (now + floorMs >= DEADLINE_MS) break;
    now += floorMs;
    polls++;
    const answer = SCRIPT[Math.min(polls - 1, SCRIPT.length - 1)]!;
    if (answer.type === 'slow_down') floorMs += 5000;
    else if (answer.type !== 'authorization_pending') throw new Error(`hand simulation: ${answer.type}`);
  }
  check('hand simulation', polls, DEADLINE_MS);
}

function countingTransport(): { (context: TokenRequestContext): Promise<TokenOutcome>; calls: number } {
  const transport = Object.assign((_context: TokenRequestContext) => (transport.calls++, Promise.resolve(PENDING)), { calls: 0 });
  return transport;
}

export async function pollTokenVirtualOnce(): Promise<void> {
  const clock = new VirtualClock();
  const transport = countingTransport();
  const poll = pollToken({ transport, clock, intervalSeconds: INTERVAL_SECONDS, expiresInSeconds: EXPIRES_IN_SECONDS });
  const error = await poll.result.then(() => undefined, (reason: unknown) => reason);
  if (!(error instanceof ExpiredTokenError)) throw new Error('pollToken (VirtualClock): did not expire');
  check('pollToken (VirtualClock)', transport.calls, clock.now());
}

export async function pollTokenManualOnce(): Promise<void> {
  const clock = new ManualClock();
  const transport = countingTransport();
  const poll = pollToken({ transport, clock, intervalSeconds: INTERVAL_SECONDS, expiresInSeconds: EXPIRES_IN_SECONDS });
  const settled = await clock.runUntilSettled(poll.result, { maxSteps: FLOW_POLLS * 2 + 10 });
  if (settled.status !== 'rejected' || !(settled.reason instanceof ExpiredTokenError)) throw new Error('pollToken (ManualClock): did not expire');
  check('pollToken (ManualClock)', transport.calls, clock.now());
}

export async function handLoopVirtualOnce(): Promise<void> {
  const clock = new VirtualClock();
  const transport = countingTransport();
  const deadlineAt = clock.now() + DEADLINE_MS;
  let floorMs = INTERVAL_SECONDS * 1000;
  for (let attempt = 1; ; attempt++) {
    // No request at or after the deadline: a wait that would cross it ends there.
    if (clock.now() + floorMs >= deadlineAt) {
      await clock.sleep(deadlineAt - clock.now());
      break;
    }
    await clock.sleep(floorMs);
    const answer = await transport({ signal: NEVER_ABORTED, attempt });
    if (answer.type === 'slow_down') floorMs += 5000;
    else if (answer.type !== 'authorization_pending') throw new Error(`hand loop: ${answer.type}`);
  }
  check('hand loop (VirtualClock)', transport.calls, clock.now());
}
