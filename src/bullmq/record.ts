import type { BackoffStrategy } from '../core/backoff-strategy.js';
import type { PollConfig } from '../core/config.js';
import { isTerminal, type PollState, type TerminalState } from '../core/state.js';
import { resolveOptions } from '../runtime/options.js';
import type { SealedValue } from './seal.js';
import type { FleetEvent, FleetFlowView, FleetMetadata, FleetPollSettings } from './types.js';

/**
 * What the fleet keeps in Redis for one flow (the `data` field of its hash).
 * Every time is wall time (ms since the epoch): the machine in the fleet runs
 * on `Date.now()`, so its state is stored as it is (only `timeoutAt: Infinity`
 * becomes `null`, and a grant's token is left out).
 * @internal
 */
export interface FlowRecord {
  readonly format: 1;
  readonly id: string;
  /** The poll job this record waits for: jobs with another number are stale. */
  readonly seq: number;
  readonly state: PollState;
  readonly authorization: StoredAuthorization;
  readonly settings: FleetPollSettings;
  readonly deviceCode: string | SealedValue;
  readonly metadata: FleetMetadata;
  readonly createdAt: number;
  /** For a granted flow: whether `onGranted` returned. */
  readonly delivered?: boolean;
  /** For a granted flow with `storeTokens`: the token, sealed, until it is delivered. */
  readonly token?: SealedValue;
}

/** The device authorization without its device code; `issuedAt` is wall time. @internal */
export interface StoredAuthorization {
  readonly userCode: string;
  readonly verificationUri: string;
  readonly verificationUriComplete?: string;
  readonly expiresInSeconds: number | string;
  readonly intervalSeconds?: number | string;
  readonly issuedAt: number;
}

/** The record as JSON: `Infinity` (no caller timeout) as `null`, the token of a granted state left out. @internal */
export function recordToJson(record: FlowRecord): string {
  return JSON.stringify({ ...record, state: storedState(record.state) }, (_key, value: unknown) => (value === Number.POSITIVE_INFINITY ? null : value));
}

/** The stored form of a state: a granted state keeps no token (it goes to `record.token`, sealed, or nowhere). @internal */
export function storedState(state: PollState): PollState {
  if (state.status !== 'granted') return state;
  const { token: _token, ...rest } = state;
  return rest as PollState;
}

/** Reads a record back; `timeoutAt: null` becomes `Infinity`, and the state is frozen as the machine expects. @internal */
export function recordFromJson(json: string): FlowRecord {
  const record = JSON.parse(json) as FlowRecord & { state: { timeoutAt?: number | null } };
  if (record.format !== 1) throw new TypeError(`unknown flow record format ${String(record.format)}`);
  const state = record.state as unknown as Record<string, unknown>;
  if ('timeoutAt' in state && state['timeoutAt'] === null) state['timeoutAt'] = Number.POSITIVE_INFINITY;
  Object.freeze(state);
  return record;
}

/**
 * The machine's config for a flow, from its stored settings, checked as
 * `pollToken` checks its options.
 * @throws {@link ConfigurationError} for a bad setting.
 * @internal
 */
export function flowConfig(authorization: StoredAuthorization, settings: FleetPollSettings, backoff?: BackoffStrategy): PollConfig {
  return resolveOptions({
    transport: noTransport,
    expiresInSeconds: authorization.expiresInSeconds,
    intervalSeconds: authorization.intervalSeconds,
    issuedAt: authorization.issuedAt,
    ...settings,
    backoff,
  });
}

const noTransport = (): undefined => undefined;

/** A flow as the queue side reads it. @internal */
export function flowView(record: FlowRecord, cancelRequested: boolean): FleetFlowView {
  const { state, authorization } = record;
  const base = {
    id: record.id,
    status: state.status,
    attempt: state.status === 'idle' ? 0 : state.attempt,
    deadlineAt: 'deadlineAt' in state ? state.deadlineAt : deadlineOf(authorization),
    userCode: authorization.userCode,
    verificationUri: authorization.verificationUri,
    ...(authorization.verificationUriComplete === undefined ? {} : { verificationUriComplete: authorization.verificationUriComplete }),
    metadata: record.metadata,
    cancelRequested,
  };
  if (state.status === 'idle') return base;
  if (!isTerminal(state)) return { ...base, phase: state.phase, intervalMs: state.intervalMs, dueAt: state.dueAt };
  return { ...base, ...terminalSummary(state), ...(state.status === 'granted' ? { delivered: record.delivered ?? false } : {}) };
}

function deadlineOf(authorization: StoredAuthorization): number {
  const seconds = Number(authorization.expiresInSeconds);
  return authorization.issuedAt + (Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 900_000);
}

/** What a terminal event and a view say of a terminal state: never its token, nor a failure's `cause`. @internal */
export function terminalSummary(state: TerminalState<unknown>): Record<string, unknown> {
  const summary: Record<string, unknown> = { attempt: state.attempt, at: state.at };
  switch (state.status) {
    case 'granted':
      break;
    case 'denied':
      summary['error'] = state.error;
      break;
    case 'expired':
      summary['source'] = state.source;
      if (state.error) summary['error'] = state.error;
      break;
    case 'failed': {
      const { failure } = state;
      summary['failure'] = { kind: failure.kind, ...('message' in failure ? { message: failure.message } : {}) };
      if (failure.kind === 'oauth_error') summary['error'] = failure.error;
      break;
    }
    case 'cancelled':
      summary['reason'] = describeReason(state.reason);
      break;
  }
  return summary;
}

/** A cancel's reason as stored: a string, never a live object. @internal */
export function describeReason(reason: unknown): string | undefined {
  if (reason === undefined) return undefined;
  if (typeof reason === 'string') return reason;
  if (reason instanceof Error) return reason.message;
  try {
    return String(reason);
  } catch {
    return 'a reason that cannot be printed';
  }
}

/** The event for a terminal state. @internal */
export function terminalEvent(flowId: string, state: TerminalState<unknown>): FleetEvent {
  return { flowId, name: state.status, payload: terminalSummary(state) };
}
