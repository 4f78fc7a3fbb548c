import { chmod, lstat, mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { SsoCacheError, readSsoTokenCache, ssoTokenFileStorage, writeSsoTokenCache, type SsoTokenCacheEntry } from '../../src/node.js';
import { refreshRecordPath } from '../../src/node/token-storage.js';
import { useTempDirs } from '../helpers/use-temp-dirs.js';

const tempDir = useTempDirs();

const ENTRY: SsoTokenCacheEntry = {
  startUrl: 'https://d-1234567890.awsapps.com/start',
  region: 'us-east-1',
  accessToken: 'at-secret',
  expiresAt: '2030-01-01T00:00:00Z',
};
const VICTIM_TEXT = 'precious, not tokenpoll\'s\n';

/** A file outside the cache that a symbolic link at one of tokenpoll's paths points to. */
async function victim(dir: string): Promise<string> {
  const path = join(dir, 'victim.txt');
  await writeFile(path, VICTIM_TEXT, { mode: 0o644 });
  return path;
}

describe('files tokenpoll writes, when a symbolic link sits at their path', () => {
  describe('should replace the link, never write through it', () => {
    test('when an old <cache>.refresh is a link to another file, recording a refresh attempt removes the link, leaves that file as it was, and records in tokenpoll\'s own folder', async () => {
      const dir = await tempDir();
      const target = await victim(dir);
      const path = join(dir, 'cache.json');
      await writeSsoTokenCache(path, ENTRY);
      await symlink(target, `${path}.refresh`);
      const storage = ssoTokenFileStorage(path);
      const at = Date.UTC(2030, 0, 1);
      await storage.recordRefreshAttempt!(at);
      expect(await readFile(target, 'utf8')).toBe(VICTIM_TEXT);
      expect((await stat(target)).mode & 0o777).toBe(0o644);
      await expect(lstat(`${path}.refresh`)).rejects.toMatchObject({ code: 'ENOENT' });
      expect((await lstat(path)).mode & 0o777).toBe(0o600);
      expect((await lstat(refreshRecordPath(path))).isFile()).toBe(true);
      expect(await storage.lastRefreshAttempt!()).toBe(at);
    });

    test('when the cache file is a link to another file, recording a refresh attempt leaves the link and its target as they were', async () => {
      const dir = await tempDir();
      const target = join(dir, 'elsewhere.json');
      await writeFile(target, JSON.stringify(ENTRY), { mode: 0o644 });
      const path = join(dir, 'cache.json');
      await symlink(target, path);
      const storage = ssoTokenFileStorage(path);
      await storage.recordRefreshAttempt!(Date.UTC(2030, 0, 1));
      expect(await readFile(target, 'utf8')).toBe(JSON.stringify(ENTRY));
      expect((await lstat(path)).isSymbolicLink()).toBe(true);
    });

    test('when tokenpoll\'s record is a link to another file, recording a refresh attempt replaces the link with a 0600 file and leaves that file as it was', async () => {
      const dir = await tempDir();
      const target = await victim(dir);
      const path = join(dir, 'cache.json');
      await writeSsoTokenCache(path, ENTRY);
      await mkdir(dirname(refreshRecordPath(path)), { mode: 0o700 });
      await symlink(target, refreshRecordPath(path));
      await ssoTokenFileStorage(path).recordRefreshAttempt!(Date.UTC(2030, 0, 1));
      expect(await readFile(target, 'utf8')).toBe(VICTIM_TEXT);
      expect((await stat(target)).mode & 0o777).toBe(0o644);
      const record = await lstat(refreshRecordPath(path));
      expect([record.isFile(), record.mode & 0o777]).toEqual([true, 0o600]);
    });

    test('when the cache file is a link to another file, writing the cache leaves that file as it was and writes a 0600 file in the link\'s place', async () => {
      const dir = await tempDir();
      const target = await victim(dir);
      const path = join(dir, 'cache.json');
      await symlink(target, path);
      await writeSsoTokenCache(path, ENTRY);
      expect(await readFile(target, 'utf8')).toBe(VICTIM_TEXT);
      const written = await lstat(path);
      expect(written.isFile()).toBe(true);
      expect(written.mode & 0o777).toBe(0o600);
    });
  });

  test('when the cache file to read is a symbolic link, SsoCacheError "is a symbolic link … remove it", and the link\'s target keeps its mode', async () => {
    const dir = await tempDir();
    const real = join(dir, 'elsewhere.json');
    await writeFile(real, JSON.stringify(ENTRY), { mode: 0o644 });
    await chmod(real, 0o644);
    const path = join(dir, 'cache.json');
    await symlink(real, path);
    const error = await readSsoTokenCache(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SsoCacheError);
    expect((error as Error).message).toMatch(/cache\.json: is a symbolic link, which tokenpoll does not follow: remove it/);
    expect((await stat(real)).mode & 0o777).toBe(0o644);
  });
});

describe('a cache file that group or others may read', () => {
  test.each(['644', '640', '604', '666'])('should be tightened to 0600 when it is read (found with mode %s)', async (mode) => {
    const path = join(await tempDir(), 'cache.json');
    await writeFile(path, JSON.stringify(ENTRY));
    await chmod(path, Number.parseInt(mode, 8));
    expect(await readSsoTokenCache(path)).toEqual(ENTRY);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  test('should be read as it is when it is already 0600 or tighter (0400 stays 0400)', async () => {
    const path = join(await tempDir(), 'cache.json');
    await writeFile(path, JSON.stringify(ENTRY));
    await chmod(path, 0o400);
    expect(await readSsoTokenCache(path)).toEqual(ENTRY);
    expect((await stat(path)).mode & 0o777).toBe(0o400);
  });
});
