import { createConfig, type PollConfig } from './config.js';
import type { BackoffStrategy } from './backoff-strategy.js';
import type { NetworkErrorOutcome } from './outcome.js';
import type { ActiveState } from './state.js';
import { transition, type Transition } from './transition.js';

// Writing a polling flow down and picking it up again, as pure functions: a state in wall time, the
// config's plain values, and the one step that continues a flow in another process. The runtime's
// snapshots and a fleet's workers both use these, so a resumed flow follows the core's own rules.

/**
 * An {@link ActiveState} written down for another process: JSON-safe, every
 * time in wall-clock epoch milliseconds (a monotonic clock does not survive a
 * restart), `null` for a time that never comes (no caller's timeout) or a
 * request not sent.
 * @group Snapshots
 */
export interface ActiveStateRecord {
  /** As {@link ActiveState.status}. */
  readonly status: ActiveState['status'];
  /** As {@link ActiveState.phase}: `polling` or `aborting` means a request was in flight when it was written. */
  readonly phase: ActiveState['phase'];
  /** The interval floor in force, in ms (a `slow_down` before the snapshot included). */
  readonly intervalMs: number;
  /** When the state was made (wall ms). */
  readonly at: number;
  /** When the device code expires (wall ms). */
  readonly deadlineAt: number;
  /** When the caller's own timeout ends the flow (wall ms), `null` for none. */
  readonly timeoutAt: number | null;
  /** While waiting, when the next poll is due; otherwise when the request in flight times out or its grace ends (wall ms). */
  readonly dueAt: number;
  /** Requests sent so far. */
  readonly attempt: number;
  /** When the latest request was sent (wall ms), `null` before the first. */
  readonly lastRequestAt: number | null;
  /** When the request before it was sent (wall ms), `null` when none. */
  readonly previousRequestAt: number | null;
  /** As {@link ActiveState.lastWaitMs} (a duration). */
  readonly lastWaitMs: number;
  /** Consecutive transient faults. */
  readonly faults: number;
  /** The previous transient backoff delay, in ms. */
  readonly backoffMs: number;
  /** As {@link ActiveState.compliantSlowDowns}. */
  readonly compliantSlowDowns: number;
  /** As {@link ActiveState.pendingErrors}. */
  readonly pendingErrors: number;
  /** Whether the clock-drift warning was emitted. */
  readonly driftWarned: boolean;
}

/**
 * The values of a {@link PollConfig} a running flow still reads, JSON-safe
 * (`null` for an unlimited `timeoutMs`, `transientRetries` or
 * `driftThreshold`). `backoff` only says whether a custom strategy was used: a
 * function cannot be written down, so it is passed again on resume.
 * @group Snapshots
 */
export interface PollConfigRecord {
  /** The starting interval floor, in ms. */
  readonly intervalMs: number;
  /** The device code's lifetime, in ms. */
  readonly lifetimeMs: number;
  /** The caller's own limit on the whole poll, in ms; `null` for none. */
  readonly timeoutMs: number | null;
  /** How long one request may take. */
  readonly requestTimeoutMs: number;
  /** Where the interval counts from. */
  readonly intervalFrom: PollConfig['intervalFrom'];
  /** The ceiling for a server's interval, in ms. */
  readonly maxIntervalMs: number;
  /** Consecutive transient faults retried before the flow fails; `null` for no limit. */
  readonly transientRetries: number | null;
  /** Compliant `slow_down` answers before the drift warning; `null` for never. */
  readonly driftThreshold: number | null;
  /** The provider's codes waited out like `authorization_pending`. */
  readonly pendingErrorCodes: readonly string[];
  /** How many such answers in a row are waited out. */
  readonly maxPendingErrors: number;
  /** Whether the flow used the default backoff or one of the caller's. */
  readonly backoff: 'default' | 'custom';
}

/** The message of the fault a request in flight at the snapshot counts as. @internal */
export const LOST_IN_TRANSIT_MESSAGE = 'the request was in flight when the flow was snapshotted; its answer was lost with the process';

/**
 * Writes an active state down in wall time: `wallOffsetMs` is `wallNow() - now()`
 * read from the flow's clock at the same moment. Pure.
 * @group Snapshots
 */
export function recordState(state: ActiveState, wallOffsetMs: number): ActiveStateRecord {
  const wall = (at: number): number => at + wallOffsetMs;
  const maybe = (at: number | undefined): number | null => (at === undefined ? null : wall(at));
  return {
    status: state.status,
    phase: state.phase,
    intervalMs: state.intervalMs,
    at: wall(state.at),
    deadlineAt: wall(state.deadlineAt),
    timeoutAt: Number.isFinite(state.timeoutAt) ? wall(state.timeoutAt) : null,
    dueAt: wall(state.dueAt),
    attempt: state.attempt,
    lastRequestAt: maybe(state.lastRequestAt),
    previousRequestAt: maybe(state.previousRequestAt),
    lastWaitMs: state.lastWaitMs,
    faults: state.faults,
    backoffMs: state.backoffMs,
    compliantSlowDowns: state.compliantSlowDowns,
    pendingErrors: state.pendingErrors,
    driftWarned: state.driftWarned,
  };
}

