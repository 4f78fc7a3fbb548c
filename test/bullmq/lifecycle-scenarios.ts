/**
 * One table of lifecycle scenarios, run against the in-process driver
 * (`pollToken`) and against the fleet runner (one FleetWorker), with the same
 * emulator settings, faults and expectations, so the two cannot drift apart.
 * Durations are short real times: the emulator runs on real HTTP.
 */
import type { EmulatorFault, EmulatorOptions } from '../../src/testing-emulator.js';

/** One scenario: how the emulator answers, what the flow is set to, and how it must end. */
export interface LifecycleScenario {
  readonly name: string;
  /** Emulator settings (interval, expiry, approval or denial on the Nth poll). */
  readonly emulator: EmulatorOptions;
  /** Faults queued on `/token` before the flow starts, in order. */
  readonly faults?: readonly { readonly fault: EmulatorFault; readonly count: number }[];
  /** The emulator expires the code when its Nth poll arrives (the server's `expired_token`). */
  readonly expireOnPoll?: number;
  /** Poll settings for both runners. */
  readonly poll?: { readonly transientRetries?: number; readonly requestTimeoutMs?: number };
  /** Cancel the flow when its first `pending` event arrives. */
  readonly cancelOnFirstPending?: boolean;
  /** How it must end. */
  readonly expected: {
    readonly status: 'granted' | 'denied' | 'expired' | 'failed' | 'cancelled';
    readonly attempt: number;
    readonly source?: 'server' | 'deadline' | 'timeout';
    readonly failure?: string;
    /** The flow's events, of the kinds both runners emit alike (attempt, pending, slowDown, retry and the terminal one), in order. */
    readonly events: readonly string[];
  };
}

/** The event kinds compared. */
export const COMPARED_EVENTS: ReadonlySet<string> = new Set(['attempt', 'pending', 'slowDown', 'retry', 'granted', 'denied', 'expired', 'failed', 'cancelled']);

/** Both runners use this backoff, so a transient fault waits only the floor. */
export const NO_BACKOFF = (): number => 0;

const fast = { intervalSeconds: 0.05, expiresInSeconds: 5 };

export const LIFECYCLE_SCENARIOS: readonly LifecycleScenario[] = [
  {
    name: 'granted on the third poll',
    emulator: { ...fast, approveOnPoll: 3 },
    expected: { status: 'granted', attempt: 3, events: ['attempt', 'pending', 'attempt', 'pending', 'attempt', 'granted'] },
  },
  {
    name: 'denied on the second poll',
    emulator: { ...fast, denyOnPoll: 2 },
    expected: { status: 'denied', attempt: 2, events: ['attempt', 'pending', 'attempt', 'denied'] },
  },
  {
    name: "expired by the server's expired_token",
    emulator: fast,
    expireOnPoll: 2,
    expected: { status: 'expired', attempt: 2, source: 'server', events: ['attempt', 'pending', 'attempt', 'expired'] },
  },
  {
    name: 'expired at the local deadline, with no poll after it',
    emulator: { intervalSeconds: 0.4, expiresInSeconds: 0.7 },
    expected: { status: 'expired', attempt: 1, source: 'deadline', events: ['attempt', 'pending', 'expired'] },
  },
  {
    name: 'a burst of 5xx waited out, then granted',
    emulator: { ...fast, approveOnPoll: 1 },
    faults: [{ fault: { type: 'server_error', status: 503 }, count: 2 }],
    expected: { status: 'granted', attempt: 3, events: ['attempt', 'retry', 'attempt', 'retry', 'attempt', 'granted'] },
  },
  {
    name: 'a 429 with Retry-After honoured, then granted',
    emulator: { ...fast, approveOnPoll: 1 },
    faults: [{ fault: { type: 'rate_limited', retryAfterSeconds: 1 }, count: 1 }],
    expected: { status: 'granted', attempt: 2, events: ['attempt', 'retry', 'attempt', 'granted'] },
  },
  {
    name: 'too many transient faults in a row',
    emulator: fast,
    faults: [{ fault: { type: 'server_error', status: 502 }, count: 3 }],
    poll: { transientRetries: 1 },
    expected: { status: 'failed', attempt: 2, failure: 'retries_exhausted', events: ['attempt', 'retry', 'attempt', 'failed'] },
  },
  {
    name: 'a grant whose body is cut: lost, never retried',
    emulator: { ...fast, approveOnPoll: 1 },
    faults: [{ fault: { type: 'lost_body' }, count: 1 }],
    expected: { status: 'failed', attempt: 1, failure: 'lost_grant', events: ['attempt', 'failed'] },
  },
  {
    name: "the server's slow_down: the floor rises by 5 s",
    emulator: { ...fast, approveOnPoll: 1, expiresInSeconds: 20 },
    faults: [{ fault: { type: 'github_200', error: 'slow_down' }, count: 1 }],
    expected: { status: 'granted', attempt: 2, events: ['attempt', 'slowDown', 'attempt', 'granted'] },
  },
  {
    name: 'cancelled while waiting for the next poll',
    emulator: { intervalSeconds: 1, expiresInSeconds: 20, approveOnPoll: 3 },
    cancelOnFirstPending: true,
    expected: { status: 'cancelled', attempt: 1, events: ['attempt', 'pending', 'cancelled'] },
  },
];
