import { createHash, randomBytes } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { mkdir, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { ErrorCode, TokenPollError } from '../errors/base.js';

/**
 * One token in the AWS CLI v2 SSO token cache (`~/.aws/sso/cache/<key>.json`),
 * as the AWS CLI and the AWS SDKs read and write it. Times are ISO 8601 UTC.
 * @group AWS token cache
 */
export interface SsoTokenCacheEntry {
  /** The IAM Identity Center start URL. */
  readonly startUrl: string;
  /** The region of the SSO OIDC service. */
  readonly region: string;
  /** The access token (a secret). */
  readonly accessToken: string;
  /** When the access token expires, as ISO 8601 UTC (`2026-11-27T14:00:00Z`). */
  readonly expiresAt: string;
  /** The registered client's id, where known (needed to refresh). */
  readonly clientId?: string | undefined;
  /** The registered client's secret (a secret), where known. */
  readonly clientSecret?: string | undefined;
  /** When the client registration expires, as ISO 8601 UTC. */
  readonly registrationExpiresAt?: string | undefined;
  /** The refresh token (a secret), where the service issued one. */
  readonly refreshToken?: string | undefined;
}

/** Where the cache file lives: under a session name or, without one, under the start URL. @group AWS token cache */
export interface SsoCacheLocation {
  /** The `sso-session` name; when given, it names the file instead of the start URL. */
  readonly sessionName?: string | undefined;
  /** The start URL, which names the file when no session name is given. */
  readonly startUrl: string;
  /** The cache folder. @defaultValue `~/.aws/sso/cache` */
  readonly cacheDir?: string | undefined;
}

/**
 * A cache file that cannot be read, parsed or written. Its message names the
 * file and what is wrong, never the tokens in it.
 * @group AWS token cache
 */
export class SsoCacheError extends TokenPollError {
  /** Always `'SsoCacheError'`. */
  override readonly name = 'SsoCacheError';
  /** The cache file's path. */
  readonly path: string;
  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super(ErrorCode.SSO_CACHE, `${path}: ${message}`, options);
    this.path = path;
  }
  protected override details(): Record<string, unknown> {
    return { path: this.path };
  }
}

/**
 * The AWS CLI's default SSO token cache folder, `~/.aws/sso/cache`.
 * @example
 * ```ts
 * import { defaultSsoCacheDir } from 'tokenpoll/node';
 * defaultSsoCacheDir(); // '/home/me/.aws/sso/cache'
 * ```
 * @group AWS token cache
 */
export function defaultSsoCacheDir(): string {
  return join(homedir(), '.aws', 'sso', 'cache');
}

/**
 * The cache key the AWS CLI v2 uses: the SHA-1 hex of the session name, or of
 * the start URL when there is no session name.
 * @example
 * ```ts
 * ssoCacheKey({ startUrl: 'https://example.awsapps.com/start' }); // 40 hex digits
 * ```
 * @group AWS token cache
 */
export function ssoCacheKey(location: Pick<SsoCacheLocation, 'sessionName' | 'startUrl'>): string {
  const name = location.sessionName !== undefined && location.sessionName !== '' ? location.sessionName : location.startUrl;
  return createHash('sha1').update(name, 'utf8').digest('hex');
}

/**
 * The cache file's full path: `<cacheDir>/<ssoCacheKey>.json`.
 * @example
 * ```ts
 * import { ssoCachePath } from 'tokenpoll/node';
 * ssoCachePath({ startUrl: 'https://my-org.awsapps.com/start' }); // '/home/me/.aws/sso/cache/<SHA-1 of the start URL>.json'
 * ssoCachePath({ sessionName: 'my-sso', startUrl: 'https://my-org.awsapps.com/start', cacheDir: '/tmp/sso' }); // '/tmp/sso/<SHA-1 of my-sso>.json'
 * ```
 * @group AWS token cache
 */
export function ssoCachePath(location: SsoCacheLocation): string {
  return join(location.cacheDir ?? defaultSsoCacheDir(), `${ssoCacheKey(location)}.json`);
}

/**
 * An ISO 8601 UTC time as the AWS CLI writes it, without milliseconds
 * (`2026-11-27T14:00:00Z`).
 * @example
 * ```ts
 * import { toCacheTime } from 'tokenpoll/node';
 * toCacheTime(Date.UTC(2026, 10, 27, 14)); // '2026-11-27T14:00:00Z'
 * ```
 * @group AWS token cache
 */
