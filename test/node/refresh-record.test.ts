import { execFileSync } from 'node:child_process';
import { constants } from 'node:fs';
import { chmod, lstat, mkdir, open, readFile, readdir, stat, symlink, unlink, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { systemClock } from '../../src/clock/clock.js';
import { SsoCacheError, TokenNotSavedError, createSsoTokenSource, readSsoTokenCache, ssoTokenFileStorage, writeSsoTokenCache, type SsoTokenCacheEntry } from '../../src/node.js';
import { refreshRecordPath, saveIssuedEntry } from '../../src/node/token-storage.js';
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

describe('the refresh record, kept in tokenpoll\'s own folder beside the cache folder (<parent>/tokenpoll/<name>.refresh)', () => {
  describe('should live outside the AWS CLI\'s folder, and never rewrite the cache file', () => {
    test('when an attempt is recorded, the record is <parent>/tokenpoll/<name>.json.refresh (folder 0700, file 0600, one ISO time), and nothing is written in the cache folder', async () => {
      const dir = await tempDir();
      const path = join(dir, 'cache.json');
      await writeSsoTokenCache(path, ENTRY);
      const storage = ssoTokenFileStorage(path);
      const at = Date.UTC(2030, 0, 1, 12);
      await storage.recordRefreshAttempt!(at);
      const record = join(dirname(dir), 'tokenpoll', 'cache.json.refresh');
      expect(refreshRecordPath(path)).toBe(record);
      expect(await readFile(record, 'utf8')).toBe(`${new Date(at).toISOString()}\n`);
      expect((await stat(record)).mode & 0o777).toBe(0o600);
      expect((await stat(dirname(record))).mode & 0o777).toBe(0o700);
      expect(await readdir(dir)).toEqual(['cache.json']);
      expect(await storage.lastRefreshAttempt!()).toBe(at);
    });

    test('when ~/.aws/sso/cache/<sha1>.json is the cache file, the record is ~/.aws/sso/tokenpoll/<sha1>.json.refresh', () => {
      const name = `${'a'.repeat(40)}.json`;
      expect(refreshRecordPath(join('/home/me/.aws/sso/cache', name))).toBe(`/home/me/.aws/sso/tokenpoll/${name}.refresh`);
    });

    test('when an attempt is recorded, the AWS CLI\'s cache file is not rewritten: same bytes, same inode, same mtime, and no tokenpoll field', async () => {
      const dir = await tempDir();
      const path = join(dir, 'cache.json');
      const text = JSON.stringify({ ...ENTRY, someFieldOfTheAwsCli: 'kept' });
      await writeFile(path, text, { mode: 0o600 });
      const past = new Date(Date.UTC(2026, 0, 1));
      await utimes(path, past, past);
      const before = await stat(path);
      await ssoTokenFileStorage(path).recordRefreshAttempt!(Date.UTC(2030, 0, 1));
      const after = await stat(path);
      expect(await readFile(path, 'utf8')).toBe(text);
      expect([after.ino, after.mtimeMs, after.mode & 0o777]).toEqual([before.ino, before.mtimeMs, 0o600]);
      expect(await readFile(path, 'utf8')).not.toContain('tokenpoll');
    });

    test('when the AWS CLI writes a new token while an attempt is being recorded, its token is kept (the record never touches the cache file)', async () => {
      const dir = await tempDir();
      const path = join(dir, 'cache.json');
      await writeSsoTokenCache(path, ENTRY);
      const storage = ssoTokenFileStorage(path);
      const recording = storage.recordRefreshAttempt!(Date.UTC(2030, 0, 1));
      const fromTheAwsCli = JSON.stringify({ ...ENTRY, accessToken: 'at-from-the-aws-cli' });
      await writeFile(path, fromTheAwsCli); // the AWS CLI takes no tokenpoll lock
      await recording;
      expect(await readFile(path, 'utf8')).toBe(fromTheAwsCli);
      expect(await storage.lastRefreshAttempt!()).toBe(Date.UTC(2030, 0, 1));
    });

    test('when the token is written anew (a refresh, a login), the record stays, and the cache file holds only the entry', async () => {
      const path = join(await tempDir(), 'cache.json');
      await writeSsoTokenCache(path, ENTRY);
      const storage = ssoTokenFileStorage(path);
      await storage.recordRefreshAttempt!(Date.UTC(2030, 0, 1));
      await storage.write({ ...ENTRY, accessToken: 'at-newer' });
      expect(await storage.lastRefreshAttempt!()).toBe(Date.UTC(2030, 0, 1));
      expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ ...ENTRY, accessToken: 'at-newer' });
    });

    test('when a cache file still holds the tokenpollLastRefreshAttempt field of a pre-release build, it is ignored (no record), and recording leaves the file as it is', async () => {
      const path = join(await tempDir(), 'cache.json');
      const text = JSON.stringify({ ...ENTRY, tokenpollLastRefreshAttempt: new Date(Date.UTC(2030, 0, 1)).toISOString() });
      await writeFile(path, text, { mode: 0o600 });
      const storage = ssoTokenFileStorage(path);
      expect(await storage.lastRefreshAttempt!()).toBeUndefined();
      await storage.recordRefreshAttempt!(Date.UTC(2030, 0, 2));
      expect(await readFile(path, 'utf8')).toBe(text);
      expect(await storage.lastRefreshAttempt!()).toBe(Date.UTC(2030, 0, 2));
    });

    test('when the record is not a time, over 256 bytes, a FIFO, or a link to a file holding a time, it is no record (no throttle), and nothing blocks', async () => {
      const dir = await tempDir();
      const path = join(dir, 'cache.json');
      await writeSsoTokenCache(path, ENTRY);
      const record = refreshRecordPath(path);
      await mkdir(dirname(record), { mode: 0o700 });
      const storage = ssoTokenFileStorage(path);
      await writeFile(record, 'not a time\n');
      expect(await storage.lastRefreshAttempt!()).toBeUndefined();
      await writeFile(record, `${new Date(Date.UTC(2030, 0, 1)).toISOString()}\n${' '.repeat(300)}`);
      expect(await storage.lastRefreshAttempt!()).toBeUndefined();
      await unlink(record);
      const outside = join(dir, 'outside.txt');
      await writeFile(outside, `${new Date(Date.UTC(2030, 0, 1)).toISOString()}\n`);
      await symlink(outside, record);
      expect(await storage.lastRefreshAttempt!()).toBeUndefined();
      await unlink(record);
      const release = fifo(record);
      try {
        expect(await notHung(storage.lastRefreshAttempt!(), 'lastRefreshAttempt')).toBeUndefined();
      } finally {
        await release();
      }
    });

    test('when the record is a link to another file, recording replaces the link and leaves that file as it was', async () => {
      const dir = await tempDir();
      const path = join(dir, 'cache.json');
      await writeSsoTokenCache(path, ENTRY);
      const record = refreshRecordPath(path);
      await mkdir(dirname(record), { mode: 0o700 });
      const outside = join(dir, 'outside.txt');
      await writeFile(outside, 'precious\n', { mode: 0o644 });
      await symlink(outside, record);
      await ssoTokenFileStorage(path).recordRefreshAttempt!(Date.UTC(2030, 0, 1));
      expect(await readFile(outside, 'utf8')).toBe('precious\n');
      expect((await lstat(record)).isFile()).toBe(true);
      expect(await ssoTokenFileStorage(path).lastRefreshAttempt!()).toBe(Date.UTC(2030, 0, 1));
    });

    test('when tokenpoll\'s folder is a link to another folder, nothing is written there (no record)', async () => {
      const dir = await tempDir();
      const path = join(dir, 'cache.json');
      await writeSsoTokenCache(path, ENTRY);
      const elsewhere = join(await tempDir(), 'elsewhere');
      await mkdir(elsewhere);
      await symlink(elsewhere, dirname(refreshRecordPath(path)));
      await ssoTokenFileStorage(path).recordRefreshAttempt!(Date.UTC(2030, 0, 1));
      expect(await readdir(elsewhere)).toEqual([]);
    });

    test('when the record cannot be written (tokenpoll\'s folder path is a file), recording resolves anyway and there is no record', async () => {
      const dir = await tempDir();
      const path = join(dir, 'cache.json');
      await writeSsoTokenCache(path, ENTRY);
      await writeFile(dirname(refreshRecordPath(path)), 'a file, not a folder\n');
      await ssoTokenFileStorage(path).recordRefreshAttempt!(Date.UTC(2030, 0, 1));
      expect(await ssoTokenFileStorage(path).lastRefreshAttempt!()).toBeUndefined();
    });
  });

  describe('should read an old <cache>.refresh record once, move its time to tokenpoll\'s record, and remove it', () => {
    test('when a regular old record holds a time, that time counts, goes to tokenpoll\'s record, and the old file is gone; the cache file is left as it was', async () => {
      const dir = await tempDir();
      const path = join(dir, 'cache.json');
      await writeSsoTokenCache(path, ENTRY);
      const cacheText = await readFile(path, 'utf8');
      const at = Date.UTC(2030, 0, 1);
      await writeFile(`${path}.refresh`, `${new Date(at).toISOString()}\n`, { mode: 0o600 });
      const storage = ssoTokenFileStorage(path);
      expect(await storage.lastRefreshAttempt!()).toBe(at);
      expect(await readdir(dir)).toEqual(['cache.json']);
      expect(await readFile(path, 'utf8')).toBe(cacheText);
      expect(await readFile(refreshRecordPath(path), 'utf8')).toBe(`${new Date(at).toISOString()}\n`);
      expect(await storage.lastRefreshAttempt!()).toBe(at);
    });

    test('when tokenpoll\'s record already holds a newer time, the old record is removed and the newer time kept', async () => {
      const path = join(await tempDir(), 'cache.json');
      await writeSsoTokenCache(path, ENTRY);
      const newer = Date.UTC(2030, 0, 2);
      await ssoTokenFileStorage(path).recordRefreshAttempt!(newer);
      await writeFile(`${path}.refresh`, `${new Date(Date.UTC(2030, 0, 1)).toISOString()}\n`);
      expect(await ssoTokenFileStorage(path).lastRefreshAttempt!()).toBe(newer);
      await expect(lstat(`${path}.refresh`)).rejects.toMatchObject({ code: 'ENOENT' });
      expect(await readFile(refreshRecordPath(path), 'utf8')).toBe(`${new Date(newer).toISOString()}\n`);
    });

    test('when tokenpoll\'s record holds an older time than the old record, the old record\'s time replaces it', async () => {
      const path = join(await tempDir(), 'cache.json');
      await writeSsoTokenCache(path, ENTRY);
      await ssoTokenFileStorage(path).recordRefreshAttempt!(Date.UTC(2030, 0, 1));
      const newer = Date.UTC(2030, 0, 2);
      await writeFile(`${path}.refresh`, `${new Date(newer).toISOString()}\n`);
      expect(await ssoTokenFileStorage(path).lastRefreshAttempt!()).toBe(newer);
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

    test('when a token source in its refresh window finds an old record saying another process tried just now, it keeps the throttle (no refresh) and the record moves to tokenpoll\'s folder', async () => {
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
      expect(await readFile(refreshRecordPath(path), 'utf8')).toBe(`${new Date(triedAt).toISOString()}\n`);
      expect(JSON.parse(await readFile(path, 'utf8'))).toEqual(entry);
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
