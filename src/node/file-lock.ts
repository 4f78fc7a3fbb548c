import type { Stats } from 'node:fs';
import { lstat, mkdir, open, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { systemClock, type Clock } from '../clock/clock.js';
import { ConfigurationError, PollCancelledError } from '../errors/failures.js';
import { SsoCacheError, readRegularFile } from './sso-cache.js';

/**
 * How {@link withFileLock} waits for a lock another process holds. These are
 * real times: the lock is shared with other processes, whose clocks are real.
 * @group AWS token cache
 */
export interface FileLockOptions {
  /** A lock file not touched for this long is taken as left behind by a crashed process, and removed. The holder touches it every third of this. @defaultValue 30000 */
  readonly staleMs?: number | undefined;
  /** How long to wait for the lock before giving up with {@link SsoCacheError}. @defaultValue 45000 */
  readonly waitMs?: number | undefined;
  /** How often to look again while waiting (a little jitter is added). @defaultValue 25 */
  readonly pollMs?: number | undefined;
  /**
   * Called once when the lock is still held by someone else `onWaitAfterMs`
   * after the first try, so that a caller can say why it sits still (the CLI
   * prints one line on stderr). Not called when the lock is taken sooner.
   * What it throws is ignored.
   * @defaultValue none: the wait is silent
   */
  readonly onWait?: ((wait: FileLockWait) => void) | undefined;
  /** How long to wait before calling `onWait`, in ms. @defaultValue 2000 */
  readonly onWaitAfterMs?: number | undefined;
  /**
   * The clock that times `onWaitAfterMs`, and only that: the wait itself and
   * the staleness of the lock are real times, shared with other processes.
   * @defaultValue systemClock
   */
  readonly clock?: Pick<Clock, 'setTimeout' | 'clearTimeout'> | undefined;
}

/**
 * What {@link FileLockOptions.onWait} is told about a lock it waits for.
 * @group AWS token cache
 */
export interface FileLockWait {
  /** The lock file. */
  readonly path: string;
  /** The pid the holder wrote into the lock file, when it can be read (it may be this process's: another holder in it). */
  readonly holderPid: number | undefined;
  /** How long the wait lasts in all before it gives up, in ms (`waitMs`). */
  readonly waitMs: number;
}

interface HeldLock {
  readonly handle: FileHandle;
  readonly ino: number;
}

/**
 * Runs `fn` while holding a lock file, so that no other process (or other
 * holder in this one) runs its own `fn` on the same lock at once. The lock is
 * a file created with `open(path, 'wx', 0o600)`, holding the owner's pid; it is
 * touched while held, always removed afterwards (even when `fn` throws), and
 * taken over when left untouched for `staleMs` (a crashed holder).
 *
 * Every wait sleeps `pollMs` (plus jitter) between tries and ends by
 * `waitMs`; once it has lasted `onWaitAfterMs` (2 s), `onWait` is called, once,
 * with the lock file and the holder's pid, so that the caller need not sit
 * silent for up to 45 s. Something at `path` that no holder can have made (a directory, a
 * symbolic link, dangling or not, or anything else but a regular file) fails
 * at once rather than being waited on, as does a stale lock that cannot be
 * removed (a read-only folder): each error names the path and says what to
 * remove. The lock is created with `O_EXCL`, so a symbolic link at its path
 * is never followed.
 *
 * Known limit: two waiters that find the same stale lock at the same moment
 * may both remove it and, rarely, both run; callers re-read what they guard
 * under the lock, so the worst case is one extra, harmless, refresh.
 *
 * @example
 * ```ts
 * import { withFileLock } from 'tokenpoll/node';
 * const token = await withFileLock('/home/me/.my-cli/token.json.lock', () => refreshUnlessSomeoneDid(), {
 *   waitMs: 10_000,
 *   onWait: ({ path, holderPid }) => console.error(`waiting for ${path} (held by process ${holderPid})`),
 * });
 * ```
 * @throws {@link SsoCacheError} when the lock cannot be created, is not a
 * regular file, is stale but cannot be removed, or is still held after
 * `waitMs`; {@link ConfigurationError} for a bad option; {@link PollCancelledError} when `signal` aborts the wait;
 * and what `fn` throws.
 * @group AWS token cache
 */
export async function withFileLock<TResult>(path: string, fn: () => Promise<TResult>, options: FileLockOptions & { readonly signal?: AbortSignal | undefined } = {}): Promise<TResult> {
  const staleMs = positive(options.staleMs, 30_000, 'staleMs');
  const waitMs = positive(options.waitMs, 45_000, 'waitMs');
  const pollMs = positive(options.pollMs, 25, 'pollMs');
  if (options.onWait !== undefined && typeof options.onWait !== 'function') throw new ConfigurationError('onWait', 'expected a function');
  const notice: WaitNotice | undefined = options.onWait && { onWait: options.onWait, afterMs: positive(options.onWaitAfterMs, 2000, 'onWaitAfterMs'), clock: options.clock ?? systemClock };
  const held = await acquire(path, staleMs, waitMs, pollMs, options.signal, notice);
  let heartbeat: ReturnType<typeof setTimeout> | undefined;
  const touch = (): void => {
    heartbeat = setTimeout(() => {
      const now = new Date();
      // Through the held handle: whatever may have replaced the file at `path` is never touched.
      held.handle.utimes(now, now).catch(() => undefined).finally(() => heartbeat !== undefined && touch());
    }, staleMs / 3);
    heartbeat.unref();
  };
  touch();
  try {
    return await fn();
  } finally {
    clearTimeout(heartbeat);
    heartbeat = undefined;
    await release(path, held);
  }
}

interface WaitNotice {
  readonly onWait: (wait: FileLockWait) => void;
  readonly afterMs: number;
  readonly clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
}

async function acquire(path: string, staleMs: number, waitMs: number, pollMs: number, signal: AbortSignal | undefined, notice: WaitNotice | undefined): Promise<HeldLock> {
  const giveUpAt = Date.now() + waitMs;
  await mkdir(dirname(path), { recursive: true, mode: 0o700 }).catch(() => undefined);
  let waiting = true;
  let timer: unknown;
  try {
    for (;;) {
      if (signal?.aborted) throw new PollCancelledError(signal.reason);
      const held = await tryCreate(path);
      if (held) return held;
      // Someone else holds it: from now on, onWait is due after its delay, once.
      if (notice && timer === undefined) {
        timer = notice.clock.setTimeout(() => void announceWait(path, waitMs, notice, () => waiting), notice.afterMs, { unref: true });
      }
      await waitOnce(path, staleMs, waitMs, pollMs, giveUpAt, signal);
    }
  } finally {
    waiting = false;
    if (timer !== undefined) notice?.clock.clearTimeout(timer);
  }
}

/** Calls onWait with the holder's pid, if the wait still goes on once the pid is read; what onWait throws is dropped. */
async function announceWait(path: string, waitMs: number, notice: WaitNotice, stillWaiting: () => boolean): Promise<void> {
  // Read as tokenpoll reads its own files: never through a link, never blocked on a FIFO, a few bytes at most.
  const text = await readRegularFile(path, 32).catch(() => undefined);
  const pid = text !== undefined && /^\d{1,10}\s*$/.test(text) ? Number.parseInt(text, 10) : undefined;
  if (!stillWaiting()) return;
  try {
    notice.onWait({ path, holderPid: pid, waitMs });
  } catch {
    // The wait goes on whatever the hook does.
  }
}

/** One look at a lock someone else holds: fails at once for what no holder makes, removes it when stale, gives up by `giveUpAt`, and sleeps. */
async function waitOnce(path: string, staleMs: number, waitMs: number, pollMs: number, giveUpAt: number, signal: AbortSignal | undefined): Promise<void> {
  // lstat, not stat: a dangling symbolic link must be seen as what it is, not as "released in between".
  const info = await lstat(path).catch(() => undefined);
  if (info !== undefined && !info.isFile()) {
    throw new SsoCacheError(path, `is ${kindOf(info)}, not a lock file (tokenpoll makes its lock as a regular file and removes it after use): remove it`);
  }
  const freed = info !== undefined && Date.now() - info.mtimeMs > staleMs && (await removeIfUnchanged(path, info, staleMs));
  if (!freed && Date.now() >= giveUpAt) {
    throw new SsoCacheError(path, `is held by another process (waited ${waitMs} ms); if no tokenpoll is running, remove it`);
  }
  // Every path back to the top sleeps first, so no state of the file can make this loop spin.
  await pause(pollMs + Math.random() * pollMs, signal);
}

/** Creates the lock file; `undefined` when it exists. */
async function tryCreate(path: string): Promise<HeldLock | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw new SsoCacheError(path, `cannot be created (${(error as NodeJS.ErrnoException).code ?? 'unknown error'}): check that its folder is a folder you can write to`, { cause: error });
  }
  await handle.writeFile(`${process.pid}\n`).catch(() => undefined);
  return { handle, ino: (await handle.stat()).ino };
}

