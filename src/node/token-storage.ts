import { lstat, mkdir, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Clock } from '../clock/clock.js';
import { TokenNotSavedError } from '../errors/token-not-saved.js';
import { withFileLock, type FileLockOptions } from './file-lock.js';
import { isTokenPollError } from '../errors/base.js';
import { SsoCacheError, readRegularFile, readSsoTokenCache, writeFileAtomically, writeSsoTokenCache, type SsoTokenCacheEntry } from './sso-cache.js';

/**
 * Where a token source keeps its token: the AWS CLI v2 cache file by default
 * ({@link ssoTokenFileStorage}), or anything with the same operations.
 * @group AWS token cache
 */
export interface SsoTokenStorage {
  /** The file it reads and writes, when it is one (for messages). */
  readonly path?: string | undefined;
  /** The stored entry, or `undefined` when there is none. */
  read(): Promise<SsoTokenCacheEntry | undefined>;
  /** Replaces the stored entry, atomically (a reader sees the old entry or the new one). */
  write(entry: SsoTokenCacheEntry): Promise<void>;
  /** Runs `fn` while no other holder, in this process or another, runs its own: the refresh happens inside. */
  exclusive<TResult>(fn: () => Promise<TResult>, signal?: AbortSignal): Promise<TResult>;
  /**
   * When any process last tried a refresh, in epoch milliseconds, or
   * `undefined` when unknown; called under {@link SsoTokenStorage.exclusive}.
   * Without it, the refresh throttle holds within one token source only.
   */
  lastRefreshAttempt?(): Promise<number | undefined>;
  /** Records a refresh attempt at `wallNowMs` (epoch milliseconds), under {@link SsoTokenStorage.exclusive}, just before it is sent. */
  recordRefreshAttempt?(wallNowMs: number): Promise<void>;
}

/**
 * The AWS CLI v2 SSO cache file as a {@link SsoTokenStorage}: reads with
 * {@link readSsoTokenCache}, writes with {@link writeSsoTokenCache} (atomic,
 * mode 0600), and locks with {@link withFileLock} on `<path>.lock`, next to it
 * (removed after each use).
 *
 * The last refresh attempt is kept in a file of tokenpoll's own, outside the
 * AWS CLI's folder: for `<folder>/<name>.json` it is
 * `<parent of folder>/tokenpoll/<name>.json.refresh` (so
 * `~/.aws/sso/cache/<sha1>.json` has `~/.aws/sso/tokenpoll/<sha1>.json.refresh`),
 * one ISO 8601 time, so that short-lived processes such as
 * `credential_process` share the throttle. The cache file itself is never
 * rewritten to record an attempt: the AWS CLI and the SDKs do not take
 * tokenpoll's lock, and a token they wrote meanwhile would be lost. The
 * folder is created with mode 0700, the record written to a temporary file
 * and renamed into place (a symbolic link at its path is replaced, never
 * written through), and read as a regular file of 256 bytes at most (a link, a
 * FIFO or anything unreadable is no record). The record is best effort: one
 * that cannot be written only loses the throttle across processes. A record
 * left behind once the token is gone (`aws sso logout` knows nothing of it)
 * throttles nothing, its time being past; `tokenpoll aws logout` removes it.
 *
 * Earlier versions of tokenpoll kept the record in `<path>.refresh`, next to
 * the cache file; such a file is read once, its time moved to the new record
 * when newer, and removed (a link or FIFO there is removed, never followed).
 * @param path - The cache file, such as {@link ssoCachePath}'s.
 * @param lock - How the lock waits, and `onWait` to say that it does. @defaultValue `{}` (see {@link FileLockOptions})
 * @example
 * ```ts
 * import { ssoCachePath, ssoTokenFileStorage } from 'tokenpoll/node';
 * const storage = ssoTokenFileStorage(ssoCachePath({ startUrl: 'https://my-org.awsapps.com/start' }));
 * const entry = await storage.exclusive(() => storage.read()); // read under the lock the AWS cache's writers share
 * ```
 * @group AWS token cache
 */
export function ssoTokenFileStorage(path: string, lock: FileLockOptions = {}): SsoTokenStorage {
  return Object.freeze({
    path,
    read: () => readSsoTokenCache(path),
    write: (entry: SsoTokenCacheEntry) => writeSsoTokenCache(path, entry),
    exclusive: <TResult>(fn: () => Promise<TResult>, signal?: AbortSignal) => withFileLock(`${path}.lock`, fn, { ...lock, signal }),
    lastRefreshAttempt: () => readAttempt(path),
    recordRefreshAttempt: async (wallNowMs: number) => {
      await writeAttempt(path, wallNowMs);
      await removeLegacyRefreshRecord(path);
    },
  });
}

/** The folder of tokenpoll's own beside a cache folder: `<parent of dir>/tokenpoll`. @internal */
export function refreshRecordDir(cacheDir: string): string {
  return join(dirname(cacheDir), 'tokenpoll');
}

/**
 * Where the last refresh attempt for the cache file `path` is recorded:
 * `<parent of its folder>/tokenpoll/<name>.refresh`, outside the AWS CLI's folder.
 * @internal
 */
export function refreshRecordPath(path: string): string {
  return join(refreshRecordDir(dirname(path)), `${basename(path)}.refresh`);
}

/** Where earlier versions kept the record: `<path>.refresh`, next to the cache file. @internal */
export function legacyRefreshRecordPath(path: string): string {
  return `${path}.refresh`;
}

