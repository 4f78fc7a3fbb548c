import { createConfig, type ConfigInput, type PollConfig } from '../core/config.js';
import type { EmitEffect } from '../core/input.js';
import type { TokenOutcome } from '../core/outcome.js';
import { isTerminal, type PollState, type TerminalState } from '../core/state.js';
import { initialState, transition } from '../core/transition.js';

/** One scripted answer for {@link simulateFlow}: an outcome, optionally after a latency. @group Testing */
export type SimulatedAnswer<TToken = unknown> =
  | TokenOutcome<TToken>
  | {
      /** The answer. */
      readonly outcome: TokenOutcome<TToken>;
      /** How long after the request it arrives, in virtual ms. */
      readonly latencyMs: number;
    };

/** Options for {@link simulateFlow}. @group Testing */
export interface SimulationOptions<TToken = unknown> {
  /** The flow's settings, as for `createConfig`, or a built config. */
  readonly config: ConfigInput | PollConfig;
  /** The server's answers, in order; the last one repeats once the script runs out. */
  readonly script: readonly SimulatedAnswer<TToken>[];
  /** Numbers in [0, 1) for jitter. @defaultValue () => 0.5 */
  readonly random?: () => number;
  /** Cancel the flow at this virtual time. */
  readonly cancelAt?: number;
  /** Keep every emitted event in the result (slower). @defaultValue false */
  readonly collectEvents?: boolean;
  /** Give up after this many inputs. @defaultValue 1000000 */
  readonly maxSteps?: number;
}

/** One request {@link simulateFlow} sent. @group Testing */
export interface SimulatedRequest {
  /** 1 for the first request. */
  readonly attempt: number;
  /** When it was sent (virtual ms). */
  readonly at: number;
  /** When its answer arrived, if it did (virtual ms). */
  readonly answeredAt?: number;
}

/** What {@link simulateFlow} observed. @group Testing */
export interface SimulationResult<TToken = unknown> {
  /** How the flow ended. */
  readonly state: TerminalState<TToken>;
  /** Each request: when it was sent and, if it was, answered (virtual ms). */
  readonly requests: readonly SimulatedRequest[];
  /** The events, when `collectEvents` was set. */
  readonly events: readonly EmitEffect[];
}

/** What an aborted request answers with, at once (as a transport honouring its signal does). */
const ABORTED: TokenOutcome<never> = Object.freeze({ type: 'timeout', message: 'the request was aborted' });

/**
 * Runs one whole flow of the pure state machine synchronously on virtual
 * time: no driver, no promises, no timers. A 15-minute flow takes tens of
 * microseconds, so property tests can run hundreds of thousands of server
 * behaviours in seconds. It drives `transition` exactly as the driver does
 * (one wake-up time, one request in flight), so what holds here holds for
 * the machine the driver runs.
 *
 * @example
 * ```ts
 * import { simulateFlow } from 'tokenpoll/testing';
 * const { state, requests } = simulateFlow({
 *   config: { interval: 5, expiresIn: 900 },
 *   script: [{ type: 'authorization_pending' }, { type: 'slow_down' }, { type: 'success', token: { accessToken: 'at' } }],
 * });
 * state.status;                // 'granted'
 * requests.map((r) => r.at);   // [5000, 10000, 20000]
 * ```
 * @throws `Error` when the flow has not ended after `maxSteps` inputs.
 * @group Testing
 */
export function simulateFlow<TToken = unknown>(options: SimulationOptions<TToken>): SimulationResult<TToken> {
  const config = 'lifetimeMs' in options.config ? options.config : createConfig(options.config);
  const random = options.random ?? (() => 0.5);
  const maxSteps = options.maxSteps ?? 1_000_000;
  const requests: { attempt: number; at: number; answeredAt?: number }[] = [];
  const events: EmitEffect[] = [];
  let state: PollState<TToken> = initialState;
  let now = 0;
  let wakeAt = Number.POSITIVE_INFINITY;
  let answerAt = Number.POSITIVE_INFINITY;
  let answer: { readonly attempt: number; readonly outcome: TokenOutcome<TToken> } | undefined;
  let cancelAt = options.cancelAt ?? Number.POSITIVE_INFINITY;
  let step = transition<TToken>(state, { type: 'start', now }, config);
  for (let steps = 1; ; steps++) {
    state = step.state;
    for (const effect of step.effects) {
      if (effect.type === 'schedule') wakeAt = effect.at;
      else if (effect.type === 'request') {
        const scripted = options.script[Math.min(requests.length, options.script.length - 1)];
        if (scripted === undefined) throw new RangeError('simulateFlow: the script is empty');
        answer = { attempt: effect.attempt, outcome: 'latencyMs' in scripted ? scripted.outcome : scripted };
        answerAt = now + ('latencyMs' in scripted ? scripted.latencyMs : 0);
        requests.push({ attempt: effect.attempt, at: now });
      } else if (effect.type === 'abort') {
        // The transport honours its signal: the scripted answer is lost, and the abort error comes back at once.
        answer = { attempt: effect.attempt, outcome: ABORTED };
        answerAt = now;
      } else if (effect.type === 'emit' && options.collectEvents) events.push(effect);
    }
    if (isTerminal(state)) return { state, requests, events };
    if (steps >= maxSteps) throw new Error(`simulateFlow: the flow had not ended after ${maxSteps} inputs`);
    // What happens next: the answer in flight (it wins a tie, as an already resolved promise would), the cancel, or the wake-up.
    now = Math.min(wakeAt, answerAt, cancelAt);
    if (now === Number.POSITIVE_INFINITY) throw new Error('simulateFlow: nothing is scheduled and the flow has not ended');
    if (now === answerAt && answer !== undefined) {
      const { attempt, outcome } = answer;
      answerAt = Number.POSITIVE_INFINITY;
      answer = undefined;
      if (outcome !== ABORTED) requests[requests.length - 1]!.answeredAt = now;
      step = transition(state, { type: 'responseReceived', now, attempt, outcome, random: random() }, config);
    } else if (now === cancelAt) {
      cancelAt = Number.POSITIVE_INFINITY;
      step = transition(state, { type: 'cancel', now, reason: 'simulated cancel' }, config);
    } else {
      wakeAt = Number.POSITIVE_INFINITY;
      step = transition(state, { type: 'timerFired', now, random: random() }, config);
    }
  }
}
