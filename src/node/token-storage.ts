import { withFileLock, type FileLockOptions } from './file-lock.js';
import { readSsoTokenCache, writeSsoTokenCache, type SsoTokenCacheEntry } from './sso-cache.js';

/**
 * Where a token source keeps its token: the AWS CLI v2 cache file by default
 * ({@link ssoTokenFileStorage}), or anything with the same three operations.
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
}

/**
 * The AWS CLI v2 SSO cache file as a {@link SsoTokenStorage}: reads with
 * {@link readSsoTokenCache}, writes with {@link writeSsoTokenCache} (atomic,
 * mode 0600), and locks with {@link withFileLock} on `<path>.lock`, next to it.
 * @param path - The cache file, such as {@link ssoCachePath}'s.
 * @group AWS token cache
 */
export function ssoTokenFileStorage(path: string, lock: FileLockOptions = {}): SsoTokenStorage {
  return Object.freeze({
    path,
    read: () => readSsoTokenCache(path),
    write: (entry: SsoTokenCacheEntry) => writeSsoTokenCache(path, entry),
    exclusive: <TResult>(fn: () => Promise<TResult>, signal?: AbortSignal) => withFileLock(`${path}.lock`, fn, { ...lock, signal }),
  });
}