/** The most a record may hold: one ISO 8601 time and a newline. */
const MAX_RECORD_BYTES = 256;

/**
 * The recorded attempt: tokenpoll's record, or an old `.refresh` record's
 * time when that is newer (moved to the record, then the old file is
 * removed). Anything unreadable is no record (no throttle). This runs under
 * the cache's lock: it must never wait on what it finds.
 */
async function readAttempt(path: string): Promise<number | undefined> {
  const recorded = timeOf((await readRegularFile(refreshRecordPath(path), MAX_RECORD_BYTES).catch(() => undefined))?.trim());
  const legacy = await takeLegacyRefreshRecord(path);
  if (legacy === undefined || (recorded !== undefined && recorded >= legacy)) return recorded;
  await writeAttempt(path, legacy);
  return legacy;
}

/**
 * Best effort: a record that cannot be written only loses the throttle across
 * processes, never the refresh. The folder is created 0700 and must be a
 * folder, not a link to one; the record is renamed into place (see
 * {@link writeFileAtomically}), so a symbolic link at its path is replaced,
 * never written through. The cache file is not touched.
 */
async function writeAttempt(path: string, wallNowMs: number): Promise<void> {
  const record = refreshRecordPath(path);
  const dir = dirname(record);
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    if (!(await lstat(dir)).isDirectory()) return;
    await writeFileAtomically(record, `${new Date(wallNowMs).toISOString()}\n`);
  } catch {
    // No record: the next process may try a refresh sooner, nothing worse.
  }
}

/**
 * Reads an old `<path>.refresh` record (a regular file of 256 bytes at most;
 * a link, a FIFO or anything else is no record) and removes whatever is at
 * its path. @returns its time, or `undefined`.
 */
async function takeLegacyRefreshRecord(path: string): Promise<number | undefined> {
  const legacy = legacyRefreshRecordPath(path);
  const text = await readRegularFile(legacy, MAX_RECORD_BYTES).catch(() => undefined);
  await removeLegacyRefreshRecord(path);
  return timeOf(text?.trim());
}

/**
 * Removes an old `<path>.refresh` record, whatever is there (a symbolic link
 * is removed, not followed); nothing there, or a folder, is left as it is.
 * @internal
 */
export async function removeLegacyRefreshRecord(path: string): Promise<boolean> {
  return unlink(legacyRefreshRecordPath(path)).then(() => true, () => false);
}

/**
 * Removes the record of the last refresh attempt for the cache file `path`
 * (see {@link refreshRecordPath}), whatever is there (a symbolic link is
 * removed, not followed); nothing there, or a folder, is left as it is.
 * @internal
 */
export async function removeRefreshRecord(path: string): Promise<boolean> {
  return unlink(refreshRecordPath(path)).then(() => true, () => false);
}

function timeOf(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : at;
}

/** How many times a token the server issued is written before giving up. @internal */
export const SAVE_ATTEMPTS = 3;
/** The pause before each further try, in ms: a full disk or a busy file may clear by then. */
const SAVE_PAUSE_MS = 200;

/** What {@link saveIssuedEntry} needs besides the entry. @internal */
export interface SaveIssuedOptions {
  /** Whose token it is, for the error's message. */
  readonly kind: 'refreshed' | 'login';
  /** Where the pauses between tries run. */
  readonly clock: Pick<Clock, 'setTimeout'>;
  /** True when the caller already holds the storage's lock; otherwise it is taken around the tries. */
  readonly locked: boolean;
  /** Cancels waiting for the lock. */
  readonly signal?: AbortSignal | undefined;
}

/**
 * Saves an entry the server just issued, which must not be lost: up to
 * {@link SAVE_ATTEMPTS} writes, 200 ms apart on `clock`, under
 * the storage's lock. Never throws: resolves with `undefined` once saved, or
 * with the {@link TokenNotSavedError} to report while the caller goes on with
 * the token.
 * @internal
 */
export async function saveIssuedEntry(storage: SsoTokenStorage, entry: SsoTokenCacheEntry, options: SaveIssuedOptions): Promise<TokenNotSavedError | undefined> {
  let attempts = 0;
  const tries = async (): Promise<TokenNotSavedError | undefined> => {
    for (;;) {
      attempts += 1;
      try {
        await storage.write(entry);
        return undefined;
      } catch (error) {
        if (attempts >= SAVE_ATTEMPTS) return new TokenNotSavedError(options.kind, storage.path, attempts, error);
      }
      await new Promise<void>((resolve) => options.clock.setTimeout(resolve, SAVE_PAUSE_MS));
    }
  };
  try {
    return options.locked ? await tries() : await storage.exclusive(tries, options.signal);
  } catch (error) {
    // The lock could not be taken (tries() itself never throws): nothing was written, so 0 attempts, and the reason says so.
    return new TokenNotSavedError(options.kind, storage.path, attempts, attempts === 0 ? lockNotTaken(storage.path, error) : error);
  }
}

/**
 * Why nothing was written: the storage's lock could not be taken. Its message
 * is the lock's own (tokenpoll's, naming the lock file) or a system error
 * code, never a custom storage's text; the original error is its `cause`.
 */
function lockNotTaken(path: string | undefined, error: unknown): SsoCacheError {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  const reason = isTokenPollError(error) ? error.message : typeof code === 'string' ? code : 'the storage threw';
  return new SsoCacheError(path ?? 'the token storage', `its lock could not be taken, so nothing was written (${reason})`, { cause: error });
}
