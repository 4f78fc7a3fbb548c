import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { announceLockWait } from '../../src/cli/run-login.js';
import { Terminal } from '../../src/cli/terminal.js';
import { ConfigurationError } from '../../src/index.js';
import { createSsoTokenSource, withFileLock, type SsoTokenCacheEntry } from '../../src/node.js';
import type { FileLockWait } from '../../src/node/file-lock.js';
import { ManualClock } from '../../src/testing.js';
import { REGION, START_URL, refreshCount, settleWithRealIo, writeSession } from '../helpers/aws-session.js';
import { useEmulator } from '../helpers/use-emulator.js';
import { useTempDirs } from '../helpers/use-temp-dirs.js';

const start = useEmulator();
const tempDir = useTempDirs();
const MINUTE = 60_000;
/** How long vi.waitFor lets real I/O (a lock retry, a pid read) take: a bound for a hang, not a speed. */
const IO = { timeout: 15_000, interval: 2 };

/** Holders a test left holding (it failed early): released before the temporary folders go, so no waiter outlives its test. */
const holders: { release: () => void; done: Promise<void> }[] = [];
afterEach(async () => {
  for (const holder of holders.splice(0)) holder.release();
});

/** Holds the lock at `path` until `release()` is called. */
async function holdLock(path: string): Promise<{ release: () => void; done: Promise<void> }> {
  let release!: () => void;
  let entered!: () => void;
  const held = new Promise<void>((resolve) => (entered = resolve));
  const done = withFileLock(path, () => {
    entered();
    return new Promise<void>((resolve) => (release = resolve));
  });
  await held;
  const holder = { release: () => release(), done };
  holders.push(holder);
  return holder;
}

