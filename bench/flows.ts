/**
 * Suite 3 (CPU per poll): one device-flow poll of `polls` attempts, written
 * once per alternative. Every flow uses the same in-memory transport (answers
 * `authorization_pending` polls-1 times, then `success`), makes exactly
 * `polls` transport calls, and checks that it did; the waiting alternatives
 * also check the virtual time they ended at, so a timer fired out of turn
 * fails the run.
 */
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
import { VirtualClock } from './virtual-clock.js';

const SLOW_DOWN_INCREMENT_MS = 5_000;
const EXPIRES_IN_SECONDS = 3_600;

const TOKEN: TokenSet = Object.freeze({ accessToken: 'x', raw: Object.freeze({}) }) as TokenSet;
const PENDING: TokenOutcome = Object.freeze({ type: 'authorization_pending' });
const SUCCESS: TokenOutcome = Object.freeze({ type: 'success', token: TOKEN });
/** One error reused for every pending answer, so p-retry is not charged for stack captures. */
const PENDING_ERROR = new Error('authorization_pending');
const NEVER_ABORTED = new AbortController().signal;

/** The in-memory transport: answers one microtask turn later, like any already-resolved promise. */
export interface CountingTransport {
  (context: TokenRequestContext): Promise<TokenOutcome>;
  readonly calls: () => number;
}

export function pendingThenSuccess(polls: number): CountingTransport {
  let calls = 0;
  const transport = (_context: TokenRequestContext): Promise<TokenOutcome> => Promise.resolve(++calls < polls ? PENDING : SUCCESS);
  return Object.assign(transport, { calls: () => calls });
}

function check(what: string, transport: CountingTransport, polls: number, token: unknown, endedAt: number, expectedAt: number): void {
  if (token !== TOKEN) throw new Error(`${what}: did not deliver the token`);
  if (transport.calls() !== polls) throw new Error(`${what}: ${transport.calls()} transport calls, expected ${polls}`);
  if (endedAt !== expectedAt) throw new Error(`${what}: ended at virtual ${endedAt} ms, expected ${expectedAt} ms`);
}

/** tokenpoll's driver: pollToken on the virtual clock. */
export async function tokenpollFlow(polls: number, intervalSeconds: number): Promise<void> {
  const clock = new VirtualClock();
  const transport = pendingThenSuccess(polls);
  const poll = pollToken({ transport, clock, intervalSeconds, expiresInSeconds: EXPIRES_IN_SECONDS });
  const token = await poll.result;
  check('tokenpoll', transport, polls, token, clock.now(), polls * intervalSeconds * 1000);
  const state = poll.state;
  if (state.status !== 'granted' || state.attempt !== polls || clock.pendingTimers !== 0) throw new Error('tokenpoll: unexpected final state');
}

let transitionSink: PollState<TokenSet> = initialState;

/** The pure core: the two transitions a poll costs (timer fires → request; answer → wait), with no driver. */
export function transitionFlow(polls: number, config: PollConfig): void {
  let step: Transition<TokenSet> = transition<TokenSet>(initialState, { type: 'start', now: 0 }, config);
  let now = 0;
  for (let attempt = 1; attempt <= polls; attempt++) {
    now = nextWakeUp(step);
    step = transition(step.state, { type: 'timerFired', now, random: 0.5 }, config);
    step = transition(step.state, { type: 'responseReceived', now, attempt, outcome: attempt < polls ? PENDING : SUCCESS, random: 0.5 }, config);
  }
  const state = step.state;
  if (state.status !== 'granted' || state.attempt !== polls || state.at !== polls * config.intervalMs) {
    throw new Error(`transition(): ended ${state.status}`);
  }
  transitionSink = state;
}

function nextWakeUp(step: Transition<TokenSet>): number {
  for (const effect of step.effects) if (effect.type === 'schedule') return effect.at;
  throw new Error('transition(): no schedule effect');
}

export function transitionConfig(intervalSeconds: number): PollConfig {
  return createConfig({ interval: intervalSeconds, expiresIn: EXPIRES_IN_SECONDS });
}

/** Keeps the last transition() result observable, so the loop cannot be optimised away. */
export function transitionResult(): PollState<TokenSet> {
  return transitionSink;
}

/**
 * What a careful hand-written poller does: wait the interval, ask, switch on
 * the answer, raise the floor by 5 s on slow_down.
 */
export async function handLoopFlow(polls: number, intervalSeconds: number): Promise<void> {
  const clock = new VirtualClock();
  const transport = pendingThenSuccess(polls);
  let floorMs = intervalSeconds * 1000;
  let token: TokenSet | undefined;
  for (let attempt = 1; token === undefined; attempt++) {
    await clock.sleep(floorMs);
    const answer = await transport({ signal: NEVER_ABORTED, attempt });
    switch (answer.type) {
      case 'success':
        token = answer.token;
        break;
      case 'authorization_pending':
        break;
      case 'slow_down':
        floorMs += SLOW_DOWN_INCREMENT_MS;
        break;
      default:
        throw new Error(`poll failed: ${answer.type}`);
    }
  }
  check('hand loop', transport, polls, token, clock.now(), polls * intervalSeconds * 1000);
}

/**
 * p-retry with the wait of a poll: `minTimeout: 0`, and `shouldRetry` waits
 * the interval on the virtual clock (p-retry 7 has no delay function; this is
 * the hook tokenpoll's own one-shot retry waits in). The first poll waits in
 * the attempt, as the others wait before theirs.
 */
export async function pRetryFlow(polls: number, intervalSeconds: number): Promise<void> {
  const clock = new VirtualClock();
  const transport = pendingThenSuccess(polls);
  const intervalMs = intervalSeconds * 1000;
  await clock.sleep(intervalMs);
  const token = await pRetry(
    async (attempt) => {
      const answer = await transport({ signal: NEVER_ABORTED, attempt });
      if (answer.type === 'success') return answer.token;
      throw PENDING_ERROR;
    },
    { retries: polls, minTimeout: 0, shouldRetry: () => clock.sleep(intervalMs).then(() => true) },
  );
  check('p-retry', transport, polls, token, clock.now(), polls * intervalMs);
}
