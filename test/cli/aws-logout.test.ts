import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, utimes, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { awsSsoPortal } from '../../src/index.js';
import { ssoCachePath, ssoTokenFileStorage } from '../../src/node.js';
import { refreshRecordPath } from '../../src/node/token-storage.js';
import type { Emulator } from '../../src/testing-emulator.js';
import { useEmulator } from '../helpers/use-emulator.js';
import { useTempDirs } from '../helpers/use-temp-dirs.js';
import { jsonOut, runCli } from './run-cli.js';

const START_URL = 'https://d-1234567890.awsapps.com/start';
const ACCOUNTS = [{ accountId: '111122223333', accountName: 'Production', emailAddress: 'prod@example.com', roles: ['ReadOnly'] }];
/** Debian's awscli package (AWS CLI v2); another `aws` on PATH may be v1, which has no `sso logout`. */
const AWS_CLI = '/usr/bin/aws';

describe('tokenpoll aws logout', () => {
  const emulator = useEmulator();
  const tempDir = useTempDirs('tokenpoll-home-');

  /** An emulator, a HOME, and a session logged in with `tokenpoll login --aws`, with role credentials cached; `shared` adds a session to another's emulator and HOME. */
  async function session(sessionName = 'my-sso', shared?: Pick<Session, 'server' | 'home'>): Promise<Session> {
    const server = shared?.server ?? (await emulator({ intervalSeconds: 0.05, autoApproveAfterMs: 50, accounts: ACCOUNTS }));
    const home = shared?.home ?? (await tempDir());
    const common = ['--start-url', START_URL, '--region', 'eu-west-1', '--session-name', sessionName];
    const login = await runCli(['login', '--aws', ...common, '--endpoint', server.awsEndpoint, '--no-qr'], { HOME: home });
    expect(login.code, login.stderr).toBe(0);
    const credentials = await runCli(['aws', 'credentials', ...common, '--account-id', '111122223333', '--role-name', 'ReadOnly', '--endpoint', server.awsEndpoint, '--portal-endpoint', server.awsPortalEndpoint], { HOME: home });
    expect(credentials.code, credentials.stderr).toBe(0);
    const cachePath = ssoCachePath({ startUrl: START_URL, sessionName, cacheDir: join(home, '.aws', 'sso', 'cache') });
    const { accessToken } = JSON.parse(await readFile(cachePath, 'utf8')) as { accessToken: string };
    return {
      server,
      home,
      cachePath,
      accessToken,
      logout: (...more) => runCli(['aws', 'logout', '--start-url', START_URL, '--session-name', sessionName, '--portal-endpoint', server.awsPortalEndpoint, ...more], { HOME: home }),
    };
  }

  describe('should sign out at the portal, then remove the cached token and role credentials', () => {
    test('when the session is logged in, Logout is sent with its token, the token is refused from then on, and its files are gone', async () => {
      // Arrange
      const { server, home, cachePath, accessToken, logout } = await session();
      expect(await roleCredentialFiles(home)).toHaveLength(1);
      await ssoTokenFileStorage(cachePath).recordRefreshAttempt!(Date.now()); // as a credential_process that tried a refresh would
      const record = refreshRecordPath(cachePath);
      expect(record).toBe(join(home, '.aws', 'sso', 'tokenpoll', `${basename(cachePath)}.refresh`));
      // Act
      const run = await logout();
      // Assert
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain(`Signed out of ${START_URL}: the portal ended the session.`);
      expect(run.stderr).toContain(`Removed ${cachePath}\n`);
      expect(run.stderr).toContain(`Removed ${record}\n`);
      expect(await readdir(join(home, '.aws', 'sso'))).toEqual(['cache']);
      expect(run.stderr).toContain('Removed 1 cached role credential file(s).');
      expect(run.stderr).not.toContain(accessToken);
      expect(server.requests.filter((r) => r.path === '/aws/portal/logout').map((r) => [r.method, r.status])).toEqual([['POST', 200]]);
      await expect(awsSsoPortal({ region: 'eu-west-1', token: accessToken, endpoint: server.awsPortalEndpoint }).listAccounts()).rejects.toMatchObject({ name: 'LoginRequiredError' });
      expect(await readdir(join(home, '.aws', 'sso', 'cache'))).toEqual([]);
      expect(await roleCredentialFiles(home)).toEqual([]);
    });

    test('when --json is given, one line on stdout says what was done, without the token', async () => {
      const { cachePath, accessToken, logout } = await session();
      const run = await logout('--json');
      expect(run.code, run.stderr).toBe(0);
      const out = jsonOut(run);
      expect(out).toMatchObject({ outcome: 'signed-out', sessions: [{ path: cachePath, startUrl: START_URL, portal: 'signed-out', removed: [cachePath] }] });
      expect((out['removed'] as string[])[0]).toBe(cachePath);
      expect(out['removed']).toHaveLength(2); // the token's file and the role credentials' file
      expect(run.stdout).not.toContain(accessToken);
    });

    test('when the portal already refuses the token (expired, or signed out before), it counts as signed out: exit 0, files removed', async () => {
      const { server, cachePath, logout } = await session();
      server.expireAccessTokens();
      const run = await logout();
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toContain('the portal already refused its token');
      expect(server.requests.filter((r) => r.path === '/aws/portal/logout').map((r) => r.status)).toEqual([401]);
      expect(existsSync(cachePath)).toBe(false);
    });

    test('when the cache file names no region, Logout goes to --region\'s portal; without --region none is sent, and the file goes either way', async () => {
      const { server, home, cachePath, accessToken } = await session();
      const { region: _region, ...withoutRegion } = JSON.parse(await readFile(cachePath, 'utf8')) as Record<string, unknown>;
      await writeFile(cachePath, JSON.stringify(withoutRegion));
      const silent = await runCli(['aws', 'logout', '--start-url', START_URL, '--session-name', 'my-sso', '--portal-endpoint', server.awsPortalEndpoint], { HOME: home });
      expect(silent.code, silent.stderr).toBe(0);
      expect(silent.stderr).toContain('No Logout sent');
      expect(existsSync(cachePath)).toBe(false);
      expect(server.requests.filter((r) => r.path === '/aws/portal/logout')).toEqual([]);

      await writeFile(cachePath, JSON.stringify(withoutRegion));
      const run = await runCli(['aws', 'logout', '--start-url', START_URL, '--session-name', 'my-sso', '--region', 'eu-west-1', '--portal-endpoint', server.awsPortalEndpoint], { HOME: home });
      expect(run.code, run.stderr).toBe(0);
      expect(server.requests.filter((r) => r.path === '/aws/portal/logout').map((r) => r.status)).toEqual([200]);
      await expect(awsSsoPortal({ region: 'eu-west-1', token: accessToken, endpoint: server.awsPortalEndpoint }).listAccounts()).rejects.toMatchObject({ name: 'LoginRequiredError' });
    });

    test('when another session is logged in too, only this session\'s token goes (role credentials go for all, as with aws sso logout)', async () => {
      const first = await session('first');
      const second = await session('second', first);
      const run = await second.logout();
      expect(run.code, run.stderr).toBe(0);
      expect(existsSync(second.cachePath)).toBe(false);
      expect(existsSync(first.cachePath)).toBe(true);
      expect(await roleCredentialFiles(first.home)).toEqual([]);
    });
  });

  describe('should remove the local files even when the Logout call fails, and say so', () => {
    test('when the portal keeps resetting the connection, the files are removed, stderr says the session may stay open, and the exit code is 1', async () => {
      const { server, home, cachePath, accessToken, logout } = await session();
      server.inject({ type: 'reset' }, { path: '/logout', count: 10 });
      const run = await logout('--json');
      expect(run.code, run.stderr).toBe(1);
      expect(run.stderr).toContain(`The portal's Logout for ${START_URL} failed:`);
      expect(run.stderr).toContain('The cached token is removed anyway; the session may stay open at the portal until the token expires.');
      expect(jsonOut(run)).toMatchObject({ outcome: 'failed', sessions: [{ portal: 'failed', error: { name: 'RetriesExhaustedError' }, removed: [cachePath] }] });
      expect(server.requests.filter((r) => r.path === '/aws/portal/logout')).toHaveLength(3); // the first try and 2 retries
      expect(`${run.stdout}${run.stderr}`).not.toContain(accessToken);
      expect(existsSync(cachePath)).toBe(false);
      expect(await roleCredentialFiles(home)).toEqual([]);
    });

    test('when nothing listens at the portal endpoint, the files are removed and the exit code is 1', async () => {
      const { cachePath, logout } = await session();
      const closed = await emulator({});
      const endpoint = closed.awsPortalEndpoint;
      await closed.close();
      const run = await logout('--portal-endpoint', endpoint);
      expect(run.code, run.stderr).toBe(1);
      expect(run.stderr).toContain('failed:');
      expect(existsSync(cachePath)).toBe(false);
    });
  });

  describe('should leave nothing of tokenpoll\'s behind, and nothing of anyone else\'s touched', () => {
    test('when an earlier tokenpoll left a .refresh record beside the cache file, it goes too', async () => {
      const { home, cachePath, logout } = await session();
      await writeFile(`${cachePath}.refresh`, `${new Date().toISOString()}\n`);
      const run = await logout();
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toContain(`Removed ${cachePath}.refresh`);
      expect(await readdir(join(home, '.aws', 'sso', 'cache'))).toEqual([]);
    });

    test('when there is no cached token, it says there is nothing to sign out and exits 0, sending nothing', async () => {
      const server = await emulator({});
      const home = await tempDir();
      const run = await runCli(['aws', 'logout', '--start-url', START_URL, '--portal-endpoint', server.awsPortalEndpoint], { HOME: home });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toMatch(/^Nothing to sign out: no cached token at .*\.json\.\n$/);
      expect(server.requests).toEqual([]);
    });

    test('when the cache file is already gone (an `aws sso logout`) but its refresh records are still there (tokenpoll\'s, and an earlier version\'s), they go and nothing is sent', async () => {
      const server = await emulator({});
      const home = await tempDir();
      const cachePath = ssoCachePath({ startUrl: START_URL, cacheDir: join(home, '.aws', 'sso', 'cache') });
      await mkdir(join(home, '.aws', 'sso', 'cache'), { recursive: true });
      await mkdir(join(home, '.aws', 'sso', 'tokenpoll'), { recursive: true });
      await writeFile(`${cachePath}.refresh`, `${new Date().toISOString()}\n`);
      await writeFile(refreshRecordPath(cachePath), `${new Date().toISOString()}\n`);
      const run = await runCli(['aws', 'logout', '--start-url', START_URL, '--portal-endpoint', server.awsPortalEndpoint], { HOME: home });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toBe(`Removed ${refreshRecordPath(cachePath)}\nRemoved ${cachePath}.refresh\n`);
      expect(await readdir(join(home, '.aws', 'sso'))).toEqual(['cache']);
      expect(await readdir(join(home, '.aws', 'sso', 'cache'))).toEqual([]);
      expect(server.requests).toEqual([]);
    });

    test('when --all is given, every token in the cache is signed out and removed, orphaned records and stale locks go, and files that hold no token stay', async () => {
      const first = await session('first');
      const second = await session('second', first);
      const cacheDir = join(first.home, '.aws', 'sso', 'cache');
      const orphan = join(cacheDir, `${'a'.repeat(40)}.json.refresh`);
      await writeFile(orphan, 'left by an old tokenpoll\n');
      const recordDir = join(first.home, '.aws', 'sso', 'tokenpoll');
      await mkdir(recordDir, { recursive: true });
      const orphanRecord = join(recordDir, `${'d'.repeat(40)}.json.refresh`); // its token went with an `aws sso logout`
      await writeFile(orphanRecord, `${new Date().toISOString()}\n`);
      // Locks a crashed tokenpoll left (untouched for a minute), and one a live tokenpoll holds right now.
      const staleLock = join(cacheDir, `${'e'.repeat(40)}.json.lock`);
      const staleRoleLock = join(first.home, '.aws', 'cli', 'cache', `${'f'.repeat(40)}.json.lock`);
      const liveLock = join(cacheDir, `${'9'.repeat(40)}.json.lock`);
      for (const lock of [staleLock, staleRoleLock, liveLock]) await writeFile(lock, '4242\n');
      const minuteAgo = new Date(Date.now() - 60_000);
      for (const lock of [staleLock, staleRoleLock]) await utimes(lock, minuteAgo, minuteAgo);
      await writeFile(join(cacheDir, 'botocore-client-id-eu-west-1.json'), '{"clientId":"id","clientSecret":"not a token","expiresAt":"2030-01-01T00:00:00Z"}');
      await writeFile(join(cacheDir, 'notes.txt'), 'mine\n');
      const run = await runCli(['aws', 'logout', '--all', '--portal-endpoint', first.server.awsPortalEndpoint, '--json'], { HOME: first.home });
      expect(run.code, run.stderr).toBe(0);
      expect(first.server.requests.filter((r) => r.path === '/aws/portal/logout').map((r) => r.status)).toEqual([200, 200]);
      expect((await readdir(cacheDir)).sort()).toEqual([basename(liveLock), 'botocore-client-id-eu-west-1.json', 'notes.txt']);
      expect(existsSync(recordDir)).toBe(false);
      expect(existsSync(staleRoleLock)).toBe(false);
      const out = jsonOut(run);
      expect((out['sessions'] as { path: string }[]).map((s) => s.path).sort()).toEqual([first.cachePath, second.cachePath].sort());
      expect(out['removed']).toEqual(expect.arrayContaining([orphan, orphanRecord, staleLock, staleRoleLock]));
      expect(out['removed']).not.toContain(liveLock);
      expect(run.stderr).toContain('Removed 2 stale lock file(s) a stopped tokenpoll left behind.');
    });
  });

  describe('should refuse a command line that does not say which session', () => {
    test.each([
      [['aws', 'logout'], /^tokenpoll: --start-url is required \(see 'tokenpoll aws logout --help'\)/],
      [['aws', 'logout', '--all', '--start-url', START_URL], /^tokenpoll: --start-url goes only with one session, not --all/],
      [['aws', 'logout', '--start-url', START_URL, '--portal-endpoint', 'http://example.com/'], /^tokenpoll: /],
      [['aws', 'logout', '--frobnicate'], /^tokenpoll: unknown option '--frobnicate'/],
      [['aws', '--start-url', START_URL, 'logout'], /^tokenpoll: 'logout' comes right after 'aws'/],
    ])('when run as %j, it exits 2 with one line, and removes nothing', async (args, message) => {
      const home = await tempDir();
      const cacheDir = join(home, '.aws', 'sso', 'cache');
      await mkdir(cacheDir, { recursive: true });
      await writeFile(join(cacheDir, 'keep.json'), '{"accessToken":"x","region":"eu-west-1","startUrl":"s","expiresAt":"2030-01-01T00:00:00Z"}');
      const run = await runCli(args, { HOME: home });
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(await readdir(cacheDir)).toEqual(['keep.json']);
    });

    test('when --help is given, it shows the logout usage', async () => {
      const run = await runCli(['aws', 'logout', '--help']);
      expect(run.code).toBe(0);
      expect(run.stderr).toContain('tokenpoll aws logout --all');
    });
  });

  describe('the real `aws sso logout` (Debian awscli, AWS CLI v2) on a cache tokenpoll wrote', () => {
    const reason = awsCliV2Missing();
    test.skipIf(reason !== undefined)(`when run with HOME in a temp folder and the portal pointed at the emulator, it signs out and leaves nothing of tokenpoll's${reason === undefined ? '' : ` (skipped: ${reason})`}`, async () => {
      // Arrange: a session with role credentials cached, and a refresh attempt recorded (as a credential_process that tried one would).
      const { server, home, cachePath, accessToken } = await session();
      const before = await readFile(cachePath, 'utf8');
      await ssoTokenFileStorage(cachePath).recordRefreshAttempt!(Date.now());
      expect(await readFile(cachePath, 'utf8')).toBe(before); // recorded in tokenpoll's own folder, not in the AWS CLI's file
      expect(existsSync(refreshRecordPath(cachePath))).toBe(true);
      // The AWS CLI 2.9 has no endpoint setting for the sso service; its loader reads a service's endpoint
      // rules from AWS_DATA_PATH first, so a rule set there sends every sso call to the emulator's portal.
      const dataPath = join(home, 'aws-data');
      await mkdir(join(dataPath, 'sso', '2019-06-10'), { recursive: true });
      await writeFile(join(dataPath, 'sso', '2019-06-10', 'endpoint-rule-set-1.json'), JSON.stringify(ruleSetTo(server.awsPortalEndpoint)));
      // Act
      // Not spawnSync: the emulator answers from this process's event loop.
      const result = await run(AWS_CLI, ['sso', 'logout'], {
        timeout: 60_000,
        env: {
          PATH: '/usr/bin:/bin',
          HOME: home,
          AWS_CONFIG_FILE: join(home, 'aws-config'),
          AWS_SHARED_CREDENTIALS_FILE: join(home, 'aws-credentials'),
          AWS_DATA_PATH: dataPath,
          AWS_EC2_METADATA_DISABLED: 'true',
        },
      });
      // Assert
      expect(result.status, result.stderr).toBe(0);
      expect(server.requests.filter((r) => r.path === '/aws/portal/logout').map((r) => [r.method, r.status])).toEqual([['POST', 200]]);
      await expect(awsSsoPortal({ region: 'eu-west-1', token: accessToken, endpoint: server.awsPortalEndpoint }).listAccounts()).rejects.toMatchObject({ name: 'LoginRequiredError' });
      expect(await readdir(join(home, '.aws', 'sso', 'cache'))).toEqual([]);
      expect(await roleCredentialFiles(home)).toEqual([]);
      // The record the AWS CLI knows nothing of is left in tokenpoll's folder (its time is past: it throttles nothing), and --all clears it.
      expect(await readdir(join(home, '.aws', 'sso', 'tokenpoll'))).toEqual([`${basename(cachePath)}.refresh`]);
      const sweep = await runCli(['aws', 'logout', '--all', '--portal-endpoint', server.awsPortalEndpoint], { HOME: home });
      expect(sweep.code, sweep.stderr).toBe(0);
      expect(sweep.stderr).toContain('Removed 1 refresh record(s) of tokens an earlier logout removed.');
      expect(await readdir(join(home, '.aws', 'sso'))).toEqual(['cache']);
    });
  });
});

