import type { TokenSet } from '../core/outcome.js';
import { ConfigurationError } from '../errors/failures.js';
import type { AwsClientRegistration } from '../transports/aws/registration-cache.js';
import { awsLogin, type AwsSsoLoginOptions, type AwsSsoToken } from './aws-login.js';
import { deviceLogin, type DeviceLoginOptions } from './device-login.js';
import type { Snapshot } from '../runtime/snapshot.js';
import type { LoginHandle } from './login-types.js';
import { deviceFlowLogin, type DeviceFlowLoginOptions } from './rfc8628-login.js';

/**
 * Options for resuming a {@link loginWithAwsSso} login: its own options, and
 * the client registration its device code was issued to (a snapshot names
 * the client id, never the secret): from your registration cache, or the
 * `registration` of an earlier token.
 * @group Snapshots
 */
export interface ResumeAwsSsoLoginOptions extends AwsSsoLoginOptions {
  /** The registration the snapshot's device code belongs to: its `clientId` must be the snapshot's. */
  readonly registration: AwsClientRegistration;
}

/**
 * Continues a login written down with {@link LoginHandle.snapshot}, in this
 * process, with the options the login was started with (the client secret
 * comes from them; it is never in a snapshot):
 * - `loginWithDeviceFlow`'s options: the same client id and issuer (or
 *   endpoints); the endpoints found then are used, with no discovery;
 * - `loginWithAwsSso`'s, plus the client `registration`;
 * - `startDeviceLogin`'s: `transportFor` builds the transport for the code.
 *
 * The poll goes on as {@link resumePoll} says: the same deadline and floor,
 * a request in flight at the snapshot counted as failed in transit. The
 * login emits `code` again, with `resumed: true`, so this process can show
 * it; then the poll's events, and it settles as the login would have. Should
 * the code expire, `restart` is asked as before, and a new code is asked for
 * with these options.
 *
 * The snapshot and the options are checked whole before anything starts.
 * @example
 * ```ts
 * import { loginWithDeviceFlow, resumeLogin } from 'tokenpoll';
 * const options = { issuer: 'https://auth.example.com', clientId: 'my-cli' };
 * // process 1
 * const login = loginWithDeviceFlow(options);
 * login.on('code', () => saveSecret(id, JSON.stringify(login.snapshot())));
 * // process 2, after a restart
 * const resumed = resumeLogin(JSON.parse(await loadSecret(id)), options);
 * const token = await resumed.result;
 * ```
 * @throws {@link SnapshotInvalidError} for anything but a login snapshot in good order (a sealed one included,
 * or one of another provider, client or server than the options), {@link SnapshotVersionError} for a newer
 * format, {@link SnapshotExpiredError} when its code expired, {@link ConfigurationError} for bad options.
 * @group Snapshots
 */
export function resumeLogin(snapshot: Snapshot, options: DeviceFlowLoginOptions): LoginHandle<TokenSet>;
/** Resumes a {@link loginWithAwsSso} login. @group Snapshots */
export function resumeLogin(snapshot: Snapshot, options: ResumeAwsSsoLoginOptions): LoginHandle<AwsSsoToken>;
/** Resumes a {@link startDeviceLogin} login. @group Snapshots */
export function resumeLogin<TToken = TokenSet>(snapshot: Snapshot, options: DeviceLoginOptions<TToken>): LoginHandle<TToken>;
export function resumeLogin(snapshot: Snapshot, options: DeviceFlowLoginOptions | ResumeAwsSsoLoginOptions | DeviceLoginOptions<unknown>): LoginHandle<unknown> {
  if (typeof options !== 'object' || options === null) throw new ConfigurationError('options', 'expected the options the login was started with');
  // A snapshot in any other form than an object is reported by the check of the snapshot, not taken for "no snapshot".
  const resumed: unknown = snapshot ?? null;
  if ('startUrl' in options) return awsLogin(options, resumed, (options as Partial<ResumeAwsSsoLoginOptions>).registration);
  if ('transportFor' in options) return deviceLogin(options, resumed);
  return deviceFlowLogin(options, resumed);
}