export function toCacheTime(epochMs: number): string {
  return new Date(Math.floor(epochMs / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** AWS CLI v2 before 2.1.14 wrote `2021-12-07T01:19:12UTC`, which `Date.parse` refuses. */
const LEGACY_UTC = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)UTC$/;

/** A cache time as written, with the old CLI's trailing `UTC` turned into `Z`. */
function normalizeCacheTime(text: string): string {
  const legacy = LEGACY_UTC.exec(text);
  return legacy ? `${legacy[1]!}Z` : text;
}

/**
 * Reads a time from the cache (`expiresAt`, `registrationExpiresAt`) as epoch
 * milliseconds, or `NaN` when it is not a time. Besides ISO 8601 it takes the
 * form AWS CLI v2 wrote before 2.1.14, `2021-12-07T01:19:12UTC`, which
 * `Date.parse` refuses.
 * @example
 * ```ts
 * parseCacheTime('2021-12-07T01:19:12UTC') === parseCacheTime('2021-12-07T01:19:12Z'); // true
 * ```
 * @group AWS token cache
 */
export function parseCacheTime(text: string): number {
  return Date.parse(normalizeCacheTime(text));
}

const REQUIRED = ['startUrl', 'region', 'accessToken', 'expiresAt'] as const;
const OPTIONAL = ['clientId', 'clientSecret', 'registrationExpiresAt', 'refreshToken'] as const;

/** The most a cache file may hold: the AWS CLI's are under 4 KiB. @internal */
export const MAX_CACHE_BYTES = 1024 * 1024;

/**
 * Reads a cache file. A missing file gives `undefined`; a file that is not
 * JSON, lacks a required field or has an unreadable `expiresAt` throws
 * {@link SsoCacheError}. Fields the AWS CLI adds beyond these are dropped.
 * Times in the old AWS CLI form (`2021-12-07T01:19:12UTC`) are returned as
 * ISO 8601 (`2021-12-07T01:19:12Z`); see {@link parseCacheTime}.
 *
 * A symbolic link at `path` is not followed, nor is anything but a regular
 * file read, nor one over 1 MiB (SsoCacheError: remove it). A file that group
 * or others may read is tightened to mode 0600 before it is read, since it
 * holds secrets; when that cannot be done (a read-only mount, a file owned by
 * someone else) it is read anyway and a process warning
 * (`process.emitWarning`, code `TOKENPOLL_CACHE_MODE`) names the file.
 * @example
 * ```ts
 * import { readSsoTokenCache, ssoCachePath } from 'tokenpoll/node';
 * const entry = await readSsoTokenCache(ssoCachePath({ sessionName: 'my-sso', startUrl: 'https://my-org.awsapps.com/start' }));
 * if (entry === undefined || Date.parse(entry.expiresAt) <= Date.now()) console.error('log in again: tokenpoll login --aws');
 * ```
 * @group AWS token cache
 */
export async function readSsoTokenCache(path: string): Promise<SsoTokenCacheEntry | undefined> {
  const text = await readRegularFile(path, MAX_CACHE_BYTES, async (file, info) => {
    if ((info.mode & 0o077) === 0) return;
    try {
      await file.chmod(0o600);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
      process.emitWarning(`${path}: readable by group/others; could not tighten to 0600 (${code})`, { type: 'TokenPollWarning', code: 'TOKENPOLL_CACHE_MODE' });
    }
  });
  if (text === undefined) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new SsoCacheError(path, 'is not JSON');
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new SsoCacheError(path, 'is not a JSON object');
  const record = data as Record<string, unknown>;
  const entry: Record<string, string> = {};
  for (const field of REQUIRED) {
    const value = record[field];
    if (typeof value !== 'string' || value === '') throw new SsoCacheError(path, `has no ${field}`);
    entry[field] = value;
  }
  for (const field of OPTIONAL) {
    const value = record[field];
    if (typeof value === 'string' && value !== '') entry[field] = value;
  }
  if (Number.isNaN(parseCacheTime(entry['expiresAt']!))) throw new SsoCacheError(path, 'has an expiresAt that is not a date');
  // The old CLI's `…UTC` times come back as `…Z`, the form the entry promises (and what gets written back).
  for (const field of ['expiresAt', 'registrationExpiresAt'] as const) if (entry[field] !== undefined) entry[field] = normalizeCacheTime(entry[field]);
  return entry as unknown as SsoTokenCacheEntry;
}

/**
 * Writes a cache file atomically with mode 0600: the JSON goes to a temporary
 * file in the same folder (created 0600, flushed to disk), which is then
 * renamed over the target, so a reader sees the old file or the new one,
 * never half of one. The folder is created (0700) when missing. A symbolic
 * link at `path` is replaced, never written through.
 * @example
 * ```ts
 * import { ssoCachePath, toCacheTime, writeSsoTokenCache } from 'tokenpoll/node';
 * const startUrl = 'https://my-org.awsapps.com/start';
 * await writeSsoTokenCache(ssoCachePath({ startUrl }), {
 *   startUrl,
 *   region: 'eu-west-1',
 *   accessToken,
 *   expiresAt: toCacheTime(Date.now() + 8 * 3600_000),
 * });
 * // After a login, ssoCacheEntryFromToken(token) builds the whole entry, refresh token and registration included.
 * ```
 * @throws {@link SsoCacheError} when the folder or file cannot be written.
 * @group AWS token cache
 */
export async function writeSsoTokenCache(path: string, entry: SsoTokenCacheEntry): Promise<void> {
  const record: Record<string, string> = {};
  for (const field of [...REQUIRED, ...OPTIONAL]) {
    const value = entry[field];
    if (value !== undefined) record[field] = value;
  }
  await writeFileAtomically(path, `${JSON.stringify(record, null, 2)}\n`);
}

/**
 * Writes `text` to `path` as {@link writeSsoTokenCache} does: a temporary file
 * created with `O_EXCL` (so never through a symbolic link) and mode 0600,
 * flushed, then renamed over `path` (which replaces a link rather than
 * following it).
 * @throws {@link SsoCacheError} naming `path` and the system error code.
 * @internal
 */
export async function writeFileAtomically(path: string, text: string): Promise<void> {
  const temporary = join(dirname(path), `.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const file = await open(temporary, 'wx', 0o600);
    try {
      await file.writeFile(text, 'utf8');
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw new SsoCacheError(path, `cannot be written (${(error as NodeJS.ErrnoException).code ?? 'unknown error'})`, { cause: error });
  }
}

/**
 * Reads a file that tokenpoll keeps (the cache file, a refresh record, a
 * lock's pid) without trusting what is at `path`: opened with `O_NOFOLLOW`
 * (a symbolic link is refused, never followed) and `O_NONBLOCK` (a FIFO does
 * not block the open), then refused unless `fstat` says it is a regular file
 * (so a FIFO, a device such as `/dev/zero`, a socket or a directory is never
 * read from), and read up to `maxBytes` only. `inspect`, when given, runs on
 * the open file before it is read (to tighten its mode, say).
 * @returns the text, or `undefined` when nothing is at `path`.
 * @throws {@link SsoCacheError} naming `path` for a symbolic link, anything
 * but a regular file, a file over `maxBytes`, and any other system error.
 * @internal
 */
export async function readRegularFile(path: string, maxBytes: number, inspect?: (file: FileHandle, info: Stats) => Promise<void>): Promise<string | undefined> {
  let file: FileHandle | undefined;
  try {
    file = await open(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0));
    const info = await file.stat();
    if (!info.isFile()) throw new SsoCacheError(path, 'is not a regular file: remove it and log in again');
    await inspect?.(file, info);
    // Read until the end, in chunks, stopping one byte past maxBytes: the size fstat gives may already be out of date.
    const chunks: Buffer[] = [];
    let length = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(16 * 1024, maxBytes + 1 - length));
      const { bytesRead } = await file.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      length += bytesRead;
      if (length > maxBytes) throw new SsoCacheError(path, `is larger than ${maxBytes} bytes, so not a file tokenpoll wrote: remove it and log in again`);
    }
    return Buffer.concat(chunks, length).toString('utf8');
  } catch (error) {
    if (error instanceof SsoCacheError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') throw new SsoCacheError(path, 'is a symbolic link, which tokenpoll does not follow: remove it and log in again', { cause: error });
    throw new SsoCacheError(path, `cannot be read (${code ?? 'unknown error'})`, { cause: error });
  } finally {
    await file?.close().catch(() => undefined);
  }
}