/**
 * Removes a stale lock, unless it changed since it was judged stale (another
 * waiter took it over); true when it removed it. A lock that cannot be
 * removed (a read-only folder) can only be removed by hand: that is said at
 * once, never waited on.
 */
async function removeIfUnchanged(path: string, stale: Stats, staleMs: number): Promise<boolean> {
  const now = await lstat(path).catch(() => undefined);
  if (!now || now.ino !== stale.ino || now.mtimeMs !== stale.mtimeMs) return false;
  try {
    await unlink(path);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return false;
    throw new SsoCacheError(path, `was left behind (untouched for more than ${staleMs} ms) but cannot be removed (${code ?? 'unknown error'}): remove it by hand, or make its folder writable`, { cause: error });
  }
}

function kindOf(info: Stats): string {
  if (info.isDirectory()) return 'a directory';
  if (info.isSymbolicLink()) return 'a symbolic link';
  return 'something other than a regular file';
}

/** Closes and removes the lock, if it is still this holder's. */
async function release(path: string, held: HeldLock): Promise<void> {
  await held.handle.close().catch(() => undefined);
  const now = await lstat(path).catch(() => undefined);
  if (now?.ino === held.ino) await unlink(path).catch(() => undefined);
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

function positive(value: number | undefined, fallback: number, name: string): number {
  const result = value ?? fallback;
  if (typeof result !== 'number' || !(result > 0) || !Number.isFinite(result)) throw new ConfigurationError(name, `expected a finite number above 0, got ${String(value)}`);
  return result;
}
