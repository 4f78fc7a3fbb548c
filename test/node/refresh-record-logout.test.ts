/**
 * `aws sso logout` removes every file in ~/.aws/sso/cache whose JSON holds an
 * `accessToken`, and nothing else. These tests do exactly that to a cache
 * folder tokenpoll has used, and check that nothing of tokenpoll's is left in
 * it (tokenpoll's refresh records live in a folder of its own beside it).
 */
import { readFile, readdir, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { createSsoTokenSource, ssoTokenFileStorage } from '../../src/node.js';
import { removeOrphanRefreshRecords } from '../../src/node/sso-logout.js';
import { refreshRecordPath } from '../../src/node/token-storage.js';
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
      expect(JSON.parse(await readFile(path, 'utf8'))).toEqual(entry);
      expect(await readdir(cacheDir)).toEqual([path.split('/').pop()]);
      expect(await readdir(join(cacheDir, '..', 'tokenpoll'))).toEqual([`${path.split('/').pop()!}.refresh`]);

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

    test('when an earlier tokenpoll left a <sha1>.json.refresh record, the next token source moves it to tokenpoll\'s folder, and the logout then leaves the cache folder empty', async () => {
      const emulator = await start({ intervalSeconds: 0.01, autoApproveAfterMs: 0 });
      const clock = new ManualClock({ wallEpochMs: Date.now() });
      const cacheDir = await tempDir();
      const { path } = await writeSession(emulator, cacheDir, clock, 2 * MINUTE);
      await writeFile(`${path}.refresh`, `${new Date(clock.wallNow() - 1000).toISOString()}\n`, { mode: 0o600 });
      const source = createSsoTokenSource({ startUrl: START_URL, region: REGION, endpoint: emulator.awsEndpoint, cacheDir, clock });
      await settleWithRealIo(clock, source.getAccessToken(), 1000);
      expect(await readFile(refreshRecordPath(path), 'utf8')).toBe(`${new Date(clock.wallNow() - 1000).toISOString()}\n`);
      await awsSsoLogout(cacheDir);
      expect(await readdir(cacheDir)).toEqual([]);
    });
  });

  describe('should let tokenpoll clear the records an `aws sso logout` left behind', () => {
    test('when the logout removed tokens, their records (tokenpoll\'s, and an earlier version\'s beside the file) are left; removeOrphanRefreshRecords removes those, and nothing else', async () => {
      const emulator = await start({ intervalSeconds: 0.01, autoApproveAfterMs: 0 });
      const clock = new ManualClock({ wallEpochMs: Date.now() });
      const cacheDir = await tempDir();
      const recordDir = join(cacheDir, '..', 'tokenpoll');
      const { path } = await writeSession(emulator, cacheDir, clock, 2 * MINUTE);
      const name = path.split('/').pop()!;
      await ssoTokenFileStorage(path).recordRefreshAttempt!(clock.wallNow());
      await writeFile(`${path}.refresh`, `${new Date().toISOString()}\n`);
      // Another session's file with its records, still there (no token: the logout keeps it), and files of another tool.
      const other = `${'b'.repeat(40)}.json`;
      await writeFile(join(cacheDir, other), '{"startUrl":"https://x","region":"us-east-1","expiresAt":"2030-01-01T00:00:00Z","note":"no token"}');
      await writeFile(join(cacheDir, `${other}.refresh`), 'x\n');
      await writeFile(join(recordDir, `${other}.refresh`), 'x\n');
      await writeFile(join(cacheDir, 'notes.refresh'), 'not tokenpoll\'s\n');
      await writeFile(join(recordDir, 'notes.refresh'), 'not tokenpoll\'s\n');

      await awsSsoLogout(cacheDir);
      expect((await readdir(cacheDir)).sort()).toEqual([`${name}.refresh`, other, `${other}.refresh`, 'notes.refresh'].sort());
      expect((await readdir(recordDir)).sort()).toEqual([`${name}.refresh`, `${other}.refresh`, 'notes.refresh'].sort());

      expect(await removeOrphanRefreshRecords(cacheDir)).toEqual([join(recordDir, `${name}.refresh`), join(cacheDir, `${name}.refresh`)]);
      expect((await readdir(cacheDir)).sort()).toEqual([other, `${other}.refresh`, 'notes.refresh'].sort());
      expect((await readdir(recordDir)).sort()).toEqual([`${other}.refresh`, 'notes.refresh'].sort());
    });

    test('when the last record goes, tokenpoll\'s folder goes too', async () => {
      const cacheDir = await tempDir();
      const path = join(cacheDir, `${'c'.repeat(40)}.json`);
      await writeFile(path, '{"accessToken":"at-secret"}');
      await ssoTokenFileStorage(path).recordRefreshAttempt!(Date.now());
      await awsSsoLogout(cacheDir);
      expect(await removeOrphanRefreshRecords(cacheDir)).toEqual([refreshRecordPath(path)]);
      expect(await readdir(join(cacheDir, '..'))).toEqual([cacheDir.split('/').pop()]);
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
