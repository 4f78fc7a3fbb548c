import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fromProcess } from '@aws-sdk/credential-provider-process';
import { describe, expect, test } from 'vitest';
import type { Emulator } from '../../src/testing-emulator.js';
import { ssoCachePath, withFileLock } from '../../src/node.js';
import { useEmulator } from '../helpers/use-emulator.js';
import { useTempDirs } from '../helpers/use-temp-dirs.js';
import { BIN, runCli, runUnderTerminal, startCli, type CliRun } from './run-cli.js';

const START_URL = 'https://d-1234567890.awsapps.com/start';
const ACCOUNTS = [
  { accountId: '111122223333', accountName: 'Production', emailAddress: 'prod@example.com', roles: ['ReadOnly', 'AdministratorAccess'] },
  { accountId: '444455556666', accountName: 'Sandbox', emailAddress: 'sandbox@example.com', roles: ['Developer'] },
];

describe('tokenpoll aws', () => {
  const emulator = useEmulator();
  const tempDir = useTempDirs('tokenpoll-home-');

  /** An emulator, a HOME, and a logged-in session named my-sso. */
  async function session(): Promise<{ server: Emulator; home: string; args: (...more: string[]) => string[]; cachePath: string }> {
    const server = await emulator({ intervalSeconds: 0.05, autoApproveAfterMs: 100, accounts: ACCOUNTS, portalPageSize: 1 });
    const home = await tempDir();
    const common = ['--start-url', START_URL, '--region', 'eu-west-1', '--session-name', 'my-sso', '--endpoint', server.awsEndpoint];
    const login = await runCli(['login', '--aws', ...common, '--no-qr'], { HOME: home });
    expect(login.code, login.stderr).toBe(0);
    return {
      server,
      home,
      args: (...more) => [...more, ...common, '--portal-endpoint', server.awsPortalEndpoint],
      cachePath: ssoCachePath({ startUrl: START_URL, sessionName: 'my-sso', cacheDir: join(home, '.aws', 'sso', 'cache') }),
    };
  }

  test('login --aws should drop a registration CreateToken rejected mid-poll from the cache file, so the next login registers anew', async () => {
    // Arrange: a session whose cache file keeps a registration; the next login's first poll says InvalidClientException.
    const { server, home, cachePath } = await session();
    const common = ['--start-url', START_URL, '--region', 'eu-west-1', '--session-name', 'my-sso', '--endpoint', server.awsEndpoint, '--no-qr'];
    const before = JSON.parse(await readFile(cachePath, 'utf8')) as Record<string, unknown>;
    expect(before['clientId']).toEqual(expect.any(String));
    server.inject({ type: 'aws_exception', name: 'InvalidClientException' }, { path: '/aws/token' });
    // Act
    const rejected = await runCli(['login', '--aws', ...common], { HOME: home });
    const after = JSON.parse(await readFile(cachePath, 'utf8')) as Record<string, unknown>;
    const again = await runCli(['login', '--aws', ...common], { HOME: home });
    // Assert: the CLI shows no new code on its own (exit 1); the file keeps its token but not the rejected client.
    expect(rejected.code, rejected.stderr).toBe(1);
    expect(after).not.toHaveProperty('clientId');
    expect(after).not.toHaveProperty('clientSecret');
    expect(after['accessToken']).toBe(before['accessToken']);
    expect(again.code, again.stderr).toBe(0);
    const renewed = JSON.parse(await readFile(cachePath, 'utf8')) as Record<string, unknown>;
    expect(renewed['clientId']).toEqual(expect.any(String));
    expect(renewed['clientId']).not.toBe(before['clientId']);
  });

  test('credentials should say on stderr why it waits when another process holds the cache lock, then go on once it is free', async () => {
    // Arrange: a token that needs a refresh, and the cache's lock held by this test.
    const { home, args, cachePath } = await session();
    const entry = JSON.parse(await readFile(cachePath, 'utf8')) as Record<string, unknown>;
    await writeFile(cachePath, JSON.stringify({ ...entry, expiresAt: '2020-01-01T00:00:00Z' }));
    let release!: () => void;
    const held = withFileLock(`${cachePath}.lock`, () => new Promise<void>((resolve) => (release = resolve)));
    // Act: the test frees the lock only once the line is on stderr, so nothing races a timer.
    const cli = startCli(args('aws', 'credentials', '--account-id', '111122223333', '--role-name', 'ReadOnly'), { HOME: home });
    await cli.waitFor(/waiting for the lock on /);
    release();
    await held;
    const run = await cli.done;
    // Assert
    expect(run.stderr).toContain(`tokenpoll: waiting for the lock on ${cachePath}.lock`);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ Version: 1 });
  });

  test('accounts should list every account and its roles, across pages, as a table or JSON', async () => {
    const { home, args } = await session();
    const table = await runCli(args('aws', 'accounts'), { HOME: home });
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toBe(
      [
        'ACCOUNT ID    NAME        EMAIL                ROLES',
        '111122223333  Production  prod@example.com     ReadOnly, AdministratorAccess',
        '444455556666  Sandbox     sandbox@example.com  Developer',
        '',
      ].join('\n'),
    );
    const json = await runCli(args('aws', 'accounts', '--json'), { HOME: home });
    expect(JSON.parse(json.stdout)).toEqual({ accounts: ACCOUNTS });
  });

  test('credentials should print the credential_process JSON and nothing on stderr', async () => {
    const { home, args } = await session();
    const run = await runCli(args('aws', 'credentials', '--account-id', '111122223333', '--role-name', 'ReadOnly'), { HOME: home });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
    const output = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(Object.keys(output)).toEqual(['Version', 'AccessKeyId', 'SecretAccessKey', 'SessionToken', 'Expiration']);
    expect(output).toMatchObject({ Version: 1, AccessKeyId: expect.stringMatching(/^ASIA/), SecretAccessKey: expect.any(String), SessionToken: expect.any(String) });
    expect(output['Expiration']).toBe(new Date(Date.parse(output['Expiration'] as string)).toISOString());
  });

  test('credentials should be what the AWS SDK reads through credential_process', async () => {
    const { home, args } = await session();
    const config = join(home, 'config');
    const command = [process.execPath, BIN, ...args('aws', 'credentials', '--account-id', '444455556666', '--role-name', 'Developer')].map((word) => JSON.stringify(word)).join(' ');
    await writeFile(config, `[profile dev]\ncredential_process = ${command}\n`);
    // The SDK runs the command with this process's environment: HOME must point at the session's cache.
    const previousHome = process.env['HOME'];
    process.env['HOME'] = home;
    try {
      const credentials = await fromProcess({ profile: 'dev', configFilepath: config, filepath: join(home, 'credentials') })();
      expect(credentials.accessKeyId).toMatch(/^ASIA/);
      expect(credentials.sessionToken).toMatch(/.{20,}/);
      expect(credentials.expiration!.getTime()).toBeGreaterThan(Date.now());
    } finally {
      if (previousHome === undefined) delete process.env['HOME'];
      else process.env['HOME'] = previousHome;
    }
  });

  test('credentials should refresh an access token the portal rejects, once, and rewrite the cache', async () => {
    const { server, home, args, cachePath } = await session();
    const before = JSON.parse(await readFile(cachePath, 'utf8')) as Record<string, string>;
    server.expireAccessTokens();
    const tokenCalls = server.requests.filter((r) => r.path === '/aws/token').length;
    const run = await runCli(args('aws', 'credentials', '--account-id', '111122223333', '--role-name', 'AdministratorAccess'), { HOME: home });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ Version: 1 });
    expect(server.requests.filter((r) => r.path === '/aws/token').length).toBe(tokenCalls + 1);
    expect(server.requests.filter((r) => r.path === '/aws/portal/federation/credentials').map((r) => r.status)).toEqual([401, 200]);
    const after = JSON.parse(await readFile(cachePath, 'utf8')) as Record<string, string>;
    expect(after['accessToken']).not.toBe(before['accessToken']);
    expect(after).toMatchObject({ clientId: before['clientId'], startUrl: START_URL });
  });

  test('without a terminal, a needed login should be one line saying what to run, and exit 1', async () => {
    const { server, home, args } = await session();
    server.revokeRefreshTokens();
    server.expireAccessTokens();
    const run = await runCli(args('aws', 'credentials', '--account-id', '111122223333', '--role-name', 'ReadOnly'), { HOME: home });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      `tokenpoll: a new login is needed for ${START_URL}: the refresh token was rejected (expired, revoked or already used); run: tokenpoll login --aws --start-url ${START_URL} --region eu-west-1 --session-name my-sso --endpoint ${server.awsEndpoint}\n`,
    );
    expect(server.requests.filter((r) => r.path === '/aws/device_authorization')).toHaveLength(1);
  });

  test('with no login at all, it should say so and give the command to run, quoted for the shell, and exit 1', async () => {
    const server = await emulator({ accounts: ACCOUNTS });
    const run = await runCli(['aws', 'accounts', '--start-url', START_URL, '--region', 'eu-west-1', '--session-name', "Bob's sso", '--endpoint', server.awsEndpoint], { HOME: await tempDir() });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `tokenpoll: a new login is needed for ${START_URL}: there is no cached token; run: tokenpoll login --aws --start-url ${START_URL} --region eu-west-1 --session-name 'Bob'\\''s sso' --endpoint ${server.awsEndpoint}\n`,
    );
    expect(server.requests).toEqual([]);
  });

  test('on a terminal, a needed login should run a device login on stderr, then print the credentials', async () => {
    const { server, home, args } = await session();
    server.revokeRefreshTokens();
    server.expireAccessTokens();
    const command = [process.execPath, BIN, ...args('aws', 'credentials', '--account-id', '111122223333', '--role-name', 'ReadOnly', '--no-qr')].map((word) => JSON.stringify(word)).join(' ');
    const { code, output } = await runUnderTerminal(command, { HOME: home, NO_COLOR: '1' });
    expect(code, output).toBe(0);
    expect(output).toContain('the refresh token was rejected (expired, revoked or already used): starting a device login.');
    expect(output).toMatch(/and enter the code [A-Z]{4}-[A-Z]{4}/);
    expect(output).toMatch(/\{"Version":1,"AccessKeyId":"ASIA/);
    expect(server.requests.filter((r) => r.path === '/aws/device_authorization')).toHaveLength(2);
    // The new login reuses the client registration kept in the cache file.
    expect(server.requests.filter((r) => r.path === '/aws/client/register')).toHaveLength(1);
  });

  test('as a credential_process (stdin a terminal, stderr piped), a needed login should not prompt but fail with the line', async () => {
    const { server, home, args } = await session();
    server.revokeRefreshTokens();
    server.expireAccessTokens();
    const errors = join(home, 'stderr.txt');
    const command = [process.execPath, BIN, ...args('aws', 'credentials', '--account-id', '111122223333', '--role-name', 'ReadOnly')].map((word) => JSON.stringify(word)).join(' ');
    const { code } = await runUnderTerminal(`${command} 2>${JSON.stringify(errors)}`, { HOME: home });
    expect(code).toBe(1);
    expect(await readFile(errors, 'utf8')).toMatch(/^tokenpoll: a new login is needed for .*; run: tokenpoll login --aws .*\n$/);
    expect(server.requests.filter((r) => r.path === '/aws/device_authorization')).toHaveLength(1);
  });

  test.each([
    [['aws'], /^tokenpoll: say what to do: accounts or credentials/],
    [['aws', 'roles'], /^tokenpoll: unknown aws command 'roles'/],
    [['aws', 'credentials', '--start-url', START_URL, '--region', 'eu-west-1', '--role-name', 'R'], /^tokenpoll: --account-id is required/],
    [['aws', 'accounts', '--start-url', START_URL, '--region', 'eu-west-1', '--role-name', 'R'], /^tokenpoll: --role-name goes only with 'aws credentials'/],
  ])('should answer %j with one line and exit code 2', async (args, message) => {
    const run: CliRun = await runCli(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });
});
