import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { SsoCacheError, parseCacheTime, readSsoTokenCache, ssoCacheKey, ssoCachePath, toCacheTime, writeSsoTokenCache } from '../../src/node.js';

const rejection = async (promise: Promise<unknown>): Promise<unknown> => promise.then(() => { throw new Error('expected a rejection'); }, (error: unknown) => error);

const entry = {
  startUrl: 'https://example.awsapps.com/start',
  region: 'eu-west-1',
  accessToken: 'secret-access-token',
  expiresAt: '2026-11-27T15:00:00Z',
  clientId: 'client-1',
  clientSecret: 'secret-client-secret',
  registrationExpiresAt: '2027-02-25T14:00:00Z',
  refreshToken: 'secret-refresh-token',
};

describe('the AWS SSO token cache', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tokenpoll-cache-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('should key the file by the SHA-1 of the session name, or of the start URL without one', () => {
    // Known SHA-1 values, computed independently (sha1sum).
    expect(ssoCacheKey({ startUrl: 'https://example.awsapps.com/start' })).toBe('e8be5486177c5b5392bd9aa76563515b29358e6e');
    expect(ssoCacheKey({ startUrl: 'https://example.awsapps.com/start', sessionName: '' })).toBe('e8be5486177c5b5392bd9aa76563515b29358e6e');
    expect(ssoCacheKey({ startUrl: 'https://example.awsapps.com/start', sessionName: 'my-sso' })).toBe('0ad374308c5a4e22f723adf10145eafad7c4031c');
    expect(ssoCachePath({ startUrl: 'x', sessionName: 'my-sso', cacheDir: '/c' })).toBe('/c/0ad374308c5a4e22f723adf10145eafad7c4031c.json');
  });

  test('should write atomically with mode 0600 and read back the same entry', async () => {
    const path = ssoCachePath({ startUrl: entry.startUrl, cacheDir: join(dir, 'nested', 'cache') });
    await writeSsoTokenCache(path, entry);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readSsoTokenCache(path)).toEqual(entry);
    expect(await readdir(join(dir, 'nested', 'cache'))).toEqual([path.split('/').pop()]);
    await writeSsoTokenCache(path, { ...entry, accessToken: 'secret-2' });
    expect((await readSsoTokenCache(path))?.accessToken).toBe('secret-2');
    expect(await readdir(join(dir, 'nested', 'cache'))).toHaveLength(1);
  });

  test('should give undefined for a missing file and a typed error, without secrets, for a broken one', async () => {
    expect(await readSsoTokenCache(join(dir, 'none.json'))).toBeUndefined();
    const path = join(dir, 'bad.json');
    await writeFile(path, '{"accessToken":"secret-access-token"');
    const notJson = await rejection(readSsoTokenCache(path));
    expect(notJson).toBeInstanceOf(SsoCacheError);
    expect(JSON.stringify(notJson) + String(notJson)).not.toContain('secret');
    await writeFile(path, JSON.stringify({ ...entry, region: undefined }));
    expect(String(await rejection(readSsoTokenCache(path)))).toContain('has no region');
    await writeFile(path, JSON.stringify({ ...entry, expiresAt: 'soon' }));
    expect(String(await rejection(readSsoTokenCache(path)))).toContain('expiresAt');
  });

  test('should read the times AWS CLI v2 wrote before 2.1.14 (`…UTC`), returning them as ISO 8601 with Z', async () => {
    const path = join(dir, 'old-cli.json');
    await writeFile(path, JSON.stringify({ ...entry, expiresAt: '2021-12-07T01:19:12UTC', registrationExpiresAt: '2022-03-07T01:19:11UTC' }));
    expect(await readSsoTokenCache(path)).toEqual({ ...entry, expiresAt: '2021-12-07T01:19:12Z', registrationExpiresAt: '2022-03-07T01:19:11Z' });
    expect(parseCacheTime('2021-12-07T01:19:12UTC')).toBe(Date.UTC(2021, 11, 7, 1, 19, 12));
    expect(parseCacheTime('2021-12-07T01:19:12.250UTC')).toBe(Date.UTC(2021, 11, 7, 1, 19, 12, 250));
    expect(parseCacheTime('2021-12-07T01:19:12Z')).toBe(Date.UTC(2021, 11, 7, 1, 19, 12));
    expect(parseCacheTime('2021-12-07T02:19:12+01:00')).toBe(Date.UTC(2021, 11, 7, 1, 19, 12));
    expect(parseCacheTime('UTC')).toBeNaN();
  });

  test('should format times as the AWS CLI does, in whole seconds', () => {
    expect(toCacheTime(Date.UTC(2026, 10, 27, 14, 0, 0, 999))).toBe('2026-11-27T14:00:00Z');
  });

  test('should report a folder it cannot write as a typed error', async () => {
    const blocker = join(dir, 'file');
    await writeFile(blocker, 'x');
    const error = await rejection(writeSsoTokenCache(join(blocker, 'sub', 'a.json'), entry));
    expect(error).toBeInstanceOf(SsoCacheError);
    expect(String(error)).not.toContain('secret');
    expect(await readFile(blocker, 'utf8')).toBe('x');
  });
});
