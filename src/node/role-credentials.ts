import { createHash } from 'node:crypto';
import { readdir, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { AwsRoleCredentials } from '../aws/portal-types.js';
import type { Clock } from '../clock/clock.js';
import { withFileLock, type FileLockOptions } from './file-lock.js';
import { SsoCacheError, parseCacheTime, readRegularFile, toCacheTime, writeFileAtomically } from './sso-cache.js';

/*
 * Role credentials cached on disk in the AWS CLI v2's own credential cache
 * (`~/.aws/cli/cache/<key>.json`), so that `tokenpoll aws credentials` (a
 * credential_process, run once per AWS call) answers a warm call without a
 * request, and the AWS CLI and tokenpoll share what either fetched. The key
 * and the file are those the AWS CLI's SSO credential provider uses (learned
 * from its behaviour, not its code): the SHA-1 of a compact JSON object with
 * sorted keys, naming the account, the role, and the session name (or, with
 * none, the start URL).
 */

/** Which role's cached credentials, and where the cache folder is. @internal */
export interface RoleCredentialCacheLocation {
  /** The start URL: part of the key when there is no session name. */
  readonly startUrl: string;
  /** The `sso-session` name: part of the key instead of the start URL when given. */
  readonly sessionName?: string | undefined;
  readonly accountId: string;
  readonly roleName: string;
  /** The cache folder. @defaultValue `~/.aws/cli/cache` */
  readonly cacheDir?: string | undefined;
}

/** The AWS CLI's credential cache folder, `~/.aws/cli/cache`. @internal */
export function defaultRoleCredentialCacheDir(): string {
  return join(homedir(), '.aws', 'cli', 'cache');
}

/**
 * The AWS CLI v2's cache key for a role's SSO credentials: the SHA-1 hex of
 * `{"accountId":…,"roleName":…,"sessionName":…}` (or `"startUrl"` instead of
 * `"sessionName"` without a session name), keys sorted, no spaces, and every
 * character outside printable ASCII written as `\uXXXX`, as Python's
 * `json.dumps` writes it.
 * @internal
 */
export function roleCredentialCacheKey(location: Pick<RoleCredentialCacheLocation, 'startUrl' | 'sessionName' | 'accountId' | 'roleName'>): string {
  const named = location.sessionName !== undefined && location.sessionName !== '';
  // Keys in sorted order: accountId < roleName < sessionName | startUrl.
  const record = named
    ? { accountId: location.accountId, roleName: location.roleName, sessionName: location.sessionName }
    : { accountId: location.accountId, roleName: location.roleName, startUrl: location.startUrl };
  const json = JSON.stringify(record).replace(/[\u007f-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return createHash('sha1').update(json, 'utf8').digest('hex');
}

/** The cache file of a role: `<cacheDir>/<roleCredentialCacheKey>.json`. @internal */
export function roleCredentialCachePath(location: RoleCredentialCacheLocation): string {
  return join(location.cacheDir ?? defaultRoleCredentialCacheDir(), `${roleCredentialCacheKey(location)}.json`);
}

/** The most a credential cache file may hold: the AWS CLI's are about 1.5 KiB. */
const MAX_FILE_BYTES = 64 * 1024;

/**
 * Reads a role's cached credentials. A missing file gives `undefined`; a file
 * that is not one the AWS CLI's SSO provider (or tokenpoll) wrote throws
 * {@link SsoCacheError} naming the file, never a secret: not JSON, not
 * `ProviderType` `sso`, a field missing, an `Expiration` that is not a time,
 * and, as for the token cache, a symbolic link, anything but a regular file,
 * or a file over 64 KiB. A file group or others may read is tightened to 0600
 * first (best effort).
 * @internal
 */
export async function readRoleCredentialCache(path: string): Promise<AwsRoleCredentials | undefined> {
  const text = await readRegularFile(path, MAX_FILE_BYTES, async (file, info) => {
    if ((info.mode & 0o077) !== 0) await file.chmod(0o600).catch(() => undefined);
  });
  if (text === undefined) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new SsoCacheError(path, 'is not JSON');
  }
  const record = isObject(data) ? data : undefined;
  if (record?.['ProviderType'] !== 'sso') throw new SsoCacheError(path, "is not an SSO credential cache entry (ProviderType 'sso')");
  const credentials = isObject(record['Credentials']) ? record['Credentials'] : {};
  const fields: Record<string, string> = {};
  for (const field of ['AccessKeyId', 'SecretAccessKey', 'SessionToken', 'Expiration']) {
    const value = credentials[field];
    if (typeof value !== 'string' || value === '') throw new SsoCacheError(path, `has no Credentials.${field}`);
    fields[field] = value;
  }
  const expiration = parseCacheTime(fields['Expiration']!);
  if (Number.isNaN(expiration)) throw new SsoCacheError(path, 'has a Credentials.Expiration that is not a time');
  return { accessKeyId: fields['AccessKeyId']!, secretAccessKey: fields['SecretAccessKey']!, sessionToken: fields['SessionToken']!, expiration };
}

/**
 * Writes a role's credentials as the AWS CLI does (`{"ProviderType":"sso",
 * "Credentials":{…,"Expiration":"2026-01-01T01:00:00Z"}}`, the expiry in whole
 * seconds), atomically and with mode 0600 (see `writeFileAtomically`).
 * @throws {@link SsoCacheError} when the folder or file cannot be written.
 * @internal
 */
export async function writeRoleCredentialCache(path: string, credentials: AwsRoleCredentials): Promise<void> {
  const record = {
    ProviderType: 'sso',
    Credentials: {
      AccessKeyId: credentials.accessKeyId,
      SecretAccessKey: credentials.secretAccessKey,
      SessionToken: credentials.sessionToken,
      Expiration: toCacheTime(credentials.expiration),
    },
  };
  await writeFileAtomically(path, JSON.stringify(record));
}

/** How {@link cachedRoleCredentials} uses the cache. @internal */
export interface CachedRoleCredentialsOptions {
  readonly location: RoleCredentialCacheLocation;
  /** Cached credentials with less than this left are fetched again. @defaultValue 900000 (15 min, as the AWS CLI) */
  readonly refreshWindowMs?: number | undefined;
  /** The wall clock the expiry is judged on. @defaultValue the system clock */
  readonly clock?: Pick<Clock, 'wallNow'> | undefined;
  /** How the cache file's lock waits (`<path>.lock`). */
  readonly lock?: FileLockOptions | undefined;
  readonly signal?: AbortSignal | undefined;
  /**
   * Told when the cache could not be used: a file that cannot be read (it is
   * then fetched again and replaced) or the new credentials that could not be
   * written (they are still returned). What it throws is ignored.
   * @defaultValue none: silent
   */
  readonly onCacheError?: ((error: SsoCacheError) => void) | undefined;
}

/**
 * A role's credentials from the cache while more than `refreshWindowMs` is
 * left on them; otherwise `fetch`es them under the cache file's lock (after
 * reading the file again under it, so that of the processes that found it
 * stale only one fetches), writes them to the cache and returns them. A
 * cached file that cannot be read is fetched again and replaced; new
 * credentials that cannot be written are still returned; a lock that cannot
 * be taken (a folder that cannot be written, a holder past `lock.waitMs`) is
 * told through `onCacheError`, and the credentials are fetched without it.
 * @internal
 */
export async function cachedRoleCredentials(options: CachedRoleCredentialsOptions, fetch: (signal: AbortSignal | undefined) => Promise<AwsRoleCredentials>): Promise<AwsRoleCredentials> {
  const path = roleCredentialCachePath(options.location);
  const windowMs = options.refreshWindowMs ?? 15 * 60_000;
  const wallNow = (): number => (options.clock ?? { wallNow: Date.now }).wallNow();
  const report = (error: unknown): void => {
    try {
      if (error instanceof SsoCacheError) options.onCacheError?.(error);
    } catch {
      // The credentials go to the caller whatever the hook does.
    }
  };
  // A file that cannot be read is told once: from the read under the lock, or, without the lock, the first one.
  let unreadable: unknown;
  const fresh = async (): Promise<AwsRoleCredentials | undefined> => {
    unreadable = undefined;
    const cached = await readRoleCredentialCache(path).catch((error: unknown) => void (unreadable = error));
    return cached !== undefined && cached.expiration - windowMs > wallNow() ? cached : undefined;
  };
  const warm = await fresh();
  if (warm !== undefined) return warm;
  const fetchAndCache = async (): Promise<AwsRoleCredentials> => {
    const credentials = await fetch(options.signal);
    await writeRoleCredentialCache(path, credentials).catch(report);
    return credentials;
  };
  let locked = false;
  try {
    return await withFileLock(
      `${path}.lock`,
      async () => {
        locked = true;
        const again = await fresh();
        if (again !== undefined) return again;
        report(unreadable);
        return fetchAndCache();
      },
      { ...options.lock, signal: options.signal },
    );
  } catch (error) {
    // The cache only saves a request: a lock that cannot be taken (a folder that cannot be written, a lock
    // held past its wait) is told, and the credentials are fetched without it.
    if (locked || !(error instanceof SsoCacheError)) throw error;
    report(unreadable);
    report(error);
    return fetchAndCache();
  }
}

/** Removes one role's cache file; true when there was one. @internal */
export async function removeRoleCredentialCache(location: RoleCredentialCacheLocation): Promise<boolean> {
  return removeFile(roleCredentialCachePath(location));
}

/**
 * Removes every SSO role-credential file in the AWS CLI's credential cache
 * (`*.json` whose `ProviderType` is `sso`), as `aws sso logout` does: the file
 * names are hashes, so the files of one session cannot be told from another's.
 * Files it cannot read or parse, and other providers' files (assume-role),
 * are left alone; links are never followed.
 * @returns the removed files.
 * @internal
 */
export async function removeSsoRoleCredentialCaches(cacheDir: string = defaultRoleCredentialCacheDir()): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(cacheDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new SsoCacheError(cacheDir, `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'unknown error'})`, { cause: error });
  }
  const removed: string[] = [];
  for (const name of names.filter((entry) => entry.endsWith('.json')).sort()) {
    const path = join(cacheDir, name);
    const text = await readRegularFile(path, MAX_FILE_BYTES).catch(() => undefined);
    let providerType: unknown;
    try {
      providerType = text === undefined ? undefined : (JSON.parse(text) as { ProviderType?: unknown } | null)?.ProviderType;
    } catch {
      continue;
    }
    if (providerType === 'sso' && (await removeFile(path))) removed.push(path);
  }
  return removed;
}

async function removeFile(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new SsoCacheError(path, `cannot be removed (${(error as NodeJS.ErrnoException).code ?? 'unknown error'})`, { cause: error });
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
