import type { Stats } from 'node:fs';
import { mkdir, open, stat, unlink, utimes, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ConfigurationError, PollCancelledError } from '../errors/failures.js';
import { SsoCacheError } from './sso-cache.js';

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
 * Known limit: two waiters that find the same stale lock at the same moment
 * may both remove it and, rarely, both run; callers re-read what they guard
 * under the lock, so the worst case is one extra, harmless, refresh.
 *
 * @throws {@link SsoCacheError} when the lock cannot be created, or is still
 * held after `waitMs`; {@link ConfigurationError} for a bad option; {@link PollCancelledError} when `signal` aborts the wait;
 * and what `fn` throws.
 * @group AWS token cache
 */
export async function withFileLock<TResult>(path: string, fn: () => Promise<TResult>, options: FileLockOptions & { readonly signal?: AbortSignal | undefined } = {}): Promise<TResult> {
  const staleMs = positive(options.staleMs, 30_000, 'staleMs');
  const held = await acquire(path, staleMs, positive(options.waitMs, 45_000, 'waitMs'), positive(options.pollMs, 25, 'pollMs'), options.signal);
  let heartbeat: ReturnType<typeof setTimeout> | undefined;
  const touch = (): void => {
    heartbeat = setTimeout(() => {
      const now = new Date();
      utimes(path, now, now).catch(() => undefined).finally(() => heartbeat !== undefined && touch());
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

async function acquire(path: string, staleMs: number, waitMs: number, pollMs: number, signal: AbortSignal | undefined): Promise<HeldLock> {
  const giveUpAt = Date.now() + waitMs;
  await mkdir(dirname(path), { recursive: true, mode: 0o700 }).catch(() => undefined);
  for (;;) {
    if (signal?.aborted) throw new PollCancelledError(signal.reason);
    const held = await tryCreate(path);
    if (held) return held;
    const info = await stat(path).catch(() => undefined);
    if (info === undefined) continue; // released in between: try again at once
    if (Date.now() - info.mtimeMs > staleMs) {
      await removeIfUnchanged(path, info);
      continue;
    }
    if (Date.now() >= giveUpAt) throw new SsoCacheError(path, `is held by another process (waited ${waitMs} ms)`);
    await pause(pollMs + Math.random() * pollMs, signal);
  }
}

/** Creates the lock file; `undefined` when it exists. */
async function tryCreate(path: string): Promise<HeldLock | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw new SsoCacheError(path, `cannot be created (${(error as NodeJS.ErrnoException).code ?? 'unknown error'})`, { cause: error });
  }
  await handle.writeFile(`${process.pid}\n`).catch(() => undefined);
  return { handle, ino: (await handle.stat()).ino };
}

/** Removes a stale lock, unless it changed since it was judged stale (another waiter took it over). */
async function removeIfUnchanged(path: string, stale: Stats): Promise<void> {
  const now = await stat(path).catch(() => undefined);
  if (now && now.ino === stale.ino && now.mtimeMs === stale.mtimeMs) await unlink(path).catch(() => undefined);
}

/** Closes and removes the lock, if it is still this holder's. */
async function release(path: string, held: HeldLock): Promise<void> {
  await held.handle.close().catch(() => undefined);
  const now = await stat(path).catch(() => undefined);
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
