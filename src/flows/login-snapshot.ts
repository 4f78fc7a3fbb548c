import type { Clock } from '../clock/clock.js';
import { SnapshotInvalidError } from '../errors/snapshot.js';
import { isTokenPollError } from '../errors/base.js';
import {
  checkHeader,
  checkPollSnapshot,
  join,
  number,
  object,
  string,
  SNAPSHOT_VERSION,
  type DeviceAuthorizationRecord,
  type LoginProviderRecord,
  type LoginSnapshot,
  type PollSnapshot,
} from '../runtime/snapshot.js';

export type { DeviceAuthorizationRecord, LoginProviderRecord, LoginSnapshot } from '../runtime/snapshot.js';
import { checkVerificationUri } from '../transports/rfc8628/device-authorization.js';
import type { DeviceAuthorization } from '../transports/types.js';
import { resumeFrom } from '../runtime/poller.js';
import type { LoginResume } from './login-driver.js';
import type { LoginSetup } from './login-setup.js';

/** What the driver knows when a login is snapshotted. @internal */
export interface LoginSnapshotParts {
  readonly poll: PollSnapshot;
  readonly authorization: DeviceAuthorization;
  readonly provider: LoginProviderRecord;
  readonly restarts: number;
  readonly reregistered: boolean;
  readonly clock: Clock;
}

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/**
 * The login's snapshot: frozen plain data, whose `toString()` and
 * `util.inspect` leave the device code out (both non-enumerable, so
 * `JSON.stringify` writes the data as it is).
 * @internal
 */
export function loginSnapshotOf(parts: LoginSnapshotParts): LoginSnapshot {
  const offset = parts.clock.wallNow() - parts.clock.now();
  const { authorization: a } = parts;
  const record: { -readonly [K in keyof DeviceAuthorizationRecord]: DeviceAuthorizationRecord[K] } = {
    deviceCode: a.deviceCode,
    userCode: a.userCode,
    verificationUri: a.verificationUri,
    expiresInSeconds: a.expiresInSeconds,
    issuedAt: a.issuedAt + offset,
    expiresAt: parts.poll.state.deadlineAt,
  };
  if (a.verificationUriComplete !== undefined) record.verificationUriComplete = a.verificationUriComplete;
  if (a.message !== undefined) record.message = a.message;
  if (a.intervalSeconds !== undefined) record.intervalSeconds = a.intervalSeconds;
  const snapshot: LoginSnapshot = {
    type: 'tokenpoll.login',
    version: SNAPSHOT_VERSION,
    takenAt: parts.poll.takenAt,
    provider: Object.freeze({ ...parts.provider }),
    authorization: redacting(record),
    restarts: parts.restarts,
    reregistered: parts.reregistered,
    poll: parts.poll,
  };
  return redacting(snapshot);
}

/** Adds the redacted `toString` and `util.inspect` views, non-enumerable, and freezes. */
function redacting<T extends object>(value: T): T {
  const redacted = (): unknown => redact(value);
  Object.defineProperty(value, 'toString', { value: () => JSON.stringify(redact(value)), enumerable: false });
  Object.defineProperty(value, INSPECT, { value: redacted, enumerable: false });
  return Object.freeze(value);
}

/** A copy with every device code replaced. */
function redact(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(redact);
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, key === 'deviceCode' ? '[redacted]' : redact(inner)]));
}

/**
 * Checks that `value` is a login snapshot this copy can resume, still in time at `wallNow`.
 * @throws {@link SnapshotInvalidError}, {@link SnapshotVersionError} or {@link SnapshotExpiredError}.
 * @internal
 */
