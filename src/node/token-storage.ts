import { unlink } from 'node:fs/promises';
import type { Clock } from '../clock/clock.js';
import { TokenNotSavedError } from '../errors/token-not-saved.js';
import { withFileLock, type FileLockOptions } from './file-lock.js';
import { isTokenPollError } from '../errors/base.js';
import { MAX_CACHE_BYTES, SsoCacheError, readRegularFile, readSsoTokenCache, writeFileAtomically, writeSsoTokenCache, type SsoTokenCacheEntry } from './sso-cache.js';

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
 * The last refresh attempt is kept in the cache file itself, in one field of
 * tokenpoll's own (`tokenpollLastRefreshAttempt`, an ISO 8601 time), so that
 * short-lived processes such as `credential_process` share the throttle, and
 * the record goes wherever the token goes: `aws sso logout`, which deletes
 * every cache file holding an `accessToken`, leaves nothing of tokenpoll's
 * behind. The AWS CLI and the AWS SDKs read the fields they know by name and
 * ignore this one; a refresh by the AWS CLI rewrites the file without it,
 * which only drops a record the new token no longer needs. Recording an
 * attempt reads the file again and renames a copy with the field set over it
 * (never through a symbolic link), so what another tool wrote meanwhile is
 * kept. A file that cannot be read (missing, garbled, a link, a FIFO) holds no
 * record, and then none is written: the record is best effort.
 *
 * Earlier versions of tokenpoll kept the record in `<path>.refresh`, next to
 * the cache file; such a file is read once, its time moved into the cache file
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

/** The cache file's field that holds the last refresh attempt, an ISO 8601 time. @internal */
export const REFRESH_ATTEMPT_FIELD = 'tokenpollLastRefreshAttempt';

/** Where earlier versions kept the record: `<path>.refresh`, next to the cache file. @internal */
export function legacyRefreshRecordPath(path: string): string {
  return `${path}.refresh`;
}

/** The most an old `.refresh` record may hold: one ISO 8601 time and a newline. */
const MAX_RECORD_BYTES = 256;

/**
 * The recorded attempt: the cache file's field, or an old `.refresh` record's
 * time when that is newer (moved into the cache file, then the old record is
 * removed). Anything unreadable is no record (no throttle). This runs under
 * the cache's lock: it must never wait on what it finds.
 */
async function readAttempt(path: string): Promise<number | undefined> {
  const inFile = timeOf((await readRawCacheFile(path))?.[REFRESH_ATTEMPT_FIELD]);
  const legacy = await takeLegacyRefreshRecord(path);
  if (legacy === undefined || (inFile !== undefined && inFile >= legacy)) return inFile;
  await writeAttempt(path, legacy);
  return legacy;
}

/**
 * Best effort: a record that cannot be written only loses the throttle across
 * processes, never the refresh. The file is read again and a copy with the
 * field set is renamed over it (see {@link writeFileAtomically}), so a
 * symbolic link at the path is replaced, never written through, and the
 * fields another tool wrote are kept.
 */
async function writeAttempt(path: string, wallNowMs: number): Promise<void> {
  const raw = await readRawCacheFile(path);
  if (raw === undefined || typeof raw['accessToken'] !== 'string') return;
  const text = `${JSON.stringify({ ...raw, [REFRESH_ATTEMPT_FIELD]: new Date(wallNowMs).toISOString() }, null, 2)}\n`;
  await writeFileAtomically(path, text).catch(() => undefined);
}

/** The cache file as a JSON object, or `undefined` when it cannot be read as one (read as {@link readRegularFile} reads). */
async function readRawCacheFile(path: string): Promise<Record<string, unknown> | undefined> {
  const text = await readRegularFile(path, MAX_CACHE_BYTES).catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
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
  try {
    await unlink(legacyRefreshRecordPath(path));
    return true;
  } catch {
    return false;
  }
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
