import { lstat, mkdir, readFile, readdir, stat, symlink, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test, vi } from 'vitest';
import type { AwsRoleCredentials } from '../../src/index.js';
import { withFileLock } from '../../src/node.js';
import {
  cachedRoleCredentials,
  readRoleCredentialCache,
  removeRoleCredentialCache,
  removeSsoRoleCredentialCaches,
  roleCredentialCacheKey,
  roleCredentialCachePath,
  writeRoleCredentialCache,
  type RoleCredentialCacheLocation,
} from '../../src/node/role-credentials.js';
import { SsoCacheError } from '../../src/node/sso-cache.js';
import { ManualClock } from '../../src/testing.js';
import { useTempDirs } from '../helpers/use-temp-dirs.js';

const MINUTE = 60_000;
const WALL = Date.UTC(2026, 0, 1, 12, 0, 0);
const SECRET = 'wJalrXUtnFEMI-secret-access-key';

function credentials(expiration: number, id = 'ASIAFIRST'): AwsRoleCredentials {
  return { accessKeyId: id, secretAccessKey: SECRET, sessionToken: 'IQoJb3JpZ2luX2VjE-session-token', expiration };
}

describe('role-credential cache (the AWS CLI v2 format, ~/.aws/cli/cache)', () => {
  const tempDir = useTempDirs('tokenpoll-role-');

  async function location(more: Partial<RoleCredentialCacheLocation> = {}): Promise<RoleCredentialCacheLocation> {
    return { startUrl: 'https://x.awsapps.com/start', accountId: '111122223333', roleName: 'R', cacheDir: join(await tempDir(), 'cli', 'cache'), ...more };
  }

  test('the key should be the one AWS CLI 2.9.19 reads, for a start URL and for an sso-session with a non-ASCII role name', () => {
    // Both keys were checked against /usr/bin/aws (Debian awscli 2.9.19): `aws configure export-credentials` answered
    // from a file tokenpoll wrote under each name. The second needs Python's \u escaping of non-ASCII characters.
    expect(roleCredentialCacheKey({ startUrl: 'https://x.awsapps.com/start', accountId: '111122223333', roleName: 'R' })).toBe('0db60e3628fff6afc778d566014defa7aa91518b');
    expect(roleCredentialCacheKey({ startUrl: 'https://x.awsapps.com/start', sessionName: 'my-sso', accountId: '444455556666', roleName: 'Dév' })).toBe('cab865034b26260dfffb6dca2d3938a73b078ddf');
    // An empty session name is no session name, as in the AWS CLI.
    expect(roleCredentialCacheKey({ startUrl: 'https://x.awsapps.com/start', sessionName: '', accountId: '111122223333', roleName: 'R' })).toBe('0db60e3628fff6afc778d566014defa7aa91518b');
  });

  test('should read a file as the AWS CLI writes it (spaces after separators, Expiration without milliseconds)', async () => {
    const where = await location();
    const path = roleCredentialCachePath(where);
    await mkdir(where.cacheDir!, { recursive: true });
    await writeFile(
      path,
      '{"ProviderType": "sso", "Credentials": {"AccessKeyId": "ASIAAWSCLI", "SecretAccessKey": "s3cr3t", "SessionToken": "t0k3n", "Expiration": "2026-01-01T13:00:00Z"}}',
      { mode: 0o600 },
    );
    await expect(readRoleCredentialCache(path)).resolves.toEqual({ accessKeyId: 'ASIAAWSCLI', secretAccessKey: 's3cr3t', sessionToken: 't0k3n', expiration: Date.UTC(2026, 0, 1, 13) });
  });

  test('should write the AWS CLI format with mode 0600, the expiry in whole seconds', async () => {
    const path = roleCredentialCachePath(await location());
    await writeRoleCredentialCache(path, credentials(WALL + 60 * MINUTE + 999));
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({
      ProviderType: 'sso',
      Credentials: { AccessKeyId: 'ASIAFIRST', SecretAccessKey: SECRET, SessionToken: 'IQoJb3JpZ2luX2VjE-session-token', Expiration: '2026-01-01T13:00:00Z' },
    });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  test('a warm call should not fetch; one with 15 minutes or less left should fetch again and rewrite the file', async () => {
    // Arrange
    const clock = new ManualClock({ wallEpochMs: WALL });
    const where = await location();
    const fetch = vi.fn(async () => credentials(WALL + 60 * MINUTE, `ASIA${fetch.mock.calls.length}`));
    const get = (): Promise<AwsRoleCredentials> => cachedRoleCredentials({ location: where, clock }, fetch);
    // Act / Assert: the first call fetches and caches; the next ones, up to 15 minutes before expiry, do not.
    expect((await get()).accessKeyId).toBe('ASIA1');
    expect((await get()).accessKeyId).toBe('ASIA1');
    await clock.advance(45 * MINUTE - 1000);
    expect((await get()).accessKeyId).toBe('ASIA1');
    expect(fetch).toHaveBeenCalledTimes(1);
    await clock.advance(1000);
    expect((await get()).accessKeyId).toBe('ASIA2');
    expect(fetch).toHaveBeenCalledTimes(2);
    await expect(readRoleCredentialCache(roleCredentialCachePath(where))).resolves.toMatchObject({ accessKeyId: 'ASIA2' });
  });

  test('many calls at once should fetch once: the others wait for the lock and read what it wrote', async () => {
    const where = await location();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const fetch = vi.fn(async () => {
      await gate;
      return credentials(Date.now() + 60 * MINUTE);
    });
    const calls = Array.from({ length: 5 }, () => cachedRoleCredentials({ location: where, lock: { pollMs: 5 } }, fetch));
    await vi.waitFor(() => expect(fetch).toHaveBeenCalledTimes(1));
    release();
    const results = await Promise.all(calls);
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(new Set(results.map((result) => result.accessKeyId))).toEqual(new Set(['ASIAFIRST']));
  });

  test('a call that finds the lock held should wait, and use what the holder cached instead of fetching', async () => {
    const where = await location();
    const path = roleCredentialCachePath(where);
    const fetch = vi.fn(async () => credentials(Date.now() + 60 * MINUTE, 'ASIAFETCHED'));
    let call: Promise<AwsRoleCredentials> | undefined;
    await withFileLock(`${path}.lock`, async () => {
      call = cachedRoleCredentials({ location: where, lock: { pollMs: 5 } }, fetch);
      await new Promise((resolve) => setTimeout(resolve, 50));
      await writeRoleCredentialCache(path, credentials(Date.now() + 60 * MINUTE, 'ASIAHOLDER'));
    });
    expect((await call!).accessKeyId).toBe('ASIAHOLDER');
    expect(fetch).not.toHaveBeenCalled();
    expect(await readdir(where.cacheDir!)).toEqual([`${roleCredentialCacheKey(where)}.json`]);
  });

  test.each([
    ['not JSON', `{"ProviderType":"sso","Credentials":{"SecretAccessKey":"${SECRET}"`, /is not JSON/],
    ['another provider', `{"ProviderType":"assume-role","Credentials":{"SecretAccessKey":"${SECRET}"}}`, /ProviderType 'sso'/],
    ['a field missing', `{"ProviderType":"sso","Credentials":{"AccessKeyId":"A","SecretAccessKey":"${SECRET}","Expiration":"2026-01-01T13:00:00Z"}}`, /has no Credentials\.SessionToken/],
    ['an expiry that is not a time', `{"ProviderType":"sso","Credentials":{"AccessKeyId":"A","SecretAccessKey":"${SECRET}","SessionToken":"t","Expiration":"soon"}}`, /Expiration that is not a time/],
  ])('a corrupt file (%s) should be a typed error naming no secret, then fetched again and replaced', async (_name, content, message) => {
    // Arrange
    const where = await location();
    const path = roleCredentialCachePath(where);
    await mkdir(where.cacheDir!, { recursive: true });
    await writeFile(path, content, { mode: 0o600 });
    const errors: SsoCacheError[] = [];
    const fetch = vi.fn(async () => credentials(Date.now() + 60 * MINUTE));
    // Act
    const read = await readRoleCredentialCache(path).catch((error: unknown) => error);
    const result = await cachedRoleCredentials({ location: where, onCacheError: (error) => void errors.push(error) }, fetch);
    // Assert
    expect(read).toBeInstanceOf(SsoCacheError);
    expect((read as Error).message).toMatch(message);
    expect(JSON.stringify(read) + String(read) + (read as Error).message).not.toContain(SECRET);
    expect(result.accessKeyId).toBe('ASIAFIRST');
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(errors.map((error) => error.message)).toEqual([expect.stringMatching(message)]);
    await expect(readRoleCredentialCache(path)).resolves.toMatchObject({ accessKeyId: 'ASIAFIRST' });
  });

  test('a symbolic link at the cache path should be replaced, never followed', async () => {
    const where = await location();
    const path = roleCredentialCachePath(where);
    const target = join(where.cacheDir!, '..', 'elsewhere.json');
    await mkdir(where.cacheDir!, { recursive: true });
    await writeFile(target, '{"ProviderType":"sso","Credentials":{"AccessKeyId":"ASIALINK","SecretAccessKey":"s","SessionToken":"t","Expiration":"2099-01-01T00:00:00Z"}}');
    await symlink(target, path);
    const result = await cachedRoleCredentials({ location: where }, async () => credentials(Date.now() + 60 * MINUTE));
    expect(result.accessKeyId).toBe('ASIAFIRST');
    expect((await lstat(path)).isSymbolicLink()).toBe(false);
    expect(await readFile(target, 'utf8')).toContain('ASIALINK');
  });

  test('a file group or others may read should be tightened to 0600 when read', async () => {
    const path = roleCredentialCachePath(await location());
    await writeRoleCredentialCache(path, credentials(WALL));
    await chmod(path, 0o644);
    await readRoleCredentialCache(path);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  test('credentials that cannot be cached should still be returned, and the failure told', async () => {
    // The cache folder's place is taken by a file, so nothing can be written under it.
    const home = await tempDir();
    await writeFile(join(home, 'cli'), 'not a folder');
    const where = await location({ cacheDir: join(home, 'cli', 'cache') });
    const errors: SsoCacheError[] = [];
    const fetch = vi.fn(async () => credentials(Date.now() + 60 * MINUTE));
    const result = await cachedRoleCredentials({ location: where, onCacheError: (error) => void errors.push(error) }, fetch);
    expect(result.accessKeyId).toBe('ASIAFIRST');
    expect(errors.map((error) => error.message).join('\n')).toMatch(/cannot be (written|created)/);
  });

  test('logout should remove every SSO role-credential file, and leave other providers and other files alone', async () => {
    const first = await location();
    const dir = first.cacheDir!;
    await writeRoleCredentialCache(roleCredentialCachePath(first), credentials(WALL));
    await writeRoleCredentialCache(roleCredentialCachePath({ ...first, roleName: 'Other' }), credentials(WALL));
    await writeFile(join(dir, 'assume.json'), '{"ProviderType":"assume-role","Credentials":{}}');
    await writeFile(join(dir, 'garbage.json'), '{');
    await writeFile(join(dir, 'notes.txt'), '{"ProviderType":"sso"}');
    const removed = await removeSsoRoleCredentialCaches(dir);
    expect(removed.sort()).toEqual([roleCredentialCachePath(first), roleCredentialCachePath({ ...first, roleName: 'Other' })].sort());
    expect((await readdir(dir)).sort()).toEqual(['assume.json', 'garbage.json', 'notes.txt']);
    await expect(removeSsoRoleCredentialCaches(join(dir, 'missing'))).resolves.toEqual([]);
    await expect(removeRoleCredentialCache(first)).resolves.toBe(false);
  });
});