/**
 * Reads a recorded state back onto this process's monotonic clock, given its
 * `now()` and `wallNow()` read at the same moment, and `writtenAt`, the wall
 * time it was written (a snapshot's `takenAt`; the state's own `at` when
 * unknown). Should this process's wall clock read earlier than `writtenAt`
 * (clocks of two machines disagree), every time is moved by the difference,
 * as if it was written just now: the state is never in the future, and the
 * spacing from the last request (the floor) is kept whole, at the price of a
 * deadline that much later (the server's `expired_token` then ends the
 * flow). Pure; trusts a record that was checked.
 * @group Snapshots
 */
export function restoreState(record: ActiveStateRecord, now: number, wallNow: number, writtenAt: number = record.at): ActiveState {
  const behind = Math.max(0, Math.max(writtenAt, record.at) - wallNow);
  const offset = now - wallNow - behind;
  const mono = (at: number): number => at + offset;
  const maybe = (at: number | null): number | undefined => (at === null ? undefined : mono(at));
  return Object.freeze({
    status: record.status,
    phase: record.phase,
    intervalMs: record.intervalMs,
    at: mono(record.at),
    deadlineAt: mono(record.deadlineAt),
    timeoutAt: record.timeoutAt === null ? Number.POSITIVE_INFINITY : mono(record.timeoutAt),
    dueAt: mono(record.dueAt),
    attempt: record.attempt,
    lastRequestAt: maybe(record.lastRequestAt),
    previousRequestAt: maybe(record.previousRequestAt),
    lastWaitMs: record.lastWaitMs,
    faults: record.faults,
    backoffMs: record.backoffMs,
    compliantSlowDowns: record.compliantSlowDowns,
    pendingErrors: record.pendingErrors,
    driftWarned: record.driftWarned,
  });
}

/**
 * Writes a config down: the values a running flow still reads. Pure.
 * @group Snapshots
 */
export function recordConfig(config: PollConfig, customBackoff: boolean): PollConfigRecord {
  const finite = (value: number): number | null => (Number.isFinite(value) ? value : null);
  return {
    intervalMs: config.intervalMs,
    lifetimeMs: config.lifetimeMs,
    timeoutMs: finite(config.timeoutMs),
    requestTimeoutMs: config.requestTimeoutMs,
    intervalFrom: config.intervalFrom,
    maxIntervalMs: config.maxIntervalMs,
    transientRetries: finite(config.transientRetries),
    driftThreshold: finite(config.driftThreshold),
    pendingErrorCodes: [...config.pendingErrors.codes],
    maxPendingErrors: config.pendingErrors.max,
    backoff: customBackoff ? 'custom' : 'default',
  };
}

/**
 * Builds the config of a resumed flow from its record and the backoff passed
 * again (the default when `undefined`). What only `start` reads (`firstPoll`,
 * `issuedAt`, the warnings, which were emitted then) is not kept. Pure.
 * @group Snapshots
 */
export function restoreConfig(record: PollConfigRecord, backoff: BackoffStrategy | undefined): PollConfig {
  const unlimited = (value: number | null): number => value ?? Number.POSITIVE_INFINITY;
  const config = createConfig({
    interval: record.intervalMs / 1000,
    expiresIn: record.lifetimeMs / 1000,
    maxLifetimeMs: record.lifetimeMs,
    timeoutMs: unlimited(record.timeoutMs),
    requestTimeoutMs: record.requestTimeoutMs,
    intervalFrom: record.intervalFrom,
    maxIntervalMs: record.maxIntervalMs,
    backoff,
    transientRetries: unlimited(record.transientRetries),
    driftThreshold: unlimited(record.driftThreshold),
    pendingErrorCodes: record.pendingErrorCodes,
    maxPendingErrors: record.maxPendingErrors,
  });
  // The recorded values are already sanitised: kept exactly, and nothing is warned about again.
  return Object.freeze({ ...config, intervalMs: record.intervalMs, lifetimeMs: record.lifetimeMs, maxIntervalMs: record.maxIntervalMs, warnings: [] });
}

/**
 * The first step of a flow resumed in another process, at `now` on its clock.
 * - Waiting: the wake-up is set again (a `timerFired` at `now`): the same due
 *   time, cut at the deadline; a poll already due is sent at once.
 * - A request in flight (`polling` or `aborting`): its answer is lost, so it
 *   counts as failed in transit: a `responseReceived` for that attempt with a
 *   transient `network_error`. The core's own rules decide the wait: the
 *   backoff, never shorter than the floor, counted from `now`, which is after
 *   that request may have reached the server; while aborting, the request
 *   timeout, with its doubling. `random` is the jitter for that backoff.
 *
 * Pure. The fleet runner follows the same convention.
 * @group Snapshots
 */
export function resumeTransition<TToken>(state: ActiveState, now: number, config: PollConfig, random?: number): Transition<TToken> {
  if (state.phase === 'waiting') return transition<TToken>(state, { type: 'timerFired', now }, config);
  const input = { type: 'responseReceived', now, attempt: state.attempt, outcome: lostInTransit() } as const;
  return transition<TToken>(state, random === undefined ? input : { ...input, random }, config);
}

/** Whether a resumed flow's first step feeds an answer (and so draws a random number for its jitter). @group Snapshots */
export function resumesInFlight(state: ActiveState): boolean {
  return state.phase !== 'waiting';
}

function lostInTransit(): NetworkErrorOutcome {
  return { type: 'network_error', message: LOST_IN_TRANSIT_MESSAGE };
}
