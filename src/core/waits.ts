import { backoffDelay, transientWaitMs } from './backoff-strategy.js';
import type { PollConfig } from './config.js';
import { summarizeFault } from './events.js';
import type { PollEffect } from './input.js';
import { parseSeconds, slowDownInterval } from './interval.js';
import type { TokenOutcome, TransientOutcome } from './outcome.js';
import type { WaitOutcomeRule } from './rules.js';
import type { ActiveState } from './state.js';
import { emit, schedule, settle, statusChange, step, warning, type Transition } from './step.js';

// The three ways to wait for the next poll, one per WaitRule, and the wait itself.

type Rule<TWait extends WaitOutcomeRule['wait']> = Extract<WaitOutcomeRule, { wait: TWait }>;

/**
 * `interval`: waits the interval floor and polls again (`authorization_pending`,
 * or a code from `pendingErrorCodes`, which counts towards `maxPendingErrors`
 * and rides on the `pending` event; a real `authorization_pending` resets the count).
 */
export function waitInterval<TToken>(state: ActiveState, rule: Rule<'interval'>, outcome: TokenOutcome<TToken>, now: number, config: PollConfig): Transition<TToken> {
  const error = 'error' in outcome ? outcome.error : undefined;
  const dueAt = Math.max(now, intervalBase(state, now, config) + state.intervalMs);
  const changes = { status: rule.status, faults: 0, backoffMs: 0, compliantSlowDowns: 0, pendingErrors: error === undefined ? 0 : state.pendingErrors + 1 };
  return waitUntil(state, changes, dueAt, now, state.intervalMs, [
    ...statusChange(state.status, rule.status, now),
    emit(rule.event, { attempt: state.attempt, at: now, nextPollInMs: cutWait(state, now, dueAt - now), ...(error === undefined ? {} : { error }) }),
  ]);
}

/**
 * `slow-down`: raises the floor by 5 s, or to the answer's larger `interval`,
 * for this and every later poll (RFC 8628 §3.5), and suspects clock drift when
 * it keeps coming although the requests were spaced right.
 */
export function waitSlowDown<TToken>(state: ActiveState, rule: Rule<'slow-down'>, outcome: TokenOutcome<TToken>, now: number, config: PollConfig): Transition<TToken> {
  const effects: PollEffect<TToken>[] = [];
  const serverMs = serverInterval('interval' in outcome ? outcome.interval : undefined, now, config, effects);
  const intervalMs = slowDownInterval(state.intervalMs, serverMs);
  // The first request has no earlier one: it is measured from when the code was issued, where the server counts from.
  const since = state.previousRequestAt ?? state.deadlineAt - config.lifetimeMs;
  const compliant = state.lastRequestAt !== undefined && state.lastRequestAt - since >= state.intervalMs;
  const compliantSlowDowns = compliant ? state.compliantSlowDowns + 1 : 0;
  const warnDrift = !state.driftWarned && compliantSlowDowns >= config.driftThreshold;
  effects.push(
    ...statusChange(state.status, rule.status, now),
    emit(rule.event, {
      attempt: state.attempt,
      at: now,
      previousIntervalMs: state.intervalMs,
      intervalMs,
      reason: intervalMs > slowDownInterval(state.intervalMs) ? 'server-interval' : 'increment',
    }),
  );
  if (warnDrift) {
    const message = `${compliantSlowDowns} slow_down answers in a row although requests were at least the interval apart; the server's clock may run fast against this one`;
    effects.push(warning({ code: 'clock-drift-suspected', message, value: compliantSlowDowns }, now));
  }
  const changes = { status: rule.status, intervalMs, faults: 0, backoffMs: 0, compliantSlowDowns, pendingErrors: 0, driftWarned: state.driftWarned || warnDrift };
  return waitUntil(state, changes, intervalBase(state, now, config) + intervalMs, now, intervalMs, effects);
}

/**
 * `backoff`: waits out a transient fault with the largest of the floor, the
 * backoff and `Retry-After`, without changing the floor; fails the flow once
 * `transientRetries` faults in a row have been waited out.
 */