describe('withFileLock onWait', () => {
  describe('should be called once, after onWaitAfterMs (2 s) on its clock, with the lock file and the holder\'s pid', () => {
    test('when another holder keeps the lock, nothing is said at 1999 ms, one call at 2000 ms, and no more however long the wait', async () => {
      const lock = join(await tempDir(), 'cache.json.lock');
      const holder = await holdLock(lock);
      const clock = new ManualClock();
      const waits: FileLockWait[] = [];
      let entered = false;
      const waiter = withFileLock(lock, async () => void (entered = true), { clock, pollMs: 5, onWait: (wait) => void waits.push(wait) });
      await vi.waitFor(() => expect(clock.pendingTimers).toBe(1), IO); // the first try found it held
      clock.increment(1999);
      expect(clock.pendingTimers).toBe(1); // not due yet: onWait is only ever called from that timer
      expect(waits).toEqual([]);
      clock.increment(1);
      await vi.waitFor(() => expect(waits).toHaveLength(1), IO);
      expect(waits[0]).toEqual({ path: lock, holderPid: process.pid, waitMs: 45_000 });
      clock.increment(60_000);
      expect(clock.pendingTimers).toBe(0);
      holder.release();
      await Promise.all([holder.done, waiter]);
      expect(entered).toBe(true);
      expect(waits).toHaveLength(1);
    });

    test('when the lock is free, onWait is never called and no timer is set', async () => {
      const lock = join(await tempDir(), 'cache.json.lock');
      const clock = new ManualClock();
      const onWait = vi.fn();
      expect(await withFileLock(lock, async () => 'ran', { clock, onWait })).toBe('ran');
      expect(clock.pendingTimers).toBe(0);
      clock.increment(10_000);
      expect(onWait).not.toHaveBeenCalled();
    });

    test('when the holder lets go before the delay, the timer is cleared and onWait is never called', async () => {
      const lock = join(await tempDir(), 'cache.json.lock');
      const holder = await holdLock(lock);
      const clock = new ManualClock();
      const onWait = vi.fn();
      const waiter = withFileLock(lock, async () => 'ran', { clock, pollMs: 5, onWait });
      await vi.waitFor(() => expect(clock.pendingTimers).toBe(1), IO);
      clock.increment(1999);
      holder.release();
      expect(await waiter).toBe('ran');
      expect(clock.pendingTimers).toBe(0);
      clock.increment(10_000);
      expect(onWait).not.toHaveBeenCalled();
    });

    test('when onWaitAfterMs is 500 and onWait throws, it is called at 500 ms and the wait goes on to take the lock', async () => {
      const lock = join(await tempDir(), 'cache.json.lock');
      const holder = await holdLock(lock);
      const clock = new ManualClock();
      const onWait = vi.fn(() => {
        throw new Error('hook broke');
      });
      const waiter = withFileLock(lock, async () => 'ran', { clock, pollMs: 5, onWaitAfterMs: 500, waitMs: 30_000, onWait });
      await vi.waitFor(() => expect(clock.pendingTimers).toBe(1), IO);
      clock.increment(500);
      await vi.waitFor(() => expect(onWait).toHaveBeenCalledTimes(1), IO);
      expect(onWait).toHaveBeenCalledWith({ path: lock, holderPid: process.pid, waitMs: 30_000 });
      holder.release();
      expect(await waiter).toBe('ran');
    });

    test('when onWait is not a function or onWaitAfterMs is not above 0, ConfigurationError before any wait', async () => {
      const lock = join(await tempDir(), 'cache.json.lock');
      await expect(withFileLock(lock, async () => 1, { onWait: 'yes' as never })).rejects.toThrow(ConfigurationError);
      await expect(withFileLock(lock, async () => 1, { onWait: () => undefined, onWaitAfterMs: 0 })).rejects.toThrow(ConfigurationError);
      await expect(stat(lock)).rejects.toMatchObject({ code: 'ENOENT' });
    });
  });

  test('when a token source waits for the cache lock, its lock.onWait is called on the source\'s clock, and the refresh goes on once the lock is free', async () => {
    const emulator = await start({ intervalSeconds: 0.01, autoApproveAfterMs: 0 });
    const clock = new ManualClock({ wallEpochMs: Date.now() });
    const cacheDir = await tempDir();
    const { path, entry } = await writeSession(emulator, cacheDir, clock, -MINUTE);
    const holder = await holdLock(`${path}.lock`);
    const waits: FileLockWait[] = [];
    const source = createSsoTokenSource({ startUrl: START_URL, region: REGION, endpoint: emulator.awsEndpoint, cacheDir, clock, lock: { pollMs: 5, onWait: (wait) => void waits.push(wait) } });
    const token = source.getToken();
    await vi.waitFor(() => expect(clock.nextTimerAt).toBe(clock.now() + 2000), IO);
    clock.increment(2000);
    await vi.waitFor(() => expect(waits).toEqual([{ path: `${path}.lock`, holderPid: process.pid, waitMs: 45_000 }]), IO);
    expect(refreshCount(emulator)).toBe(0);
    holder.release();
    const result = await settleWithRealIo(clock, token, 1000);
    expect(result.status).toBe('fulfilled');
    expect((result as PromiseFulfilledResult<SsoTokenCacheEntry>).value.accessToken).not.toBe(entry.accessToken);
    expect(refreshCount(emulator)).toBe(1);
    expect(waits).toHaveLength(1);
  });
});

describe('announceLockWait (the CLI\'s onWait)', () => {
  test('when called, it prints one stderr line naming the lock, the holder and when the wait gives up', () => {
    const lines: string[] = [];
    const onWait = announceLockWait(new Terminal({ stderr: { write: (text: string) => lines.push(text), isTTY: false }, env: {} }));
    onWait({ path: '/home/me/.aws/sso/cache/abc.json.lock', holderPid: 4242, waitMs: 45_000 });
    onWait({ path: '/tmp/x.lock', holderPid: undefined, waitMs: 45_000 });
    expect(lines).toEqual([
      'tokenpoll: waiting for the lock on /home/me/.aws/sso/cache/abc.json.lock (another tokenpoll is refreshing, pid 4242; gives up after 45s)\n',
      'tokenpoll: waiting for the lock on /tmp/x.lock (another tokenpoll is refreshing; gives up after 45s)\n',
    ]);
  });
});
