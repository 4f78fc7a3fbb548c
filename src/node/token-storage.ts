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
 * mode 0600), and locks with {@link withFileLock} on `<path>.lock`, next to it.
 * The last refresh attempt goes to `<path>.refresh` (mode 0600, one ISO 8601
 * time, written as the cache file is: never through a symbolic link), so that
 * short-lived processes such as `credential_process` share the throttle; the
 * cache file itself keeps only the fields the AWS CLI knows. The record is
 * read as the cache file is (see {@link readSsoTokenCache}): a symbolic link,
 * a FIFO or anything else but a regular file there, like a missing or garbled
 * record, counts as no record (no throttle), and the next attempt's record is
 * renamed over it, replacing the link or FIFO, never writing through it.
 * @param path - The cache file, such as {@link ssoCachePath}'s.
 * @param lock - How the lock waits, and `onWait` to say that it does. @defaultValue `{}` (see {@link FileLockOptions})
 * @group AWS token cache
 */
export function ssoTokenFileStorage(path: string, lock: FileLockOptions = {}): SsoTokenStorage {
  const record = `${path}.refresh`;
  return Object.freeze({
    path,
    read: () => readSsoTokenCache(path),
    write: (entry: SsoTokenCacheEntry) => writeSsoTokenCache(path, entry),
    exclusive: <TResult>(fn: () => Promise<TResult>, signal?: AbortSignal) => withFileLock(`${path}.lock`, fn, { ...lock, signal }),
    lastRefreshAttempt: () => readAttempt(record),
    recordRefreshAttempt: (wallNowMs: number) => writeAttempt(record, wallNowMs),
  });
}

/** The most a record may hold: one ISO 8601 time and a newline. */
const MAX_RECORD_BYTES = 256;

/**
 * The recorded attempt; a missing, unreadable or garbled record is no record
 * (no throttle), and so is a symbolic link, a FIFO, a device or anything else
 * but a regular file (never followed, never blocked on), or a file over 256
 * bytes. This runs under the cache's lock: it must never wait on what it finds.
 */
async function readAttempt(path: string): Promise<number | undefined> {
  const text = (await readRegularFile(path, MAX_RECORD_BYTES).catch(() => undefined)) ?? '';
  const at = Date.parse(text.trim());
  return Number.isNaN(at) ? undefined : at;
}

/**
 * Best effort: a record that cannot be written only loses the throttle across
 * processes, never the refresh. Written to a temporary file and renamed, so a
 * symbolic link at the record's path is replaced, never written through.
 */
async function writeAttempt(path: string, wallNowMs: number): Promise<void> {
  await writeFileAtomically(path, `${new Date(wallNowMs).toISOString()}\n`).catch(() => undefined);
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
