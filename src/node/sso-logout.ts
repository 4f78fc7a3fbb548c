import { lstat, readdir, rmdir, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { MAX_CACHE_BYTES, defaultSsoCacheDir, readRegularFile } from './sso-cache.js';
import { legacyRefreshRecordPath, refreshRecordDir, refreshRecordPath, removeLegacyRefreshRecord, removeRefreshRecord } from './token-storage.js';

/**
 * A file of the SSO token cache as `aws sso logout` sees it: a JSON object
 * with an `accessToken` member. Only what a logout needs is kept.
 * @internal
 */
export interface CachedSsoToken {
  /** The file. */
  readonly path: string;
  /** The access token (a secret), when it is a non-empty string. */
  readonly accessToken: string | undefined;
  /** The region the token was issued in (where Logout is sent), when the file names one. */
  readonly region: string | undefined;
  /** The start URL, when the file names one (for messages). */
  readonly startUrl: string | undefined;
}

/**
 * Reads a cache file as `aws sso logout` does, but as tokenpoll reads files
 * (never through a symbolic link, never blocking on a FIFO, 1 MiB at most).
 * @returns the token, or `undefined` when nothing is there or it is not a
 * JSON object holding an `accessToken` (such a file is not a token to sign out).
 * @internal
 */
export async function readCachedSsoToken(path: string): Promise<CachedSsoToken | undefined> {
  const text = await readRegularFile(path, MAX_CACHE_BYTES).catch(() => undefined);
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !('accessToken' in value)) return undefined;
  const record = value as Record<string, unknown>;
  return { path, accessToken: nonEmpty(record['accessToken']), region: nonEmpty(record['region']), startUrl: nonEmpty(record['startUrl']) };
}

/**
 * Every token in the cache folder, as `aws sso logout` finds them: each
 * regular file whose JSON is an object with an `accessToken`. Symbolic links,
 * folders and other files are passed over.
 * @param cacheDir - @defaultValue `~/.aws/sso/cache`
 * @internal
 */
export async function listCachedSsoTokens(cacheDir: string = defaultSsoCacheDir()): Promise<CachedSsoToken[]> {
  const tokens: CachedSsoToken[] = [];
  for (const name of (await namesIn(cacheDir)).sort()) {
    const path = join(cacheDir, name);
    if (!(await isRegularFile(path))) continue;
    const token = await readCachedSsoToken(path);
    if (token) tokens.push(token);
  }
  return tokens;
}

/**
 * Removes a session's cache file, tokenpoll's record of its last refresh
 * attempt (see {@link refreshRecordPath}), and what earlier versions kept
 * beside it (`<path>.refresh`); tokenpoll's folder goes too when that
 * leaves it empty. A symbolic link is removed, not followed; nothing there
 * is not an error.
 * @returns the paths removed.
 * @throws the system error when the file is there but cannot be removed.
 * @internal
 */
export async function removeCachedSsoToken(path: string): Promise<string[]> {
  const removed: string[] = [];
  try {
    await unlink(path);
    removed.push(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  removed.push(...(await removeRefreshRecords(path)));
  return removed;
}

/**
 * Removes both refresh records of the cache file `path`: tokenpoll's (in its
 * own folder, which goes too when that leaves it empty) and an earlier
 * version's (`<path>.refresh`, beside it).
 * @returns the paths removed.
 * @internal
 */
export async function removeRefreshRecords(path: string): Promise<string[]> {
  const removed: string[] = [];
  if (await removeRefreshRecord(path)) removed.push(refreshRecordPath(path));
  await rmdir(refreshRecordDir(dirname(path))).catch(() => undefined); // only when empty
  if (await removeLegacyRefreshRecord(path)) removed.push(legacyRefreshRecordPath(path));
  return removed;
}

/** A refresh record of a cache file named by a SHA-1 (`<40 hex>.json.refresh`), as tokenpoll writes them. */
const RECORD = /^[0-9a-f]{40}\.json\.refresh$/;

/**
 * Removes the refresh records whose cache file is gone (an `aws sso logout`
 * removed the token, and knows nothing of them): `<sha1>.json.refresh` in
 * tokenpoll's folder beside the cache folder ({@link refreshRecordDir}),
 * which goes too once empty, and the old ones earlier versions left in the
 * cache folder itself.
 * @returns the paths removed.
 * @internal
 */
export async function removeOrphanRefreshRecords(cacheDir: string = defaultSsoCacheDir()): Promise<string[]> {
  const present = new Set(await namesIn(cacheDir));
  const removed: string[] = [];
  for (const dir of [refreshRecordDir(cacheDir), cacheDir]) {
    for (const name of (await namesIn(dir)).filter((candidate) => RECORD.test(candidate)).sort()) {
      if (present.has(name.slice(0, -'.refresh'.length))) continue;
      const path = join(dir, name);
      if (await unlink(path).then(() => true, () => false)) removed.push(path);
    }
  }
  await rmdir(refreshRecordDir(cacheDir)).catch(() => undefined); // only when empty
  return removed;
}

/** A lock on a cache file named by a SHA-1 (`<40 hex>.json.lock`), as tokenpoll takes them. */
const LOCK = /^[0-9a-f]{40}\.json\.lock$/;

/**
 * Removes the lock files a crashed tokenpoll left in `dir`: `<sha1>.json.lock`
 * regular files untouched for more than `staleMs` (a live holder touches its
 * lock every third of that, and a waiter would take such a lock over), unless
 * they changed meanwhile.
 * @param staleMs - @defaultValue 30000, the lock's own default
 * @returns the paths removed.
 * @internal
 */
export async function removeStaleLocks(dir: string, staleMs = 30_000, now: () => number = Date.now): Promise<string[]> {
  const removed: string[] = [];
  for (const name of (await namesIn(dir)).filter((candidate) => LOCK.test(candidate)).sort()) {
    const path = join(dir, name);
    const seen = await lstat(path).catch(() => undefined);
    if (seen === undefined || !seen.isFile() || now() - seen.mtimeMs <= staleMs) continue;
    const again = await lstat(path).catch(() => undefined);
    if (again === undefined || again.ino !== seen.ino || again.mtimeMs !== seen.mtimeMs) continue;
    if (await unlink(path).then(() => true, () => false)) removed.push(path);
  }
  return removed;
}

async function namesIn(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
    throw error;
  }
}

async function isRegularFile(path: string): Promise<boolean> {
  return lstat(path).then((info) => info.isFile(), () => false);
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
