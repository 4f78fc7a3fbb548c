import { execFileSync } from 'node:child_process';
import { constants } from 'node:fs';
import { chmod, lstat, open, readFile, readdir, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { systemClock } from '../../src/clock/clock.js';
import { SsoCacheError, TokenNotSavedError, createSsoTokenSource, readSsoTokenCache, ssoTokenFileStorage, writeSsoTokenCache, type SsoTokenCacheEntry } from '../../src/node.js';
import { saveIssuedEntry } from '../../src/node/token-storage.js';
import { ManualClock } from '../../src/testing.js';
import { REGION, START_URL, refreshCount, settleWithRealIo, writeSession } from '../helpers/aws-session.js';
import { immutableWorks } from '../helpers/immutable.js';
import { useEmulator } from '../helpers/use-emulator.js';
import { useTempDirs } from '../helpers/use-temp-dirs.js';

const start = useEmulator();
const tempDir = useTempDirs();
const MINUTE = 60_000;
/** Not a speed limit: only turns a read that would block for ever into a failure instead of a hung run. */
const HANG_GUARD_MS = 15_000;

const ENTRY: SsoTokenCacheEntry = {
  startUrl: START_URL,
  region: REGION,
  accessToken: 'at-secret',
  expiresAt: '2030-01-01T00:00:00Z',
};

/** `promise`, or a rejection saying it hung. */
function notHung<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} never returned (blocked)`)), HANG_GUARD_MS)));
  return Promise.race([promise, hung]).finally(() => clearTimeout(timer));
}

/** A FIFO at `path`, and a cleanup that lets a reader blocked on it go (opens it for writing without blocking, then closes it). */
function fifo(path: string): () => Promise<void> {
  execFileSync('mkfifo', [path]);
  return async () => {
    const writer = await open(path, constants.O_WRONLY | constants.O_NONBLOCK).catch(() => undefined); // ENXIO: nobody reads it
    await writer?.close();
  };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the refresh record, kept in the cache file (tokenpollLastRefreshAttempt)', () => {
  describe('should live in the cache file itself, beside what the AWS CLI and other tools wrote', () => {
    test('when an attempt is recorded, the cache file gains the field, keeps every other field (unknown ones too), stays 0600, and nothing else is written in the folder', async () => {
      const dir = await tempDir();
      const path = join(dir, 'cache.json');
      const written = { ...ENTRY, someFieldOfTheAwsCli: 'kept' };
      await writeFile(path, JSON.stringify(written), { mode: 0o600 });
      const storage = ssoTokenFileStorage(path);
      const at = Date.UTC(2030, 0, 1, 12);
      await storage.recordRefreshAttempt!(at);
      expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ ...written, tokenpollLastRefreshAttempt: new Date(at).toISOString() });
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      expect(await readdir(dir)).toEqual(['cache.json']);
      expect(await storage.lastRefreshAttempt!()).toBe(at);
      expect(await storage.read()).toEqual(ENTRY);
    });

    test('when the token is written anew (a refresh, a login), the record goes with the old token', async () => {
      const path = join(await tempDir(), 'cache.json');
      await writeSsoTokenCache(path, ENTRY);
      const storage = ssoTokenFileStorage(path);
      await storage.recordRefreshAttempt!(Date.UTC(2030, 0, 1));
      await storage.write({ ...ENTRY, accessToken: 'at-newer' });
      expect(await storage.lastRefreshAttempt!()).toBeUndefined();
      expect(JSON.parse(await readFile(path, 'utf8'))).not.toHaveProperty('tokenpollLastRefreshAttempt');
    });

    test('when there is no cache file, or it is not JSON, recording writes nothing and there is no record', async () => {
      const dir = await tempDir();
      const path = join(dir, 'cache.json');
      await ssoTokenFileStorage(path).recordRefreshAttempt!(Date.UTC(2030, 0, 1));
      expect(await readdir(dir)).toEqual([]);
      await writeFile(path, 'garbled');
      await ssoTokenFileStorage(path).recordRefreshAttempt!(Date.UTC(2030, 0, 1));
      expect(await readFile(path, 'utf8')).toBe('garbled');
      expect(await ssoTokenFileStorage(path).lastRefreshAttempt!()).toBeUndefined();
    });

    test('when the field is not a time, it is no record (no throttle)', async () => {
      const path = join(await tempDir(), 'cache.json');
      await writeFile(path, JSON.stringify({ ...ENTRY, tokenpollLastRefreshAttempt: 'not a time' }));
      expect(await ssoTokenFileStorage(path).lastRefreshAttempt!()).toBeUndefined();
    });

    test('when the cache file is a FIFO, lastRefreshAttempt resolves with undefined at once instead of blocking, and recording writes nothing', async () => {
      const path = join(await tempDir(), 'cache.json');
      const release = fifo(path);
      try {
        const storage = ssoTokenFileStorage(path);
        expect(await notHung(storage.lastRefreshAttempt!(), 'lastRefreshAttempt')).toBeUndefined();
        await notHung(storage.recordRefreshAttempt!(Date.UTC(2030, 0, 1)), 'recordRefreshAttempt');
        expect((await lstat(path)).isFIFO()).toBe(true);
      } finally {
        await release();
      }
    });
  });

  describe('should read an old <cache>.refresh record once, move its time into the cache file, and remove it', () => {
    test('when a regular old record holds a time, that time counts, goes into the cache file, and the old file is gone', async () => {
      const dir = await tempDir();
      const path = join(dir, 'cache.json');
      await writeSsoTokenCache(path, ENTRY);
      const at = Date.UTC(2030, 0, 1);
      await writeFile(`${path}.refresh`, `${new Date(at).toISOString()}\n`, { mode: 0o600 });
      const storage = ssoTokenFileStorage(path);
      expect(await storage.lastRefreshAttempt!()).toBe(at);
      expect(await readdir(dir)).toEqual(['cache.json']);
      expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ ...ENTRY, tokenpollLastRefreshAttempt: new Date(at).toISOString() });
      expect(await storage.lastRefreshAttempt!()).toBe(at);
    });

    test('when the cache file already holds a newer time, the old record is removed and the newer time kept', async () => {
      const path = join(await tempDir(), 'cache.json');
      const newer = Date.UTC(2030, 0, 2);
      await writeFile(path, JSON.stringify({ ...ENTRY, tokenpollLastRefreshAttempt: new Date(newer).toISOString() }));
      await writeFile(`${path}.refresh`, `${new Date(Date.UTC(2030, 0, 1)).toISOString()}\n`);
      expect(await ssoTokenFileStorage(path).lastRefreshAttempt!()).toBe(newer);
      await expect(lstat(`${path}.refresh`)).rejects.toMatchObject({ code: 'ENOENT' });
    });

    test('when the old record is a regular file over 256 bytes, it is no record, and it is removed', async () => {
      const path = join(await tempDir(), 'cache.json');
      await writeSsoTokenCache(path, ENTRY);
      await writeFile(`${path}.refresh`, `${new Date(Date.UTC(2030, 0, 1)).toISOString()}\n${' '.repeat(300)}`);
      expect(await ssoTokenFileStorage(path).lastRefreshAttempt!()).toBeUndefined();
      await expect(lstat(`${path}.refresh`)).rejects.toMatchObject({ code: 'ENOENT' });
    });

    test('when the old record is a FIFO, lastRefreshAttempt resolves with undefined at once instead of blocking, and the FIFO is removed', async () => {
      const path = join(await tempDir(), 'cache.json');
      const release = fifo(`${path}.refresh`);
      try {
        expect(await notHung(ssoTokenFileStorage(path).lastRefreshAttempt!(), 'lastRefreshAttempt')).toBeUndefined();
        await expect(lstat(`${path}.refresh`)).rejects.toMatchObject({ code: 'ENOENT' });
      } finally {
        await release();
      }
    });

    test('when the old record is a link to a file outside holding a time, that time is not believed, the link is removed and the file outside left as it was', async () => {
      const dir = await tempDir();
      const path = join(dir, 'cache.json');
      const outside = join(dir, 'outside.txt');
      const text = `${new Date(Date.UTC(2030, 0, 1)).toISOString()}\n`;
      await writeFile(outside, text);
      await symlink(outside, `${path}.refresh`);
      expect(await ssoTokenFileStorage(path).lastRefreshAttempt!()).toBeUndefined();
      await expect(lstat(`${path}.refresh`)).rejects.toMatchObject({ code: 'ENOENT' });
      expect(await readFile(outside, 'utf8')).toBe(text);
    });

    test('when the old record is a link to /dev/zero, lastRefreshAttempt resolves with undefined, nothing read through it', async () => {
      const path = join(await tempDir(), 'cache.json');
      await symlink('/dev/zero', `${path}.refresh`);
      expect(await notHung(ssoTokenFileStorage(path).lastRefreshAttempt!(), 'lastRefreshAttempt')).toBeUndefined();
    });

    test('when a token source in its refresh window finds an old record saying another process tried just now, it keeps the throttle (no refresh) and the record moves into the cache file', async () => {
      const emulator = await start({ intervalSeconds: 0.01, autoApproveAfterMs: 0 });
      const clock = new ManualClock({ wallEpochMs: Date.now() });
      const cacheDir = await tempDir();
      const { path, entry } = await writeSession(emulator, cacheDir, clock, 2 * MINUTE);
      const triedAt = clock.wallNow() - 5_000;
      await writeFile(`${path}.refresh`, `${new Date(triedAt).toISOString()}\n`, { mode: 0o600 });
      const source = createSsoTokenSource({ startUrl: START_URL, region: REGION, endpoint: emulator.awsEndpoint, cacheDir, clock });
      const result = await settleWithRealIo(clock, source.getToken(), 1000);
      expect(result).toMatchObject({ status: 'fulfilled', value: { accessToken: entry.accessToken } });
      expect(refreshCount(emulator)).toBe(0);
      expect(await readdir(cacheDir)).toEqual([path.split('/').pop()]);
      expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({ tokenpollLastRefreshAttempt: new Date(triedAt).toISOString() });
    });

    test('when a token source in its refresh window finds a FIFO as the old record, it returns promptly with a refreshed token, and the FIFO is gone', async () => {
      const emulator = await start({ intervalSeconds: 0.01, autoApproveAfterMs: 0 });
      const clock = new ManualClock({ wallEpochMs: Date.now() });
      const cacheDir = await tempDir();
      const { path, entry } = await writeSession(emulator, cacheDir, clock, 2 * MINUTE);
      const release = fifo(`${path}.refresh`);
      try {
        const source = createSsoTokenSource({ startUrl: START_URL, region: REGION, endpoint: emulator.awsEndpoint, cacheDir, clock });
        const result = await notHung(settleWithRealIo(clock, source.getToken(), 1000), 'getToken');
        expect(result.status).toBe('fulfilled');
        expect((result as PromiseFulfilledResult<SsoTokenCacheEntry>).value.accessToken).not.toBe(entry.accessToken);
        expect(refreshCount(emulator)).toBe(1);
        expect(await readdir(cacheDir)).toEqual([path.split('/').pop()]);
      } finally {
        await release();
      }
    });

    test('when a token source in its refresh window finds the old record linked to an outside file saying "tried just now", it refreshes anyway and leaves that file untouched', async () => {
      const emulator = await start({ intervalSeconds: 0.01, autoApproveAfterMs: 0 });
      const clock = new ManualClock({ wallEpochMs: Date.now() });
      const cacheDir = await tempDir();
      const { path, entry } = await writeSession(emulator, cacheDir, clock, 2 * MINUTE);
      const outside = join(await tempDir(), 'outside.txt');
      const outsideText = `${new Date(clock.wallNow()).toISOString()}\n`;
      await writeFile(outside, outsideText, { mode: 0o644 });
      await chmod(outside, 0o644);
      const before = await stat(outside);
      await symlink(outside, `${path}.refresh`);
      const source = createSsoTokenSource({ startUrl: START_URL, region: REGION, endpoint: emulator.awsEndpoint, cacheDir, clock });
      const result = await settleWithRealIo(clock, source.getToken(), 1000);
      expect(result.status).toBe('fulfilled');
      expect((result as PromiseFulfilledResult<SsoTokenCacheEntry>).value.accessToken).not.toBe(entry.accessToken);
      expect(refreshCount(emulator)).toBe(1);
      expect(await readFile(outside, 'utf8')).toBe(outsideText);
      const after = await stat(outside);
      expect([after.mode & 0o777, after.mtimeMs]).toEqual([0o644, before.mtimeMs]);
      await expect(lstat(`${path}.refresh`)).rejects.toMatchObject({ code: 'ENOENT' });
    });
  });
});

describe('readSsoTokenCache, when the cache file is open to group/others and its mode cannot be tightened', () => {
  test.skipIf(!immutableWorks('file'))('when the file is immutable (chattr +i: chmod fails with EPERM, even for root), the token is read anyway and a warning names the file', async () => {
    const path = join(await tempDir(), 'cache.json');
    await writeSsoTokenCache(path, ENTRY);
    await chmod(path, 0o644);
    const warnings: string[] = [];
    vi.spyOn(process, 'emitWarning').mockImplementation((warning: string | Error) => void warnings.push(String(warning)));
    execFileSync('chattr', ['+i', path]);
    try {
      expect(await readSsoTokenCache(path)).toEqual(ENTRY);
    } finally {
      execFileSync('chattr', ['-i', path]);
    }
    expect(warnings).toEqual([`${path}: readable by group/others; could not tighten to 0600 (EPERM)`]);
    expect((await stat(path)).mode & 0o777).toBe(0o644);
  });

  test('when the mode can be tightened, it is, and no warning is emitted', async () => {
    const path = join(await tempDir(), 'cache.json');
    await writeSsoTokenCache(path, ENTRY);
    await chmod(path, 0o644);
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    expect(await readSsoTokenCache(path)).toEqual(ENTRY);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(warn).not.toHaveBeenCalled();
  });

  test('when the cache file is a regular file over 1 MiB, SsoCacheError "is larger than", not read into memory whole', async () => {
    const path = join(await tempDir(), 'cache.json');
    await writeFile(path, ' '.repeat(1024 * 1024 + 1), { mode: 0o600 });
    await expect(readSsoTokenCache(path)).rejects.toThrow(SsoCacheError);
    await expect(readSsoTokenCache(path)).rejects.toThrow(`${path}: is larger than 1048576 bytes`);
  });
});

describe('saveIssuedEntry, when the lock cannot be taken', () => {
  test('when another holder keeps the lock past waitMs, TokenNotSavedError has 0 attempts and says the lock could not be taken, naming the lock file', async () => {
    const path = join(await tempDir(), 'cache.json');
    const lock = `${path}.lock`;
    await writeFile(lock, '4242\n');
    const now = new Date();
    await utimes(lock, now, now); // fresh: not taken for a crashed holder's
    let writes = 0;
    const inner = ssoTokenFileStorage(path, { waitMs: 50, pollMs: 5 });
    const storage = { ...inner, write: async (entry: SsoTokenCacheEntry) => void (writes += 1, await inner.write(entry)) };
    const failure = await saveIssuedEntry(storage, ENTRY, { kind: 'refreshed', clock: systemClock, locked: false });
    expect(failure).toBeInstanceOf(TokenNotSavedError);
    expect(failure).toMatchObject({ attempts: 0, path, kind: 'refreshed' });
    expect(failure!.message).toContain(`${path}: its lock could not be taken, so nothing was written (${lock}: is held by another process`);
    expect(failure!.message).not.toMatch(/after 1 try/);
    expect(writes).toBe(0);
    expect(failure!.cause).toBeInstanceOf(SsoCacheError);
    expect((failure!.cause as SsoCacheError).cause).toMatchObject({ path: lock });
    await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
