import type { Clock } from '../clock/clock.js';
import type { PollConfig } from '../core/config.js';
import { recordConfig, recordState, type ActiveStateRecord, type PollConfigRecord } from '../core/resume.js';
import { isActive, type PollState } from '../core/state.js';
import { initialState, transition } from '../core/transition.js';
import { SnapshotExpiredError, SnapshotInvalidError, SnapshotUnavailableError, SnapshotVersionError } from '../errors/snapshot.js';

/**
 * The snapshot format version this copy of tokenpoll writes, and the newest it
 * reads. A snapshot with a larger version is a {@link SnapshotVersionError}.
 * @group Snapshots
 */
export const SNAPSHOT_VERSION = 1;

/**
 * A poll written down, to be resumed in another process with
 * {@link resumePoll}: plain JSON (`JSON.stringify` it as it is), every time in
 * wall-clock epoch milliseconds. It holds the machine's state (interval
 * floor, deadline, attempt, faults, backoff…) and the config values the flow
 * still reads. It holds no secret: the transport, which knows the device
 * code, is passed again on resume.
 * @group Snapshots
 */
export interface PollSnapshot {
  /** Always `'tokenpoll.poll'`. */
  readonly type: 'tokenpoll.poll';
  /** The format version, {@link SNAPSHOT_VERSION}. */
  readonly version: number;
  /** When it was taken (wall ms). */
  readonly takenAt: number;
  /** The machine's state, in wall time. */
  readonly state: ActiveStateRecord;
  /** The config values the flow still reads. */
  readonly config: PollConfigRecord;
}

/**
 * A login written down, to be resumed in another process with
 * {@link resumeLogin}: plain JSON, times in wall-clock epoch milliseconds.
 * It holds the poll's snapshot, the device authorization (user code, URIs,
 * expiry and the device code), where the provider is, and the login's
 * counters. It never holds the client secret, which comes from the options on
 * resume.
 *
 * **It holds the device code, a secret**: until the code expires, whoever has
 * it can poll for the user's token. `JSON.stringify` writes it whole (that is
 * its purpose), so keep the JSON where you would keep a token: in memory, or
 * a store only the service can read (a secrets manager, an access-controlled
 * database column encrypted at rest). Anywhere else (a queue, a shared cache,
 * a log, a browser's storage, a URL), seal it first with {@link sealSnapshot}.
 * As an object, its `toString()` and Node's `util.inspect` (`console.log`)
 * show it with the device code redacted; no error or event carries it.
 * @group Snapshots
 */
export interface LoginSnapshot {
  /** Always `'tokenpoll.login'`. */
  readonly type: 'tokenpoll.login';
  /** The format version, {@link SNAPSHOT_VERSION}. */
  readonly version: number;
  /** When it was taken (wall ms). */
  readonly takenAt: number;
  /** Where the provider is: the login that is resumed must be the same. */
  readonly provider: LoginProviderRecord;
  /** The device authorization the login polls for. */
  readonly authorization: DeviceAuthorizationRecord;
  /** New codes asked for after the first: the `restart` of the `code` event. */
  readonly restarts: number;
  /** Whether the client was registered again already (AWS; once per login). */
  readonly reregistered: boolean;
  /** The running poll. */
  readonly poll: PollSnapshot;
}

/**
 * A device authorization written down: as a `DeviceAuthorization`, with
 * `issuedAt` in wall-clock ms and the code's expiry beside it.
 * @group Snapshots
 */
export interface DeviceAuthorizationRecord {
  /** The device code (a secret). */
  readonly deviceCode: string;
  /** The code the user types. */
  readonly userCode: string;
  /** Where the user goes. */
  readonly verificationUri: string;
  /** The same with the user code filled in, when the server sent one. */
  readonly verificationUriComplete?: string;
  /** A message for the user, when the server sent one. */
  readonly message?: string;
  /** `expires_in`, as the server sent it. */
  readonly expiresInSeconds: number | string;
  /** `interval`, as the server sent it. */
  readonly intervalSeconds?: number | string;
  /** When the answer arrived (wall ms). */
  readonly issuedAt: number;
  /** When the code expires (wall ms): the poll's deadline. */
  readonly expiresAt: number;
}

/**
 * Which login a snapshot belongs to:
 * - `rfc8628`: {@link loginWithDeviceFlow}, with the endpoints it found (no discovery on resume);
 * - `aws`: {@link loginWithAwsSso}, with the region, start URL and the registered client's id;
 * - `custom`: {@link startDeviceLogin}, whose `transportFor` rebuilds the transport.
 * @group Snapshots
 */
