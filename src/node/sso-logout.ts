import { lstat, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { MAX_CACHE_BYTES, defaultSsoCacheDir, readRegularFile } from './sso-cache.js';
import { legacyRefreshRecordPath, removeLegacyRefreshRecord } from './token-storage.js';

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
 * Removes a session's cache file and what tokenpoll kept beside it in
 * earlier versions (`<path>.refresh`). A symbolic link is removed, not
 * followed; nothing there is not an error.
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
  if (await removeLegacyRefreshRecord(path)) removed.push(legacyRefreshRecordPath(path));
  return removed;
}

/** The old tokenpoll refresh records (`<40 hex>.json.refresh`) whose cache file is gone: what an earlier `aws sso logout` left behind. */
const LEGACY_RECORD = /^[0-9a-f]{40}\.json\.refresh$/;

/**
 * Removes the old `<sha1>.json.refresh` records left in the cache folder
 * without their cache file (an `aws sso logout` removed the token, earlier
 * versions of tokenpoll kept the record apart from it).
 * @returns the paths removed.
 * @internal
 */
export async function removeOrphanRefreshRecords(cacheDir: string = defaultSsoCacheDir()): Promise<string[]> {
  const names = await namesIn(cacheDir);
  const present = new Set(names);
  const removed: string[] = [];
  for (const name of names.filter((candidate) => LEGACY_RECORD.test(candidate)).sort()) {
    if (present.has(name.slice(0, -'.refresh'.length))) continue;
    const path = join(cacheDir, name);
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
