/**
 * One device-flow poll of `polls` attempts, written once per alternative.
 * Every flow uses the same in-memory transport (answers
 * `authorization_pending` polls-1 times, then `success`), makes exactly
 * `polls` transport calls, and checks that it did; the waiting alternatives
 * also check the virtual time they ended at, so a timer fired out of turn fails the run.
 */
import { ConstantBackoff, handleAll, retry as cockatielRetry } from 'cockatiel';
import pRetry from 'p-retry';
import {
  createConfig,
  initialState,
  pollToken,
  transition,
  type PollConfig,
  type PollState,
  type TokenOutcome,
  type TokenRequestContext,
  type TokenSet,
  type Transition,
} from '../src/index.js';
import { ManualClock } from '../src/testing.js';
import { VirtualClock } from './virtual-clock.js';

const SLOW_DOWN_INCREMENT_MS = 5_000;
const EXPIRES_IN_SECONDS = 3_600;

const TOKEN: TokenSet = Object.freeze({ accessToken: 'x', raw: Object.freeze({}) }) as TokenSet;
const PENDING: TokenOutcome = Object.freeze({ type: 'authorization_pending' });
const SUCCESS: TokenOutcome = Object.freeze({ type: 'success', token: TOKEN });
/** One error reused for every pending answer, so the retry libraries are not charged for stack captures. */
const PENDING_ERROR = new Error('authorization_pending');
const NEVER_ABORTED = new AbortController().signal;

/** The in-memory transport: answers one microtask turn later, like any already-resolved promise. */
export interface CountingTransport {
  (context: TokenRequestContext): Promise<TokenOutcome>;
  readonly calls: () => number;
}

export function pendingThenSuccess(polls: number): CountingTransport {
  let calls = 0;
  const transport = (_context: TokenRequestContext): Promise<TokenOutcome> =>
    Promise.resolve(++calls < polls ? PENDING : SUCCESS);
  return Object.assign(transport, { calls: () => calls });
}

function check(what: string, transport: CountingTransport, polls: number, token: unknown, endedAt?: number, expectedAt?: number): void {
  if (token !== TOKEN) throw new Error(`${what}: did not deliver the token`);
  if (transport.calls() !== polls) throw new Error(`${what}: ${transport.calls()} transport calls, expected ${polls}`);
  if (endedAt !== expectedAt) throw new Error(`${what}: ended at virtual ${endedAt} ms, expected ${expectedAt} ms`);
}

// (a) tokenpoll ---------------------------------------------------------------

export async function tokenpollFlow(polls: number, intervalSeconds: number): Promise<void> {
  const clock = new VirtualClock();
  const transport = pendingThenSuccess(polls);
  const poll = pollToken({ transport, clock, intervalSeconds, expiresInSeconds: EXPIRES_IN_SECONDS });
  const token = await poll.result;
  check('tokenpoll', transport, polls, token, clock.now(), polls * intervalSeconds * 1000);
  const state = poll.state;
  if (state.status !== 'granted' || state.attempt !== polls || clock.pendingTimers !== 0) throw new Error('tokenpoll: unexpected final state');
}

export async function tokenpollManualClockFlow(polls: number, intervalSeconds: number): Promise<void> {
  const clock = new ManualClock();
  const transport = pendingThenSuccess(polls);
  const poll = pollToken({ transport, clock, intervalSeconds, expiresInSeconds: EXPIRES_IN_SECONDS });
  const settled = await clock.runUntilSettled(poll.result, { maxSteps: polls * 2 + 10 });
  if (settled.status !== 'fulfilled') throw new Error('tokenpoll (ManualClock): rejected');
  check('tokenpoll (ManualClock)', transport, polls, settled.value, clock.now(), polls * intervalSeconds * 1000);
}

let transitionSink: PollState<TokenSet> = initialState;

/** The pure core: the two transitions a poll costs (timer fires → request; answer → wait), with no driver. */
export function transitionFlow(polls: number, config: PollConfig): void {
  let step: Transition<TokenSet> = transition<TokenSet>(initialState, { type: 'start', now: 0 }, config);
  let now = 0;
  for (let i = 1; i <= polls; i++) {
    now = nextWakeUp(step);
    step = transition(step.state, { type: 'timerFired', now, random: 0.5 }, config);
    step = transition(step.state, { type: 'responseReceived', now, outcome: i < polls ? PENDING : SUCCESS, random: 0.5 }, config);
  }
  const state = step.state;
  if (state.status !== 'granted' || state.attempt !== polls || state.at !== polls * config.intervalMs) {
    throw new Error(`transition(): ended ${state.status}`);
  }
  transitionSink = state;
}

function nextWakeUp(step: Transition<TokenSet>): number {
  const effects = step.effects;
  for (let i = effects.length - 1; i >= 0; i--) {
    const effect = effects[i]!;
    if (effect.type === 'schedule') return effect.at;
  }
  throw new Error('transition(): no schedule effect');
}

export function transitionConfig(intervalSeconds: number): PollConfig {
  return createConfig({ interval: intervalSeconds, expiresIn: EXPIRES_IN_SECONDS });
}

