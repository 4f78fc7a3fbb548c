import { pollToken, type PollEvents, type PollHandle, type PollTokenOptions, type TokenSet } from '../../src/index.js';
import { ManualClock, scriptedTransport, seededRandom, type ScriptStep, type ScriptedTransport } from '../../src/testing.js';
import type { FlowSettings } from './arbitraries.js';

export const EVENT_NAMES = [
  'stateChange', 'attempt', 'pending', 'slowDown', 'retry', 'warning', 'granted', 'denied', 'expired', 'failed', 'cancelled',
] as const satisfies readonly (keyof PollEvents)[];
export const TERMINAL_EVENTS: ReadonlySet<string> = new Set(['granted', 'denied', 'expired', 'failed', 'cancelled']);

export interface RecordedEvent {
  readonly name: (typeof EVENT_NAMES)[number];
  readonly at: number;
  readonly payload: PollEvents[keyof PollEvents];
}

export interface FlowRun {
  readonly clock: ManualClock;
  readonly transport: ScriptedTransport;
  readonly poll: PollHandle<TokenSet>;
  readonly events: RecordedEvent[];
}

/** Starts a flow on a virtual clock with a scripted transport, recording every event. */
export function startFlow(
  script: readonly ScriptStep[],
  settings: Partial<Omit<FlowSettings, 'expiresInSeconds'>> & Partial<PollTokenOptions> = {},
  params: Record<string, string> = { device_code: 'dc-test' },
): FlowRun {
  const clock = new ManualClock();
  const transport = scriptedTransport(script, { clock, params, whenExhausted: 'repeat-last' });
  const { seed, ...options } = settings;
  const poll = pollToken({
    expiresInSeconds: 900,
    ...options,
    transport,
    clock,
    random: seededRandom(seed ?? 1),
  });
  const events: RecordedEvent[] = [];
  for (const name of EVENT_NAMES) {
    poll.on(name, (payload: PollEvents[typeof name]) => events.push({ name, at: clock.now(), payload }));
  }
  return { clock, transport, poll, events };
}

/** Runs a started flow to its end on the virtual clock. */
export async function runFlow(run: FlowRun): Promise<PromiseSettledResult<TokenSet>> {
  return run.clock.runUntilSettled(run.poll.result);
}