export type LoginProviderRecord =
  | {
      /** A login of the caller's own. */
      readonly type: 'custom';
    }
  | {
      /** An RFC 8628 login. */
      readonly type: 'rfc8628';
      /** The client id (never its secret). */
      readonly clientId: string;
      /** The issuer the endpoints were discovered from, or `null` when they were given. */
      readonly issuer: string | null;
      /** The device authorization endpoint (for a restart). */
      readonly deviceAuthorizationEndpoint: string;
      /** The token endpoint. */
      readonly tokenEndpoint: string;
    }
  | {
      /** An AWS IAM Identity Center login. */
      readonly type: 'aws';
      /** The region. */
      readonly region: string;
      /** The access portal URL. */
      readonly startUrl: string;
      /** The registered client the device code belongs to (its secret is not kept). */
      readonly clientId: string;
    };

/** Any snapshot: a poll's or a login's, as {@link openSnapshot} returns it. @group Snapshots */
export type Snapshot = PollSnapshot | LoginSnapshot;

/**
 * The poll's snapshot: of its active state, or, before its `start` (in the
 * microtask after `pollToken`), of the state it starts in now.
 * @throws {@link SnapshotUnavailableError} once the flow has settled.
 * @internal
 */
export function pollSnapshotOf(state: PollState<unknown>, config: PollConfig, customBackoff: boolean, clock: Clock): PollSnapshot {
  const now = clock.now();
  const wallNow = clock.wallNow();
  const active = state.status === 'idle' ? transition(initialState, { type: 'start', now }, config).state : state;
  if (!isActive(active)) throw new SnapshotUnavailableError(active.status, `the poll has settled (${active.status}); there is nothing to resume`);
  return Object.freeze({
    type: 'tokenpoll.poll',
    version: SNAPSHOT_VERSION,
    takenAt: wallNow,
    state: Object.freeze(recordState(active, wallNow - now)),
    config: Object.freeze(recordConfig(config, customBackoff)),
  });
}

/**
 * Checks that `value` is a poll snapshot this copy can resume, and that its
 * flow can still poll at `wallNow`.
 * @throws {@link SnapshotInvalidError}, {@link SnapshotVersionError} or {@link SnapshotExpiredError}.
 * @internal
 */
export function checkPollSnapshot(value: unknown, wallNow: number, path = ''): PollSnapshot {
  const snapshot = checkHeader(value, 'tokenpoll.poll', path);
  const at = (name: string): string => join(path, name);
  number(snapshot, 'takenAt', path);
  const state = object(snapshot['state'], at('state'));
  const statePath = at('state');
  oneOf(state, 'status', ['pending', 'slow-down', 'retrying'], statePath);
  oneOf(state, 'phase', ['waiting', 'polling', 'aborting'], statePath);
  number(state, 'intervalMs', statePath, { min: 1 });
  for (const name of ['at', 'deadlineAt', 'dueAt']) number(state, name, statePath);
  for (const name of ['timeoutAt', 'lastRequestAt', 'previousRequestAt']) number(state, name, statePath, { nullable: true });
  number(state, 'attempt', statePath, { min: 0, integer: true });
  for (const name of ['lastWaitMs', 'backoffMs']) number(state, name, statePath, { min: 0 });
  for (const name of ['faults', 'compliantSlowDowns', 'pendingErrors']) number(state, name, statePath, { min: 0, integer: true });
  if (typeof state['driftWarned'] !== 'boolean') throw new SnapshotInvalidError(join(statePath, 'driftWarned'), 'expected a boolean');
  if (state['phase'] !== 'waiting' && (state['attempt'] === 0 || state['lastRequestAt'] === null)) {
    throw new SnapshotInvalidError(join(statePath, 'phase'), 'a request in flight needs an attempt and the time it was sent');
  }
  if ((state['attempt'] === 0) !== (state['lastRequestAt'] === null)) throw new SnapshotInvalidError(join(statePath, 'lastRequestAt'), 'does not match attempt');
  const config = object(snapshot['config'], at('config'));
  const configPath = at('config');
  for (const name of ['intervalMs', 'lifetimeMs', 'requestTimeoutMs', 'maxIntervalMs']) number(config, name, configPath, { min: 1 });
  number(config, 'timeoutMs', configPath, { min: 0, nullable: true });
  number(config, 'transientRetries', configPath, { min: 0, integer: true, nullable: true });
  number(config, 'driftThreshold', configPath, { min: 1, integer: true, nullable: true });
  number(config, 'maxPendingErrors', configPath, { min: 0, integer: true });
  oneOf(config, 'intervalFrom', ['response', 'request'], configPath);
  oneOf(config, 'backoff', ['default', 'custom'], configPath);
  const codes = config['pendingErrorCodes'];
  if (!Array.isArray(codes) || !codes.every((code) => typeof code === 'string' && code !== '')) {
    throw new SnapshotInvalidError(join(configPath, 'pendingErrorCodes'), 'expected a list of error codes');
  }
  const checked = snapshot as unknown as PollSnapshot;
  checkConsistent(checked, path);
  checkNotExpired(checked.state, wallNow);
  return checked;
}