export function waitBackoff<TToken>(state: ActiveState, rule: Rule<'backoff'>, fault: TransientOutcome, now: number, random: number, config: PollConfig): Transition<TToken> {
  const faults = state.faults + 1;
  if (faults > config.transientRetries) return settle(state, { status: 'failed', failure: { kind: 'retries_exhausted', fault, faults } }, now);
  const backoffMs = backoffDelay(config.backoff, { attempt: faults, previousDelayMs: state.backoffMs, random });
  let delayMs = transientWaitMs(state.intervalMs, backoffMs, 'retryAfterMs' in fault ? fault.retryAfterMs : undefined);
  // RFC 8628 §3.5: after a connection timeout, reduce the polling frequency; doubling is recommended.
  // The doubling stops at the backoff's cap, but never cuts what the floor, the backoff or Retry-After ask for.
  if (fault.type === 'timeout') delayMs = Math.max(delayMs, Math.min(state.lastWaitMs * 2, timeoutCeilingMs(config)));
  return waitUntil(state, { status: rule.status, faults, backoffMs }, now + delayMs, now, delayMs, [
    ...statusChange(state.status, rule.status, now),
    emit(rule.event, {
      fault: summarizeFault(fault),
      attempt: state.attempt,
      faults,
      // What the flow will really wait: a wait that would cross the deadline ends there.
      delayMs: cutWait(state, now, delayMs),
      retriesLeft: config.transientRetries - faults,
    }),
  ]);
}

/** What an answer changes in the state it is waited out in: the status, and the counters its rule keeps. */
export type WaitChanges = Pick<ActiveState, 'status'> & Partial<Pick<ActiveState, 'intervalMs' | 'faults' | 'backoffMs' | 'compliantSlowDowns' | 'pendingErrors' | 'driftWarned'>>;

/**
 * Waits until `dueAt` (never before now), in `state` with `changes`; `waitMs`
 * is kept for the timeout doubling. The wake-up is cut short at the deadline
 * or the caller's timeout, where the flow then settles.
 */
export function waitUntil<TToken>(state: ActiveState, changes: WaitChanges, dueAt: number, now: number, waitMs: number, before: PollEffect<TToken>[]): Transition<TToken> {
  const due = Math.max(now, dueAt);
  // One copy of the frozen state, not a copy of a copy (see step()).
  return step({ ...state, ...changes, phase: 'waiting', at: now, dueAt: due, lastWaitMs: waitMs }, [...before, schedule(wakeAt(state, due), now)]);
}

/** When a wait for `dueAt` really wakes the machine: at the deadline or the caller's timeout, if sooner. */
export function wakeAt(state: ActiveState, dueAt: number): number {
  return Math.min(dueAt, state.deadlineAt, state.timeoutAt);
}

/** A wait of `waitMs` from `now`, cut at the deadline or the caller's timeout; exact when not cut. */
function cutWait(state: ActiveState, now: number, waitMs: number): number {
  const wake = wakeAt(state, now + waitMs);
  return wake === now + waitMs ? waitMs : wake - now;
}

/** Where the interval counts from: the previous response (now) or the previous request. */
function intervalBase(state: ActiveState, now: number, config: PollConfig): number {
  return config.intervalFrom === 'request' && state.lastRequestAt !== undefined ? state.lastRequestAt : now;
}

/**
 * How far the wait after a request timeout may double: the backoff's own cap
 * (`maxDelayMs`), or 60 s (the default backoff's) for a strategy without one.
 */
function timeoutCeilingMs(config: PollConfig): number {
  const cap = config.backoff.maxDelayMs;
  return typeof cap === 'number' && cap >= 0 ? cap : 60_000;
}

/** Reads the `interval` a `slow_down` answer carried, clamped to the ceiling; adds a warning to `effects` for a bad value. */
function serverInterval<TToken>(interval: unknown, now: number, config: PollConfig, effects: PollEffect<TToken>[]): number | undefined {
  if (interval === undefined) return undefined;
  const parsed = parseSeconds(interval);
  if (!parsed.ok) {
    const message = `slow_down carried an interval that is not a positive number of seconds (${typeof interval === 'string' ? JSON.stringify(interval.slice(0, 32)) : String(interval)}); adding 5 s instead`;
    effects.push(warning({ code: 'interval-invalid', message, value: interval }, now));
    return undefined;
  }
  if (parsed.ms <= config.maxIntervalMs) return parsed.ms;
  const message = `slow_down asked for an interval of ${parsed.ms / 1000} s, above the ceiling; using ${config.maxIntervalMs / 1000} s`;
  effects.push(warning({ code: 'interval-clamped', message, value: interval }, now));
  return config.maxIntervalMs;
}
