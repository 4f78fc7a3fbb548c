import { execFileSync } from 'node:child_process';
import { lstat, mkdir, readlink, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { SsoCacheError, withFileLock } from '../../src/node.js';
import { useTempDirs } from '../helpers/use-temp-dirs.js';
import { immutableWorks } from '../helpers/immutable.js';

const tempDir = useTempDirs();

// Without the fix these locks spin for ever: each test's signal stops the loop once the test is over,
// and the test's own timeout (not a timing assertion) ends the failing run.
const controllers: AbortController[] = [];
afterEach(() => {
  for (const controller of controllers.splice(0)) controller.abort(new Error('test over'));
});
function stopAfterTest(): AbortSignal {
  const controller = new AbortController();
  controllers.push(controller);
  return controller.signal;
}

describe('withFileLock on a lock path it cannot use', () => {
  describe('should fail at once with an error naming the path and what to do, never spin', () => {
    test('when the lock path is a dangling symbolic link, SsoCacheError "is a symbolic link … remove it", and the link is left alone', { timeout: 10_000 }, async () => {
      const dir = await tempDir();
      const lock = join(dir, 'cache.json.lock');
      await symlink(join(dir, 'nowhere'), lock);
      let ran = false;
      const error = await withFileLock(lock, async () => (ran = true), { signal: stopAfterTest() }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SsoCacheError);
      expect((error as SsoCacheError).path).toBe(lock);
      expect((error as Error).message).toMatch(/is a symbolic link, not a lock file .*remove it/);
      expect(ran).toBe(false);
      expect(await readlink(lock)).toBe(join(dir, 'nowhere'));
      await expect(stat(join(dir, 'nowhere'))).rejects.toMatchObject({ code: 'ENOENT' });
    });

    test('when the lock path is a directory, SsoCacheError "is a directory … remove it"', { timeout: 10_000 }, async () => {
      const lock = join(await tempDir(), 'cache.json.lock');
      await mkdir(lock);
      const error = await withFileLock(lock, async () => 'never', { signal: stopAfterTest() }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SsoCacheError);
      expect((error as Error).message).toMatch(/^.*cache\.json\.lock: is a directory, not a lock file .*remove it$/);
      expect((await lstat(lock)).isDirectory()).toBe(true);
    });

    test.skipIf(!immutableWorks('folder'))('when a stale lock cannot be removed (an immutable folder, which stops root too), SsoCacheError "cannot be removed … by hand"', { timeout: 10_000 }, async () => {
      const dir = join(await tempDir(), 'cache');
      await mkdir(dir);
      const lock = join(dir, 'cache.json.lock');
      await writeFile(lock, '99999\n');
      const old = new Date(Date.now() - 60_000);
      await utimes(lock, old, old);
      execFileSync('chattr', ['+i', dir]);
      try {
        const error = await withFileLock(lock, async () => 'never', { staleMs: 30_000, signal: stopAfterTest() }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(SsoCacheError);
        expect((error as Error).message).toMatch(/cache\.json\.lock: was left behind .* but cannot be removed \(EPERM\): remove it by hand/);
      } finally {
        execFileSync('chattr', ['-i', dir]);
      }
    });
  });

  test('when the lock\'s folder is a file, SsoCacheError "cannot be created (ENOTDIR)" saying what to check', async () => {
    const file = join(await tempDir(), 'not-a-folder');
    await writeFile(file, '');
    const error = await withFileLock(join(file, 'cache.json.lock'), async () => 'never').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SsoCacheError);
    expect((error as Error).message).toMatch(/cannot be created \(ENOTDIR\): check that its folder/);
  });
});
