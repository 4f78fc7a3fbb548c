/**
 * `aws sso logout` removes every file in ~/.aws/sso/cache whose JSON holds an
 * `accessToken`, and nothing else. These tests do exactly that to a cache
 * folder tokenpoll has used, and check that nothing of tokenpoll's is left.
 */
import { readFile, readdir, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { createSsoTokenSource } from '../../src/node.js';
import { removeOrphanRefreshRecords } from '../../src/node/sso-logout.js';
import { ManualClock } from '../../src/testing.js';
import { REGION, START_URL, refreshCount, settleWithRealIo, writeSession } from '../helpers/aws-session.js';
import { useEmulator } from '../helpers/use-emulator.js';
import { useTempDirs } from '../helpers/use-temp-dirs.js';

const start = useEmulator();
const tempDir = useTempDirs();
const MINUTE = 60_000;

describe('the cache folder after `aws sso logout` (simulated: every file whose JSON holds an accessToken is removed)', () => {
  describe('should hold nothing of tokenpoll\'s', () => {
    test('when a refresh attempt failed (the record is written and the old token kept), the logout leaves the folder empty', async () => {
      const emulator = await start({ intervalSeconds: 0.01, autoApproveAfterMs: 0 });
      const clock = new ManualClock({ wallEpochMs: Date.now() });
      const cacheDir = await tempDir();
      const { path, entry } = await writeSession(emulator, cacheDir, clock, 2 * MINUTE);
      emulator.inject({ type: 'server_error', status: 500 }, { path: '/aws/token', count: 10 });
      const source = createSsoTokenSource({ startUrl: START_URL, region: REGION, endpoint: emulator.awsEndpoint, cacheDir, clock, retry: { retries: 1, backoff: () => 1 } });
      const result = await settleWithRealIo(clock, source.getAccessToken(), 1000);
      expect(result).toEqual({ status: 'fulfilled', value: entry.accessToken });
      expect(refreshCount(emulator)).toBe(2);
      expect(JSON.parse(await readFile(path, 'utf8'))).toHaveProperty('tokenpollLastRefreshAttempt');

      expect(await awsSsoLogout(cacheDir)).toEqual([path.split('/').pop()]);
      expect(await readdir(cacheDir)).toEqual([]);
    });

    test('when the token was refreshed, the logout leaves the folder empty', async () => {
      const emulator = await start({ intervalSeconds: 0.01, autoApproveAfterMs: 0 });
      const clock = new ManualClock({ wallEpochMs: Date.now() });
      const cacheDir = await tempDir();
      const { entry } = await writeSession(emulator, cacheDir, clock, 2 * MINUTE);
      const source = createSsoTokenSource({ startUrl: START_URL, region: REGION, endpoint: emulator.awsEndpoint, cacheDir, clock });
      expect(await settleWithRealIo(clock, source.getAccessToken(), 1000)).not.toEqual({ status: 'fulfilled', value: entry.accessToken });
      await awsSsoLogout(cacheDir);
      expect(await readdir(cacheDir)).toEqual([]);
    });

    test('when an earlier tokenpoll left a <sha1>.json.refresh record, the next token source moves it into the cache file, and the logout then leaves the folder empty', async () => {
      const emulator = await start({ intervalSeconds: 0.01, autoApproveAfterMs: 0 });
      const clock = new ManualClock({ wallEpochMs: Date.now() });
      const cacheDir = await tempDir();
      const { path } = await writeSession(emulator, cacheDir, clock, 2 * MINUTE);
      await writeFile(`${path}.refresh`, `${new Date(clock.wallNow() - 1000).toISOString()}\n`, { mode: 0o600 });
      const source = createSsoTokenSource({ startUrl: START_URL, region: REGION, endpoint: emulator.awsEndpoint, cacheDir, clock });
      await settleWithRealIo(clock, source.getAccessToken(), 1000);
      await awsSsoLogout(cacheDir);
      expect(await readdir(cacheDir)).toEqual([]);
    });
  });

  describe('should let tokenpoll clear what an earlier version left behind', () => {
    test('when the logout ran while an old <sha1>.json.refresh record sat beside the file, the record is left; removeOrphanRefreshRecords removes it, and nothing else', async () => {
      const emulator = await start({ intervalSeconds: 0.01, autoApproveAfterMs: 0 });
      const clock = new ManualClock({ wallEpochMs: Date.now() });
      const cacheDir = await tempDir();
      const { path } = await writeSession(emulator, cacheDir, clock, 2 * MINUTE);
      const record = `${path}.refresh`;
      await writeFile(record, `${new Date().toISOString()}\n`);
      // Another session's file with its (old) record, still logged in, and a file of another tool.
      const other = join(cacheDir, `${'b'.repeat(40)}.json`);
      await writeFile(other, '{"startUrl":"https://x","region":"us-east-1","expiresAt":"2030-01-01T00:00:00Z","note":"no token"}');
      await writeFile(`${other}.refresh`, 'x\n');
      await writeFile(join(cacheDir, 'notes.refresh'), 'not tokenpoll\'s\n');

      await awsSsoLogout(cacheDir);
      expect((await readdir(cacheDir)).sort()).toEqual([`${path.split('/').pop()!}.refresh`, `${'b'.repeat(40)}.json`, `${'b'.repeat(40)}.json.refresh`, 'notes.refresh'].sort());

      expect(await removeOrphanRefreshRecords(cacheDir)).toEqual([record]);
      expect((await readdir(cacheDir)).sort()).toEqual([`${'b'.repeat(40)}.json`, `${'b'.repeat(40)}.json.refresh`, 'notes.refresh'].sort());
    });
  });
});

// Helpers

/**
 * What `aws sso logout` does to the token cache (awscli's SSOTokenSweeper):
 * every entry of the folder is opened and parsed as JSON; those that parse
 * and hold `accessToken` are removed; the rest (not JSON, unreadable) are left.
 * @returns the names removed.
 */
async function awsSsoLogout(cacheDir: string): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(cacheDir)) {
    let contents: unknown;
    try {
      contents = JSON.parse(await readFile(join(cacheDir, name), 'utf8'));
    } catch {
      continue;
    }
    if (holds(contents, 'accessToken')) {
      await unlink(join(cacheDir, name));
      removed.push(name);
    }
  }
  return removed;
}

/** Python's `key in contents` for what json.load returns: a dict's key, a list's element, a substring. */
function holds(contents: unknown, key: string): boolean {
  if (Array.isArray(contents)) return contents.includes(key);
  if (typeof contents === 'string') return contents.includes(key);
  return typeof contents === 'object' && contents !== null && Object.hasOwn(contents, key);
}