interface Session {
  readonly server: Emulator;
  readonly home: string;
  readonly cachePath: string;
  readonly accessToken: string;
  logout(...more: string[]): ReturnType<typeof runCli>;
}

// Helpers

/** The JSON files in the AWS CLI's credential cache (~/.aws/cli/cache). */
async function roleCredentialFiles(home: string): Promise<string[]> {
  return (await readdir(join(home, '.aws', 'cli', 'cache')).catch(() => [] as string[])).filter((name) => name.endsWith('.json'));
}

/** Runs a program to its end, without blocking the event loop; never rejects. */
function run(file: string, args: readonly string[], options: { timeout: number; env: NodeJS.ProcessEnv }): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { ...options, encoding: 'utf8' }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      resolve({ status: code, stdout, stderr });
    });
  });
}

/** Why the real AWS CLI v2 test cannot run here, or undefined when it can. */
function awsCliV2Missing(): string | undefined {
  if (!existsSync(AWS_CLI)) return `${AWS_CLI} is not installed (apt-get install awscli)`;
  const version = spawnSync(AWS_CLI, ['--version'], { encoding: 'utf8', timeout: 30_000, env: { PATH: '/usr/bin:/bin' } });
  const text = `${version.stdout ?? ''}${version.stderr ?? ''}`;
  return /^aws-cli\/2\./.test(text) ? undefined : `${AWS_CLI} is not AWS CLI v2 (${text.trim() || 'no version'})`;
}

/** An endpoint rule set (the format botocore reads) that sends every call to `url`. */
function ruleSetTo(url: string): unknown {
  const parameter = (builtIn: string, type: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ builtIn, required: false, type, ...extra });
  return {
    version: '1.0',
    parameters: {
      Region: parameter('AWS::Region', 'String'),
      UseDualStack: parameter('AWS::UseDualStack', 'Boolean', { required: true, default: false }),
      UseFIPS: parameter('AWS::UseFIPS', 'Boolean', { required: true, default: false }),
      Endpoint: parameter('SDK::Endpoint', 'String'),
    },
    rules: [{ conditions: [], endpoint: { url, properties: {}, headers: {} }, type: 'endpoint' }],
  };
}
