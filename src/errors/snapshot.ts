import { ErrorCode, TokenPollError } from './base.js';

// The errors of snapshot and resume. None of their messages or details holds a device code:
// a snapshot is described by where it is wrong (a path such as `poll.state.attempt`), never by its values.

/**
 * A snapshot cannot be resumed as it is: it is not a tokenpoll snapshot, a
 * member is missing or out of range (`path` says which), it is of another
 * kind than the function asked to resume it (a poll's given to `resumeLogin`),
 * it is still sealed, or it does not match the options it is resumed with
 * (another client id, another provider). Nothing was started.
 * @group Errors
 */
export class SnapshotInvalidError extends TokenPollError {
  /** Always `'SnapshotInvalidError'`. */
  override readonly name = 'SnapshotInvalidError';
  /** Where the snapshot is wrong, as a dotted path (`poll.state.attempt`), or `''` for the whole value. */
  readonly path: string;
  constructor(path: string, message: string) {
    super(ErrorCode.SNAPSHOT_INVALID, path === '' ? `invalid snapshot: ${message}` : `invalid snapshot at ${path}: ${message}`);
    this.path = path;
  }
  protected override details(): Record<string, unknown> {
    return { path: this.path };
  }
}

/**
 * A sealed snapshot failed AES-GCM's integrity check: it was changed after it
 * was sealed, or it is opened with another key than it was sealed with. Its
 * content is not trusted, and not read.
 * @group Errors
 */
export class SnapshotTamperedError extends TokenPollError {
  /** Always `'SnapshotTamperedError'`. */
  override readonly name = 'SnapshotTamperedError';
  constructor(cause?: unknown) {
    super(ErrorCode.SNAPSHOT_TAMPERED, 'the sealed snapshot failed its integrity check: it was changed, or the key is not the one it was sealed with', { cause });
  }
}

/**
 * A snapshot whose flow can no longer poll: the device code's deadline (or
 * the caller's own timeout) passed before it was resumed, on the wall clock
 * of the process that resumes it. The user must start a new login.
 * @group Errors
 */
export class SnapshotExpiredError extends TokenPollError {
  /** Always `'SnapshotExpiredError'`. */
  override readonly name = 'SnapshotExpiredError';
  /** Which limit passed: the device code's deadline, or the caller's `timeoutMs`. */
  readonly source: 'deadline' | 'timeout';
  /** When it passed, in wall-clock epoch milliseconds. */
  readonly expiredAt: number;
  constructor(source: 'deadline' | 'timeout', expiredAt: number, wallNow: number) {
    const what = source === 'deadline' ? "the device code's deadline" : "the caller's timeout";
    super(ErrorCode.SNAPSHOT_EXPIRED, `the snapshot cannot be resumed: ${what} passed ${Math.max(0, Math.round(wallNow - expiredAt))} ms ago (at ${new Date(expiredAt).toISOString()})`);
    this.source = source;
    this.expiredAt = expiredAt;
  }
  protected override details(): Record<string, unknown> {
    return { source: this.source, expiredAt: this.expiredAt };
  }
}

/**
 * A snapshot in a format version this copy of tokenpoll does not know: it was
 * written by a newer one. Resume it there, or upgrade this one.
 * @group Errors
 */
export class SnapshotVersionError extends TokenPollError {
  /** Always `'SnapshotVersionError'`. */
  override readonly name = 'SnapshotVersionError';
  /** The snapshot's version. */
  readonly version: number;
  /** The newest version this copy reads. */
  readonly supported: number;
  constructor(version: number, supported: number) {
    super(ErrorCode.SNAPSHOT_VERSION, `the snapshot is format version ${version}, written by a newer tokenpoll; this one reads up to version ${supported}`);
    this.version = version;
    this.supported = supported;
  }
  protected override details(): Record<string, unknown> {
    return { version: this.version, supported: this.supported };
  }
}

/**
 * `snapshot()` was called on a flow that has nothing to resume: it has
 * settled (`status` is its terminal status), or a login has no device code
 * yet or is between two codes (`status` is `'authorizing'`). Check
 * `handle.state` first, or snapshot from the `code` event on.
 * @group Errors
 */
export class SnapshotUnavailableError extends TokenPollError {
  /** Always `'SnapshotUnavailableError'`. */
  override readonly name = 'SnapshotUnavailableError';
  /** The flow's status when it was asked. */
  readonly status: string;
  constructor(status: string, message: string) {
    super(ErrorCode.SNAPSHOT_UNAVAILABLE, `no snapshot: ${message}`);
    this.status = status;
  }
  protected override details(): Record<string, unknown> {
    return { status: this.status };
  }
}
