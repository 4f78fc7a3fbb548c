import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, test, vi } from 'vitest';
import { ConfigurationError, LoginRequiredError, RetriesExhaustedError, isLoginRequiredError } from '../../src/index.js';
import { createSsoTokenSource, readSsoTokenCache, ssoCacheEntryFromToken, ssoTokenFileStorage, toCacheTime, type SsoTokenCacheEntry, type SsoTokenSourceOptions } from '../../src/node.js';
import { ManualClock } from '../../src/testing.js';
import { type Emulator } from '../../src/testing-emulator.js';
import { awsLogin, REGION, refreshCount, settleWithRealIo, START_URL, writeSession } from '../helpers/aws-session.js';
import { refreshRecordPath } from '../../src/node/token-storage.js';
import { useTempDirs } from '../helpers/use-temp-dirs.js';
import { useEmulator } from '../helpers/use-emulator.js';

const start = useEmulator();
const tempDir = useTempDirs();
const MINUTE = 60_000;

describe('createSsoTokenSource', () => {
  describe('should return the cached token while it has more than 5 minutes left', () => {
    test('when it has 10 minutes left, no request is sent; 5 minutes later it is refreshed once', async () => {
      const { emulator, clock, source, entry } = await setUp(10 * MINUTE);
      expect(await source.getAccessToken()).toBe(entry.accessToken);
      clock.increment(5 * MINUTE - 1000);
      expect(await source.getAccessToken()).toBe(entry.accessToken);
      expect(refreshCount(emulator)).toBe(0);
      clock.increment(1000);
      const refreshed = await source.getAccessToken();
      expect(refreshed).not.toBe(entry.accessToken);
      expect(refreshCount(emulator)).toBe(1);
      expect(await source.getAccessToken()).toBe(refreshed);
      expect(refreshCount(emulator)).toBe(1);
    });
  });

  describe('should refresh within 5 minutes of expiry and rewrite the cache', () => {
    test('when 4 minutes are left, the file is rewritten 0600 with the new token and rotated refresh token, keeping the registration', async () => {
      const { emulator, clock, source, entry, path } = await setUp(4 * MINUTE);
      const token = await source.getToken();
      const written = await readSsoTokenCache(path);
      expect(written).toEqual(token);
      expect(written).toEqual({
        ...entry,
        accessToken: expect.stringMatching(/^aws-at-/),
        expiresAt: toCacheTime(clock.wallNow() + 3600 * 1000),
        refreshToken: expect.stringMatching(/^rt-/),
      });
      expect(written!.accessToken).not.toBe(entry.accessToken);
      expect(written!.refreshToken).not.toBe(entry.refreshToken);
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      // Only the cache file in the AWS CLI's folder: the refresh attempt is recorded in tokenpoll's own folder beside it.
      expect(await readdir(join(path, '..'))).toEqual([path.split('/').pop()]);
      expect(await readdir(join(path, '..', '..', 'tokenpoll'))).toEqual([`${path.split('/').pop()!}.refresh`]);
      const sent = emulator.requests.filter((r) => r.params['grantType'] === 'refresh_token');
      expect(sent.map((r) => r.params)).toEqual([{ clientId: entry.clientId, clientSecret: entry.clientSecret, grantType: 'refresh_token', refreshToken: entry.refreshToken }]);
    });

    test('when the token has already expired, it is refreshed too', async () => {
      const { emulator, source, entry } = await setUp(-MINUTE);
      expect(await source.getAccessToken()).not.toBe(entry.accessToken);
      expect(refreshCount(emulator)).toBe(1);
    });

    test('when the file was written by AWS CLI v2 before 2.1.14 (expiresAt ending in UTC), its times are read: a fresh token is used, an expired registration is noticed', async () => {
      const legacy = (ms: number): string => toCacheTime(ms).replace(/Z$/, 'UTC');
      const wallNow = Date.now();
      const fresh = await setUp(10 * MINUTE, { clock: new ManualClock({ wallEpochMs: wallNow }) }, { expiresAt: legacy(wallNow + 10 * MINUTE), registrationExpiresAt: legacy(wallNow + 90 * 24 * 60 * MINUTE) });
      expect(await fresh.source.getAccessToken()).toBe(fresh.entry.accessToken);
      expect(refreshCount(fresh.emulator)).toBe(0);
      const old = await setUp(MINUTE, {}, { registrationExpiresAt: legacy(Date.now() - MINUTE) });
      await expect(old.source.getAccessToken()).resolves.toBe(old.entry.accessToken); // still works: returned as it is
      old.clock.increment(2 * MINUTE);
      await expect(old.source.getAccessToken()).rejects.toMatchObject({ reason: 'registration-expired' });
    });

    test('when the caller says the token was rejected, it is refreshed though fresh, and a newer one on disk is used as it is', async () => {
      const { emulator, source, entry } = await setUp(60 * MINUTE);
      const newer = await source.getAccessToken({ rejected: entry.accessToken });
      expect(newer).not.toBe(entry.accessToken);
      expect(await source.getAccessToken({ rejected: entry.accessToken })).toBe(newer);
      expect(refreshCount(emulator)).toBe(1);
    });
  });

  describe('should try a refresh at most once per 30 seconds', () => {
    test('when the refresh fails on an expired token, calls within 30 s get the same error without a request, and the next try succeeds', async () => {
      const { emulator, clock, source } = await setUp(-MINUTE, { retry: { retries: 0 } });
      emulator.inject({ type: 'server_error', status: 503 }, { path: '/aws/token' });
      const first = await source.getAccessToken().catch((e: unknown) => e);
      expect(first).toBeInstanceOf(RetriesExhaustedError);
      clock.increment(29_999);
      expect(await source.getAccessToken().catch((e: unknown) => e)).toBe(first);
      expect(tokenRequests(emulator)).toBe(1);
      clock.increment(1);
      expect(await source.getAccessToken()).toMatch(/^aws-at-/);
      expect(tokenRequests(emulator)).toBe(2);
    });

    test('when the refresh fails while the token still works, the token is returned, and the next try waits 30 s', async () => {
      const { emulator, clock, source, entry } = await setUp(4 * MINUTE, { retry: { retries: 0 } });
      emulator.inject({ type: 'server_error', status: 500 }, { path: '/aws/token' });
      expect(await source.getAccessToken()).toBe(entry.accessToken);
      clock.increment(10_000);
      expect(await source.getAccessToken()).toBe(entry.accessToken);
      expect(tokenRequests(emulator)).toBe(1);
      clock.increment(20_000);
      expect(await source.getAccessToken()).not.toBe(entry.accessToken);
      expect(tokenRequests(emulator)).toBe(2);
    });

    test('when another source (another process) tried a refresh that failed within 30 s and the token still works, no refresh is sent; after 30 s one is', async () => {
      const { emulator, clock, options, path, entry } = await setUp(4 * MINUTE, { retry: { retries: 2, backoff: () => 1 } });
      emulator.inject({ type: 'server_error', status: 500 }, { path: '/aws/token', count: 3 });
      const first = createSsoTokenSource(options);
      const triedAt = clock.wallNow();
      expect(await settle(clock, first.getAccessToken())).toBe(entry.accessToken);
      const sentByFirst = tokenRequests(emulator);
      expect(sentByFirst).toBe(3); // the first try and its 2 retries
      // The attempt is recorded in tokenpoll's own folder beside the cache folder; the cache file is left as the AWS CLI would.
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      expect(JSON.parse(await readFile(path, 'utf8'))).toEqual(entry);
      expect(await readdir(join(path, '..'))).toEqual([path.split('/').pop()]);
      expect(await readFile(refreshRecordPath(path), 'utf8')).toBe(`${new Date(triedAt).toISOString()}\n`);

      expect(clock.wallNow() - triedAt).toBe(2); // the two 1 ms retry waits
      clock.increment(29_000);
      const second = createSsoTokenSource(options);
      expect(await second.getAccessToken()).toBe(entry.accessToken);
      expect(tokenRequests(emulator)).toBe(sentByFirst);

      clock.increment(2_000);
      const third = createSsoTokenSource(options);
      expect(await third.getAccessToken()).not.toBe(entry.accessToken);
      expect(tokenRequests(emulator)).toBe(sentByFirst + 1);
    });

    test('when the record of the last attempt is garbled, or the token has expired, the other source refreshes anyway', async () => {
      const { emulator, options, path, entry } = await setUp(4 * MINUTE);
      await mkdir(dirname(refreshRecordPath(path)), { recursive: true });
      await writeFile(refreshRecordPath(path), 'not a time\n');
      expect(await createSsoTokenSource(options).getAccessToken()).not.toBe(entry.accessToken);
      expect(tokenRequests(emulator)).toBe(1);

      const expired = await setUp(-MINUTE);
      await ssoTokenFileStorage(expired.path).recordRefreshAttempt!(expired.clock.wallNow());
      expect(await expired.source.getAccessToken()).not.toBe(expired.entry.accessToken);
      expect(tokenRequests(expired.emulator)).toBe(1);
    });

    test('when transient faults come during one refresh, the retry helper retries them', async () => {
      const { emulator, source } = await setUp(-MINUTE, { clock: undefined, retry: { backoff: () => 1 } });
      emulator.inject({ type: 'server_error', status: 500 }, { path: '/aws/token' });
      emulator.inject({ type: 'rate_limited', retryAfterSeconds: 0 }, { path: '/aws/token' });
      emulator.inject({ type: 'reset' }, { path: '/aws/token' });
      expect(await source.getAccessToken()).toMatch(/^aws-at-/);
      expect(emulator.requests.filter((r) => r.path === '/aws/token').map((r) => r.status ?? 'none').slice(-4)).toEqual([500, 429, 'none', 200]);
    });
  });

  describe('should say when a new login is needed', () => {
    test('when the refresh token was revoked, LoginRequiredError (refresh-rejected) without secrets', async () => {
      const { emulator, source, entry } = await setUp(-MINUTE);
      emulator.revokeRefreshTokens();
      const error = await source.getAccessToken().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LoginRequiredError);
      expect(error).toMatchObject({ code: 'ERR_LOGIN_REQUIRED', reason: 'refresh-rejected', startUrl: START_URL });
      expect(isLoginRequiredError(error)).toBe(true);
      expect(String(error)).toContain(`a new login is needed for ${START_URL}`);
      expectNoSecrets(error, entry);
    });

    test('when the client registration was revoked, LoginRequiredError (registration-invalid)', async () => {
      const { emulator, source } = await setUp(-MINUTE);
      emulator.expireClientRegistrations();
      await expect(source.getAccessToken()).rejects.toMatchObject({ reason: 'registration-invalid' });
    });

    test.each([
      ['registration-expired', { registrationExpiresAt: '2000-01-01T00:00:00Z' }],
      ['no-refresh-token', { refreshToken: undefined }],
      ['no-refresh-token', { clientSecret: undefined }],
    ] as const)('when the expired entry cannot be refreshed (%s), LoginRequiredError without a request', async (reason, change) => {
      const { emulator, source } = await setUp(-MINUTE, {}, change);
      await expect(source.getAccessToken()).rejects.toMatchObject({ name: 'LoginRequiredError', reason });
      expect(tokenRequests(emulator)).toBe(0);
    });

    test('when the entry cannot be refreshed but still works, it is returned', async () => {
      const { source, entry } = await setUp(2 * MINUTE, {}, { refreshToken: undefined });
      expect(await source.getAccessToken()).toBe(entry.accessToken);
    });

    test('when there is no cache file, LoginRequiredError (no-token)', async () => {
      const source = createSsoTokenSource({ startUrl: START_URL, region: REGION, cacheDir: await tempDir() });
      await expect(source.getAccessToken()).rejects.toMatchObject({ reason: 'no-token' });
    });

    test('when onLoginRequired is given, it is called once, and the entry it returns is stored and used', async () => {
      const { emulator, source, path, clock } = await setUp(-MINUTE, {
        onLoginRequired: vi.fn(async (error: LoginRequiredError) => {
          expect(error.reason).toBe('refresh-rejected');
          return ssoCacheEntryFromToken(await awsLogin(emulator), clock.wallNow());
        }),
      });
      emulator.revokeRefreshTokens();
      const token = await source.getAccessToken();
      expect((await readSsoTokenCache(path))?.accessToken).toBe(token);
      expect(await source.getAccessToken()).toBe(token);
    });

    test('when onLoginRequired resolves with an entry whose expiresAt ends in UTC (the old AWS CLI form), it is accepted', async () => {
      const { emulator, source, clock } = await setUp(-MINUTE, {
        onLoginRequired: async () => {
          const entry = ssoCacheEntryFromToken(await awsLogin(emulator), clock.wallNow());
          return { ...entry, expiresAt: entry.expiresAt.replace(/Z$/, 'UTC') };
        },
      });
      emulator.revokeRefreshTokens();
      expect(await source.getAccessToken()).toMatch(/^aws-at-/);
    });

    test('when onLoginRequired resolves with something that is not an entry, ConfigurationError and nothing is written', async () => {
      const { source, path, entry } = await setUp(-MINUTE, { onLoginRequired: async () => ({ accessToken: 'x' }) as never }, { refreshToken: undefined });
      await expect(source.getAccessToken()).rejects.toThrow(/onLoginRequired/);
      expect((await readSsoTokenCache(path))?.accessToken).toBe(entry.accessToken);
    });
  });

  describe('should keep one valid cache file when refreshes race', () => {
    test('when two sources on one file refresh at once, CreateToken is called once and both get the newest token', async () => {
      const { emulator, clock, path, options } = await setUp(MINUTE);
      const sources = [createSsoTokenSource(options), createSsoTokenSource(options)];
      const tokens = await Promise.all([...sources, ...sources].map((source) => source.getAccessToken()));
      expect(new Set(tokens).size).toBe(1);
      expect(refreshCount(emulator)).toBe(1);
      expect((await readSsoTokenCache(path))?.accessToken).toBe(tokens[0]);
      expect(clock.now()).toBe(0);
    });
  });

  describe('should check its options', () => {
    test.each([
      [{ region: 'nowhere' }, /region/],
      [{ startUrl: 'not a url' }, /startUrl/],
      [{ refreshWindowMs: -1 }, /refreshWindowMs/],
      [{ minRefreshIntervalMs: Number.NaN }, /minRefreshIntervalMs/],
      [{ onLoginRequired: 'yes' }, /onLoginRequired/],
    ])('when given %j, ConfigurationError', (change, message) => {
      expect(() => createSsoTokenSource({ startUrl: START_URL, region: REGION, ...(change as object) })).toThrow(ConfigurationError);
      expect(() => createSsoTokenSource({ startUrl: START_URL, region: REGION, ...(change as object) })).toThrow(message);
    });

    test('when the cache file is broken, SsoCacheError', async () => {
      const { source, path } = await setUp(MINUTE);
      await writeFile(path, '{"accessToken": "secret-access-token"');
      await expect(source.getAccessToken()).rejects.toMatchObject({ name: 'SsoCacheError' });
      expect(await readFile(path, 'utf8')).toContain('secret');
    });
  });
});

