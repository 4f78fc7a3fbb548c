/*
 * What bin.cts answers by itself, with Node's built-ins only (see bin.cts for
 * why): `tokenpoll --version`, and `tokenpoll aws credentials` from a warm
 * role-credential cache. It
 * reads the cache as src/node/role-credentials.ts does (the AWS CLI v2's
 * ~/.aws/cli/cache/<key>.json), and only takes the plain case: the command
 * line in the usual form, a regular 0600 file (never through a link) of the
 * expected shape with more than 15 minutes left. Anything else (another
 * option, `--help`, a miss, a stale or odd file, a file others may read) gives
 * `undefined`, and the CLI handles it fully. No side effects: the tests
 * require it (test/cli/startup.test.ts checks the key against
 * src/node/role-credentials.ts).
 * @internal
 */
const { closeSync, constants, fstatSync, openSync, readFileSync, readSync } = require('node:fs') as typeof import('node:fs');
const { createHash } = require('node:crypto') as typeof import('node:crypto');
const { homedir } = require('node:os') as typeof import('node:os');
const { dirname, join } = require('node:path') as typeof import('node:path');

/** Cached credentials with less than this left are fetched again (as the AWS CLI does). */
const REFRESH_WINDOW_MS = 15 * 60_000;
const MAX_FILE_BYTES = 64 * 1024;
const STRING_OPTIONS = new Set(['start-url', 'region', 'session-name', 'account-id', 'role-name', 'endpoint', 'portal-endpoint']);
const BOOLEAN_OPTIONS = new Set(['no-qr', 'open']);

/** AWS CLI v2 before 2.1.14 wrote `2021-12-07T01:19:12UTC`, which `Date.parse` refuses (as in src/node/sso-cache.ts). */
const LEGACY_UTC = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)UTC$/;

/**
 * A cache time in epoch milliseconds, or NaN: the rule of src/node/sso-cache.ts's parseCacheTime, which
 * src/node/role-credentials.ts reads `Expiration` with (ISO 8601, or the old `…UTC` form), so the bin answers
 * from exactly the files the CLI would (test/cli/startup.test.ts compares the two).
 */
function cacheTime(text: string): number {
  const legacy = LEGACY_UTC.exec(text);
  return Date.parse(legacy ? `${legacy[1]!}Z` : text);
}

/** The options of `aws credentials …` in its plain form, or undefined for anything else. */
function plainCredentialsCommand(args: readonly string[]): Map<string, string> | undefined {
  if (args[0] !== 'aws') return undefined;
  const values = new Map<string, string>();
  let positional: string | undefined;
  for (let i = 1; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('--')) {
      if (positional !== undefined || arg !== 'credentials') return undefined;
      positional = arg;
      continue;
    }
    const equals = arg.indexOf('=');
    const name = arg.slice(2, equals < 0 ? undefined : equals);
    if (values.has(name)) return undefined;
    if (BOOLEAN_OPTIONS.has(name) && equals < 0) {
      values.set(name, '');
    } else if (STRING_OPTIONS.has(name)) {
      const value = equals < 0 ? args[++i] : arg.slice(equals + 1);
      if (value === undefined || value.startsWith('-') || value.trim() === '') return undefined;
      values.set(name, value);
    } else {
      return undefined;
    }
  }
  if (positional === undefined || !['start-url', 'region', 'account-id', 'role-name'].every((name) => values.has(name))) return undefined;
  return values;
}

/** The key src/node/role-credentials.ts (roleCredentialCacheKey) and the AWS CLI use. */
function cacheKey(accountId: string, roleName: string, sessionName: string | undefined, startUrl: string): string {
  const record = sessionName !== undefined ? { accountId, roleName, sessionName } : { accountId, roleName, startUrl };
  const json = JSON.stringify(record).replace(/[\u007f-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return createHash('sha1').update(json, 'utf8').digest('hex');
}

/** The credential_process line for a warm cache file, or undefined. */
function warmAnswer(args: readonly string[]): string | undefined {
  const values = plainCredentialsCommand(args);
  if (values === undefined) return undefined;
  const path = join(homedir(), '.aws', 'cli', 'cache', `${cacheKey(values.get('account-id')!, values.get('role-name')!, values.get('session-name'), values.get('start-url')!)}.json`);
  let text: string;
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0));
    const info = fstatSync(fd);
    if (!info.isFile() || info.size > MAX_FILE_BYTES || (info.mode & 0o077) !== 0) return undefined;
    const buffer = Buffer.alloc(info.size);
    if (readSync(fd, buffer, 0, info.size, 0) !== info.size) return undefined;
    text = buffer.toString('utf8');
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  let record: { ProviderType?: unknown; Credentials?: Record<string, unknown> };
  try {
    record = JSON.parse(text) as typeof record;
  } catch {
    return undefined;
  }
  const credentials = record?.ProviderType === 'sso' && typeof record.Credentials === 'object' && record.Credentials !== null ? record.Credentials : undefined;
  const field = (name: string): string | undefined => {
    const value = credentials?.[name];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const [accessKeyId, secretAccessKey, sessionToken, expires] = ['AccessKeyId', 'SecretAccessKey', 'SessionToken', 'Expiration'].map(field);
  const expiration = expires === undefined ? Number.NaN : cacheTime(expires);
  if (accessKeyId === undefined || secretAccessKey === undefined || sessionToken === undefined || !(expiration - REFRESH_WINDOW_MS > Date.now())) return undefined;
  // The object credentialProcessOutput (src/aws/credential-process.ts) makes.
  return `${JSON.stringify({ Version: 1, AccessKeyId: accessKeyId, SecretAccessKey: secretAccessKey, SessionToken: sessionToken, Expiration: new Date(expiration).toISOString() })}\n`;
}

/**
 * `tokenpoll --version` (or `-v`) as the CLI answers it: the package's version, from its package.json (which
 * src/transports/user-agent.ts's TOKENPOLL_VERSION equals); undefined for any other command, or when the
 * package.json cannot be read.
 */
function versionAnswer(args: readonly string[]): string | undefined {
  if (args[0] !== '--version' && args[0] !== '-v') return undefined;
  try {
    const { version } = JSON.parse(readFileSync(join(dirname(dirname(__dirname)), 'package.json'), 'utf8')) as { version?: unknown };
    return typeof version === 'string' ? `${version}\n` : undefined;
  } catch {
    return undefined;
  }
}

exports.versionAnswer = versionAnswer;
exports.warmAnswer = warmAnswer;
exports.cacheKey = cacheKey;
exports.cacheTime = cacheTime;