/**
 * The order every state of the machine keeps: the code issued (its deadline less its lifetime) and the
 * requests sent no later than the state was made, and what it waits for no earlier. A snapshot edited by
 * hand into a state the machine never makes (a deadline hours away, a request sent in the future) is refused.
 */
function checkConsistent(snapshot: PollSnapshot, path: string): void {
  const { state, config } = snapshot;
  const at = (name: string): string => join(join(path, 'state'), name);
  // 1 ms of leeway: times that were fractional on the first clock went through one addition each way.
  const leeway = 1;
  if (state.deadlineAt - config.lifetimeMs > state.at + leeway) throw new SnapshotInvalidError(at('deadlineAt'), "is further away than the code's lifetime allows");
  if (state.dueAt < state.at - leeway) throw new SnapshotInvalidError(at('dueAt'), 'is before the state was made');
  if (state.lastRequestAt !== null && state.lastRequestAt > state.at + leeway) throw new SnapshotInvalidError(at('lastRequestAt'), 'is after the state was made');
  if (state.previousRequestAt !== null && (state.attempt < 2 || state.lastRequestAt === null || state.previousRequestAt > state.lastRequestAt + leeway)) {
    throw new SnapshotInvalidError(at('previousRequestAt'), 'does not come before lastRequestAt');
  }
}

/** The flow must be able to poll still: its deadline and the caller's timeout are ahead. */
function checkNotExpired(state: ActiveStateRecord, wallNow: number): void {
  const timeoutFirst = state.timeoutAt !== null && state.timeoutAt <= state.deadlineAt;
  const [source, expiredAt] = timeoutFirst ? (['timeout', state.timeoutAt!] as const) : (['deadline', state.deadlineAt] as const);
  if (wallNow >= expiredAt) throw new SnapshotExpiredError(source, expiredAt, wallNow);
}

/**
 * Checks a snapshot's `type` and `version`: the version first, so that a
 * newer format is reported as such, whatever else it changed.
 * @internal
 */
export function checkHeader(value: unknown, type: string, path = ''): Record<string, unknown> {
  const snapshot = object(value, path);
  const found = snapshot['type'];
  if (found === 'tokenpoll.sealed' && type !== found) throw new SnapshotInvalidError(join(path, 'type'), 'the snapshot is sealed: open it with openSnapshot(sealed, key) first');
  if (found !== type) {
    const what = typeof found === 'string' && found.startsWith('tokenpoll.') ? `a ${found.slice('tokenpoll.'.length)} snapshot` : 'not a tokenpoll snapshot';
    throw new SnapshotInvalidError(join(path, 'type'), `expected a ${type.slice('tokenpoll.'.length)} snapshot, got ${what}`);
  }
  const version = snapshot['version'];
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) throw new SnapshotInvalidError(join(path, 'version'), 'expected a positive whole number');
  if (version > SNAPSHOT_VERSION) throw new SnapshotVersionError(version, SNAPSHOT_VERSION);
  return snapshot;
}

/** A plain object (not an array), or {@link SnapshotInvalidError}. @internal */
export function object(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new SnapshotInvalidError(path, 'expected an object');
  return value as Record<string, unknown>;
}

/** A finite number member within bounds (or `null` when `nullable`), or {@link SnapshotInvalidError}. @internal */
export function number(
  parent: Record<string, unknown>,
  name: string,
  path: string,
  rules: { readonly min?: number; readonly integer?: boolean; readonly nullable?: boolean } = {},
): void {
  const value = parent[name];
  if (value === null && rules.nullable) return;
  const ok = typeof value === 'number' && Number.isFinite(value) && (rules.min === undefined || value >= rules.min) && (!rules.integer || Number.isInteger(value));
  if (!ok) {
    const what = `${rules.integer ? 'a whole number' : 'a finite number'}${rules.min === undefined ? '' : ` of at least ${rules.min}`}${rules.nullable ? ' or null' : ''}`;
    throw new SnapshotInvalidError(join(path, name), `expected ${what}`);
  }
}

/** A string member (optionally `undefined`), or {@link SnapshotInvalidError}. @internal */
export function string(parent: Record<string, unknown>, name: string, path: string, optional = false): void {
  const value = parent[name];
  if (value === undefined && optional) return;
  if (typeof value !== 'string' || value === '') throw new SnapshotInvalidError(join(path, name), 'expected a non-empty string');
}

/** A member that is one of `allowed`, or {@link SnapshotInvalidError}. @internal */
export function oneOf(parent: Record<string, unknown>, name: string, allowed: readonly string[], path: string): void {
  if (!allowed.includes(parent[name] as string)) throw new SnapshotInvalidError(join(path, name), `expected one of ${allowed.map((a) => `'${a}'`).join(', ')}`);
}

/** `path.name`, or `name` at the top. @internal */
export function join(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}