export function checkLoginSnapshot(value: unknown, wallNow: number): LoginSnapshot {
  const snapshot = checkHeader(value, 'tokenpoll.login');
  number(snapshot, 'takenAt', '');
  number(snapshot, 'restarts', '', { min: 0, integer: true });
  if (typeof snapshot['reregistered'] !== 'boolean') throw new SnapshotInvalidError('reregistered', 'expected a boolean');
  checkProvider(object(snapshot['provider'], 'provider'));
  const authorization = object(snapshot['authorization'], 'authorization');
  for (const name of ['deviceCode', 'userCode', 'verificationUri']) string(authorization, name, 'authorization');
  for (const name of ['verificationUriComplete', 'message']) string(authorization, name, 'authorization', true);
  for (const name of ['issuedAt', 'expiresAt']) number(authorization, name, 'authorization');
  secondsValue(authorization, 'expiresInSeconds', false);
  secondsValue(authorization, 'intervalSeconds', true);
  for (const name of ['verificationUri', 'verificationUriComplete'] as const) {
    const uri = authorization[name];
    if (uri === undefined) continue;
    try {
      checkVerificationUri(uri as string, name, 'the snapshot');
    } catch (error) {
      if (!isTokenPollError(error)) throw error;
      throw new SnapshotInvalidError(join('authorization', name), 'not a URI to show a person (https:, or http: on loopback)');
    }
  }
  checkPollSnapshot(snapshot['poll'], wallNow, 'poll');
  return snapshot as unknown as LoginSnapshot;
}

function checkProvider(provider: Record<string, unknown>): void {
  switch (provider['type']) {
    case 'custom':
      return;
    case 'rfc8628':
      for (const name of ['clientId', 'deviceAuthorizationEndpoint', 'tokenEndpoint']) string(provider, name, 'provider');
      if (provider['issuer'] !== null) string(provider, 'issuer', 'provider');
      return;
    case 'aws':
      for (const name of ['region', 'startUrl', 'clientId']) string(provider, name, 'provider');
      return;
    default:
      throw new SnapshotInvalidError('provider.type', "expected 'custom', 'rfc8628' or 'aws'");
  }
}

function secondsValue(parent: Record<string, unknown>, name: string, optional: boolean): void {
  const value = parent[name];
  if (value === undefined && optional) return;
  if (typeof value !== 'number' && typeof value !== 'string') throw new SnapshotInvalidError(join('authorization', name), 'expected a number of seconds, as the server sent it');
}

/**
 * The device authorization back on this process's monotonic clock.
 * @internal
 */
export function restoreAuthorization(record: DeviceAuthorizationRecord, clock: Clock): DeviceAuthorization {
  const issuedAt = record.issuedAt + clock.now() - clock.wallNow();
  const authorization: { -readonly [K in keyof DeviceAuthorization]: DeviceAuthorization[K] } = {
    deviceCode: record.deviceCode,
    userCode: record.userCode,
    verificationUri: record.verificationUri,
    expiresInSeconds: record.expiresInSeconds,
    issuedAt,
  };
  if (record.verificationUriComplete !== undefined) authorization.verificationUriComplete = record.verificationUriComplete;
  if (record.message !== undefined) authorization.message = record.message;
  if (record.intervalSeconds !== undefined) authorization.intervalSeconds = record.intervalSeconds;
  return Object.freeze(authorization);
}

/**
 * How a login resumes from a checked snapshot: its code back on the setup's clock, its poll
 * read back (with the poll options of the setup: the backoff, the classifier, the random source).
 * @throws {@link ConfigurationError} for bad poll options, as {@link resumePoll} does.
 * @internal
 */
export function loginResume<TToken>(snapshot: LoginSnapshot, setup: LoginSetup<TToken>): LoginResume {
  const authorization = restoreAuthorization(snapshot.authorization, setup.clock);
  // The transport is built for the code when the poll starts; a stand-in lets the options be checked now.
  const poll = resumeFrom<TToken>(snapshot.poll, { ...setup.poll, transport: () => undefined, clock: setup.clock }, 'poll');
  return { authorization, poll, restarts: snapshot.restarts, reregistered: snapshot.reregistered };
}

/** Which login function a provider record belongs to, for a message. @internal */
export function providerName(provider: LoginProviderRecord): string {
  switch (provider.type) {
    case 'rfc8628':
      return 'a loginWithDeviceFlow login';
    case 'aws':
      return 'a loginWithAwsSso login';
    default:
      return 'a startDeviceLogin login';
  }
}
