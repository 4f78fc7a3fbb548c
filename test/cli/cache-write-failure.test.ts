import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { MAX_TOKEN_LIFETIME_SECONDS } from '../../src/index.js';
import { readSsoTokenCache, ssoCachePath } from '../../src/node.js';
import type { EmulatorOptions } from '../../src/testing-emulator.js';
import { useEmulator } from '../helpers/use-emulator.js';
import { useTempDirs } from '../helpers/use-temp-dirs.js';
import { jsonOut, runCli, startCli } from './run-cli.js';
import { immutableWorks } from '../helpers/immutable.js';

const START_URL = 'https://d-1234567890.awsapps.com/start';
const ACCOUNTS = [{ accountId: '111122223333', accountName: 'Production', emailAddress: 'prod@example.com', roles: ['ReadOnly'] }];

describe('tokenpoll, when a token the server issued cannot be written to the AWS SSO cache', () => {
  const emulator = useEmulator();
  const tempDir = useTempDirs('tokenpoll-home-');
  // Without the lock fix the CLI never ends: whatever is still running after a test is killed.
  const running: ChildProcess[] = [];
  afterEach(() => {
    for (const child of running.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  async function setUp(options: EmulatorOptions = {}) {
    const server = await emulator({ intervalSeconds: 0.05, autoApproveAfterMs: 100, accounts: ACCOUNTS, ...options });
    const home = await tempDir();
    const common = ['--start-url', START_URL, '--region', 'eu-west-1', '--session-name', 'my-sso', '--endpoint', server.awsEndpoint];
    const cacheDir = join(home, '.aws', 'sso', 'cache');
    return { server, home, common, cacheDir, cachePath: ssoCachePath({ startUrl: START_URL, sessionName: 'my-sso', cacheDir }) };
  }

  describe('login --aws should still hand over the token it was given, and exit 1 with one line saying where and what to do', () => {
    test('when the cache folder is a file (a path under a file, which stops root too), --json carries the token and the error', async () => {
      const { home, common, cacheDir, cachePath } = await setUp();
      await mkdir(join(home, '.aws', 'sso'), { recursive: true });
      await writeFile(cacheDir, 'not a folder');
      const run = await runCli(['login', '--aws', ...common, '--no-qr', '--json'], { HOME: home });
      expect(run.code, run.stderr).toBe(1);
      const json = jsonOut(run);
      expect(json['outcome']).toBe('failed');
      expect(json['token']).toMatchObject({ accessToken: expect.stringMatching(/^aws-at-/), refreshToken: expect.any(String) });
      expect(json['error']).toMatchObject({ name: 'TokenNotSavedError', code: 'ERR_TOKEN_NOT_SAVED', kind: 'login', path: cachePath });
      const failure = run.stderr.split('\n').filter((line) => line.includes('could not be saved'));
      expect(failure).toHaveLength(1);
      expect(failure[0]).toContain(`the new login's token could not be saved to ${cachePath}`);
      expect(failure[0]).toMatch(/ENOTDIR.*fix the file or its folder/);
      expect(run.stderr).not.toContain((json['token'] as { accessToken: string }).accessToken);
    });

    test('when the cache folder is a file and --json is not given, exit 1 and the same one line', async () => {
      const { home, common, cacheDir, cachePath } = await setUp();
      await mkdir(join(home, '.aws', 'sso'), { recursive: true });
      await writeFile(cacheDir, 'not a folder');
      const run = await runCli(['login', '--aws', ...common, '--no-qr'], { HOME: home });
      expect(run.code, run.stderr).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain(`could not be saved to ${cachePath}`);
    });

    test('when CreateToken answers expiresIn 1e13, the token is saved with the clamped expiry and the login exits 0', async () => {
      const { home, common, cachePath } = await setUp({ accessTokenTtlSeconds: 1e13 });
      const run = await runCli(['login', '--aws', ...common, '--no-qr', '--json'], { HOME: home });
      expect(run.code, run.stderr).toBe(0);
      const json = jsonOut(run);
      expect(json['token']).toMatchObject({ expiresIn: MAX_TOKEN_LIFETIME_SECONDS, expiresAt: expect.stringMatching(/^\d{4}-/) });
      expect((await readSsoTokenCache(cachePath))?.accessToken).toBe((json['token'] as { accessToken: string }).accessToken);
    });
  });

  test.skipIf(!immutableWorks('file'))('aws credentials, when the refreshed token cannot replace an immutable cache file (chattr +i), should print the credentials, then exit 1 with one line saying where and what to do', async () => {
    const { home, common, cachePath, server } = await setUp();
    const login = await runCli(['login', '--aws', ...common, '--no-qr'], { HOME: home });
    expect(login.code, login.stderr).toBe(0);
    const entry = JSON.parse(await readFile(cachePath, 'utf8')) as Record<string, string>;
    await writeFile(cachePath, JSON.stringify({ ...entry, expiresAt: '2020-01-01T00:00:00Z' }), { mode: 0o600 });
    execFileSync('chattr', ['+i', cachePath]);
    try {
      const run = await runCli(
        ['aws', 'credentials', '--account-id', '111122223333', '--role-name', 'ReadOnly', ...common, '--portal-endpoint', server.awsPortalEndpoint],
        { HOME: home },
      );
      expect(run.code, run.stderr).toBe(1);
      expect(JSON.parse(run.stdout)).toMatchObject({ Version: 1, AccessKeyId: expect.stringMatching(/^ASIA/) });
      const lines = run.stderr.split('\n').filter((line) => line !== '');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`tokenpoll: the refreshed token could not be saved to ${cachePath} after 3 tries`);
      expect(lines[0]).toMatch(/EPERM.*the refresh token kept there was just spent: fix the file or its folder/);
      expect(run.stderr).not.toContain(entry['refreshToken']!);
    } finally {
      execFileSync('chattr', ['-i', cachePath]);
    }
  });

  test('aws credentials, when the cache\'s lock path is a dangling symbolic link and a refresh is due, should exit 1 at once with one line naming the lock and saying to remove it (it used to spin for ever)', { timeout: 20_000 }, async () => {
    const { home, common, cachePath, server } = await setUp();
    const login = await runCli(['login', '--aws', ...common, '--no-qr'], { HOME: home });
    expect(login.code, login.stderr).toBe(0);
    const entry = JSON.parse(await readFile(cachePath, 'utf8')) as Record<string, string>;
    await writeFile(cachePath, JSON.stringify({ ...entry, expiresAt: '2020-01-01T00:00:00Z' }), { mode: 0o600 });
    await symlink(join(home, 'nowhere'), `${cachePath}.lock`);
    const cli = startCli(['aws', 'credentials', '--account-id', '111122223333', '--role-name', 'ReadOnly', ...common, '--portal-endpoint', server.awsPortalEndpoint], { HOME: home });
    running.push(cli.child);
    const run = await cli.done;
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(`tokenpoll: ${cachePath}.lock: is a symbolic link, not a lock file (tokenpoll makes its lock as a regular file and removes it after use): remove it\n`);
  });

  test('aws credentials, when the portal answers an expiration of 1e300, should exit 1 with InvalidResponseError\'s line (not a usage error, not a RangeError)', async () => {
    const { home, common, server } = await setUp({ roleCredentialsTtlSeconds: 1e300 });
    const login = await runCli(['login', '--aws', ...common, '--no-qr'], { HOME: home });
    expect(login.code, login.stderr).toBe(0);
    const run = await runCli(['aws', 'credentials', '--account-id', '111122223333', '--role-name', 'ReadOnly', ...common, '--portal-endpoint', server.awsPortalEndpoint], {
      HOME: home,
    });
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/GetRoleCredentials answered roleCredentials without a usable expiration/);
    expect(run.stderr).not.toMatch(/RangeError|Invalid time value/);
  });
});