// Helpers

/** The value of a call whose retry waits (set to 1 ms) run on the manual clock; request timeouts stay out of reach. */
async function settle<T>(clock: ManualClock, promise: Promise<T>): Promise<T> {
  const result = await settleWithRealIo(clock, promise, 10);
  if (result.status === 'rejected') throw result.reason;
  return result.value;
}

async function setUp(expiresInMs: number, extra: Partial<SsoTokenSourceOptions> = {}, change: Partial<SsoTokenCacheEntry> = {}) {
  const emulator = await start({ intervalSeconds: 0.01, autoApproveAfterMs: 0 });
  const clock = new ManualClock({ wallEpochMs: Date.now() });
  const cacheDir = await tempDir();
  const { path, entry } = await writeSession(emulator, cacheDir, clock, expiresInMs, change);
  const options: SsoTokenSourceOptions = { startUrl: START_URL, region: REGION, endpoint: emulator.awsEndpoint, cacheDir, clock, ...extra };
  return { emulator, clock, cacheDir, path, entry, options, source: createSsoTokenSource(options) };
}

/** CreateToken calls after the login's own. */
function tokenRequests(emulator: Emulator): number {
  return emulator.requests.filter((r) => r.path === '/aws/token' && r.params['grantType'] !== 'urn:ietf:params:oauth:grant-type:device_code').length;
}

function expectNoSecrets(error: unknown, entry: SsoTokenCacheEntry): void {
  const text = `${String(error)} ${JSON.stringify(error)} ${(error as Error).stack ?? ''}`;
  for (const secret of [entry.accessToken, entry.refreshToken!, entry.clientSecret!]) expect(text).not.toContain(secret);
}