/** Keeps the last transition() result observable, so the loop cannot be optimised away. */
export function transitionResult(): PollState<TokenSet> {
  return transitionSink;
}

// (b) hand-written loop --------------------------------------------------------

/**
 * What a careful hand-written poller does: wait the interval, ask, switch on
 * the answer, raise the floor by 5 s on slow_down. One signal for the whole flow.
 */
async function handLoop(transport: CountingTransport, sleep: (ms: number) => Promise<void>, intervalMs: number): Promise<TokenSet> {
  let floorMs = intervalMs;
  for (let attempt = 1; ; attempt++) {
    await sleep(floorMs);
    const answer = await transport({ signal: NEVER_ABORTED, attempt });
    switch (answer.type) {
      case 'success':
        return answer.token;
      case 'authorization_pending':
        break;
      case 'slow_down':
        floorMs += SLOW_DOWN_INCREMENT_MS;
        break;
      default:
        throw new Error(`poll failed: ${answer.type}`);
    }
  }
}

export async function handLoopFlow(polls: number, intervalSeconds: number): Promise<void> {
  const clock = new VirtualClock();
  const transport = pendingThenSuccess(polls);
  const token = await handLoop(transport, (ms) => clock.sleep(ms), intervalSeconds * 1000);
  check('hand loop', transport, polls, token, clock.now(), polls * intervalSeconds * 1000);
}

export async function handLoopManualClockFlow(polls: number, intervalSeconds: number): Promise<void> {
  const clock = new ManualClock();
  const transport = pendingThenSuccess(polls);
  const sleep = (ms: number): Promise<void> => new Promise<void>((resolve) => void clock.setTimeout(resolve, ms));
  const settled = await clock.runUntilSettled(handLoop(transport, sleep, intervalSeconds * 1000), { maxSteps: polls + 10 });
  if (settled.status !== 'fulfilled') throw new Error('hand loop (ManualClock): rejected');
  check('hand loop (ManualClock)', transport, polls, settled.value, clock.now(), polls * intervalSeconds * 1000);
}

/** The hand loop with no wait at all, to compare like for like with p-retry at minTimeout 0. */
export async function handLoopNoSleepFlow(polls: number): Promise<void> {
  const transport = pendingThenSuccess(polls);
  const token = await handLoop(transport, noSleep, 1000);
  check('hand loop, no sleep', transport, polls, token);
}

const RESOLVED = Promise.resolve();
const noSleep = (_ms: number): Promise<void> => RESOLVED;

// (c) p-retry -----------------------------------------------------------------

/** p-retry with no wait between attempts: its delay is minTimeout·factor^n, there is no way to give it the RFC interval. */
export async function pRetryFlow(polls: number): Promise<void> {
  const transport = pendingThenSuccess(polls);
  const token = await pRetry(
    async (attempt) => {
      const answer = await transport({ signal: NEVER_ABORTED, attempt });
      if (answer.type === 'success') return answer.token;
      throw PENDING_ERROR;
    },
    { retries: polls, minTimeout: 0 },
  );
  check('p-retry', transport, polls, token);
}

/** p-retry as it is usually written: a fresh Error (with its stack capture) for every pending answer. */
export async function pRetryNewErrorFlow(polls: number): Promise<void> {
  const transport = pendingThenSuccess(polls);
  const token = await pRetry(
    async (attempt) => {
      const answer = await transport({ signal: NEVER_ABORTED, attempt });
      if (answer.type === 'success') return answer.token;
      throw new Error('authorization_pending');
    },
    { retries: polls, minTimeout: 0 },
  );
  check('p-retry (new Error)', transport, polls, token);
}

/** p-retry doing the same work as the hand loop: the attempt itself sleeps the interval on the virtual clock. */
export async function pRetrySleepFlow(polls: number, intervalSeconds: number): Promise<void> {
  const clock = new VirtualClock();
  const transport = pendingThenSuccess(polls);
  const intervalMs = intervalSeconds * 1000;
  const token = await pRetry(
    async (attempt) => {
      await clock.sleep(intervalMs);
      const answer = await transport({ signal: NEVER_ABORTED, attempt });
      if (answer.type === 'success') return answer.token;
      throw PENDING_ERROR;
    },
    { retries: polls, minTimeout: 0 },
  );
  check('p-retry + sleep', transport, polls, token, clock.now(), polls * intervalMs);
}

// (d) cockatiel ---------------------------------------------------------------

/** cockatiel: ConstantBackoff(0) still goes through `setTimeout(resolve, 0)`, which Node runs no sooner than 1 ms later. */
export async function cockatielFlow(polls: number): Promise<void> {
  const transport = pendingThenSuccess(polls);
  const policy = cockatielRetry(handleAll, { maxAttempts: polls, backoff: new ConstantBackoff(0) });
  const token = await policy.execute(async ({ signal, attempt }) => {
    const answer = await transport({ signal, attempt: attempt + 1 });
    if (answer.type === 'success') return answer.token;
    throw PENDING_ERROR;
  });
  check('cockatiel', transport, polls, token);
}
