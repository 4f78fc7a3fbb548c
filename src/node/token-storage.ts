import { open, readFile } from 'node:fs/promises';
import { withFileLock, type FileLockOptions } from './file-lock.js';
import { readSsoTokenCache, writeSsoTokenCache, type SsoTokenCacheEntry } from './sso-cache.js';

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
 * time), so that short-lived processes such as `credential_process` share the
 * throttle; the cache file itself keeps only the fields the AWS CLI knows.
 * @param path - The cache file, such as {@link ssoCachePath}'s.
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

/** The recorded attempt; a missing, unreadable or garbled record is no record (no throttle). */
async function readAttempt(path: string): Promise<number | undefined> {
  const text = await readFile(path, 'utf8').catch(() => '');
  const at = Date.parse(text.trim());
  return Number.isNaN(at) ? undefined : at;
}

/** Best effort: a record that cannot be written only loses the throttle across processes, never the refresh. */
async function writeAttempt(path: string, wallNowMs: number): Promise<void> {
  try {
    const file = await open(path, 'w', 0o600);
    try {
      await file.writeFile(`${new Date(wallNowMs).toISOString()}\n`, 'utf8');
    } finally {
      await file.close();
    }
  } catch {
    // See above.
  }
}
