import { stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ConfigurationError, PollCancelledError } from '../../src/index.js';
import { SsoCacheError, withFileLock } from '../../src/node.js';
import { useTempDirs } from '../helpers/use-temp-dirs.js';

const tempDir = useTempDirs();
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('withFileLock', () => {
  describe('should let one holder in at a time', () => {
    test('when three holders ask at once, their critical sections never overlap, and the lock file is 0600 while held', async () => {
      const lock = join(await tempDir(), 'cache.json.lock');
      const log: string[] = [];
      const modes: number[] = [];
      await Promise.all(
        ['a', 'b', 'c'].map((name) =>
          withFileLock(lock, async () => {
            log.push(`${name}+`);
            modes.push((await stat(lock)).mode & 0o777);
            await pause(15);
            log.push(`${name}-`);
          }),
        ),
      );
      expect(log).toHaveLength(6);
      for (let i = 0; i < 6; i += 2) expect(log[i + 1]).toBe(log[i]!.replace('+', '-'));
      expect(modes).toEqual([0o600, 0o600, 0o600]);
      await expect(stat(lock)).rejects.toMatchObject({ code: 'ENOENT' });
    });

    test('when the holder throws, the error goes through and the lock is released', async () => {
      const lock = join(await tempDir(), 'cache.json.lock');
      await expect(withFileLock(lock, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
      await expect(stat(lock)).rejects.toMatchObject({ code: 'ENOENT' });
      expect(await withFileLock(lock, async () => 'again')).toBe('again');
    });
  });

  describe('should keep a held lock fresh, so that a waiter never takes it for a crashed holder\'s', () => {
    test('when the holder keeps the lock for about 3 times staleMs, the waiter waits, and the two critical sections never overlap', async () => {
      const lock = join(await tempDir(), 'cache.json.lock');
      const options = { staleMs: 90, pollMs: 5 };
      const log: string[] = [];
      let entered!: () => void;
      const held = new Promise<void>((resolve) => (entered = resolve));
      const holder = withFileLock(lock, async () => {
        log.push('holder+');
        entered();
        await pause(300);
        log.push('holder-');
      }, options);
      await held;
      const waiter = withFileLock(lock, async () => {
        log.push('waiter+');
        log.push('waiter-');
      }, options);
      await Promise.all([holder, waiter]);
      expect(log).toEqual(['holder+', 'holder-', 'waiter+', 'waiter-']);
      await expect(stat(lock)).rejects.toMatchObject({ code: 'ENOENT' });
    });
  });

  describe('should deal with a lock it did not take', () => {
    test('when the lock file is older than staleMs (a crashed holder), it is taken over', async () => {
      const lock = join(await tempDir(), 'cache.json.lock');
      await writeFile(lock, '99999\n');
      const old = new Date(Date.now() - 60_000);
      await utimes(lock, old, old);
      expect(await withFileLock(lock, async () => 'taken', { staleMs: 30_000 })).toBe('taken');
    });

    test('when a live holder keeps it past waitMs, SsoCacheError naming the lock; the holder\'s lock stays', async () => {
      const lock = join(await tempDir(), 'cache.json.lock');
      await writeFile(lock, '1\n');
      const error = await withFileLock(lock, async () => 'never', { waitMs: 60, pollMs: 5 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SsoCacheError);
      expect(String(error)).toMatch(/held by another process/);
      expect((await stat(lock)).isFile()).toBe(true);
    });

    test('when the signal aborts the wait, PollCancelledError', async () => {
      const lock = join(await tempDir(), 'cache.json.lock');
      await writeFile(lock, '1\n');
      const controller = new AbortController();
      const waiting = withFileLock(lock, async () => 'never', { pollMs: 5, signal: controller.signal }).catch((e: unknown) => e);
      await pause(20);
      controller.abort(new Error('stop'));
      expect(await waiting).toBeInstanceOf(PollCancelledError);
    });

    test('when an option is not a positive number, ConfigurationError', async () => {
      const lock = join(await tempDir(), 'x.lock');
      await expect(withFileLock(lock, async () => 1, { staleMs: 0 })).rejects.toBeInstanceOf(ConfigurationError);
      await expect(withFileLock(lock, async () => 1, { waitMs: Number.POSITIVE_INFINITY })).rejects.toBeInstanceOf(ConfigurationError);
    });
  });
});
