import type { LoginEvents, LoginHandle, TokenSet } from '../../src/index.js';

/** Every event name a login emits. */
export const LOGIN_EVENTS = [
  'code', 'stateChange', 'attempt', 'pending', 'slowDown', 'retry', 'warning', 'granted', 'denied', 'expired', 'failed', 'cancelled',
] as const satisfies readonly (keyof LoginEvents)[];

/** One recorded event, with the time it arrived (performance.now()). */
export interface RecordedLoginEvent {
  readonly name: (typeof LOGIN_EVENTS)[number];
  readonly at: number;
  readonly payload: unknown;
}

/** Records every event of a login, in order. */
export function recordEvents(login: LoginHandle<TokenSet>): RecordedLoginEvent[] {
  const events: RecordedLoginEvent[] = [];
  for (const name of LOGIN_EVENTS) login.on(name, (payload: unknown) => events.push({ name, at: performance.now(), payload }));
  return events;
}
