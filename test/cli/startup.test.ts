import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { TOKENPOLL_VERSION } from '../../src/transports/user-agent.js';
import { readRoleCredentialCache, roleCredentialCacheKey, roleCredentialCachePath, writeRoleCredentialCache } from '../../src/node/role-credentials.js';
import { parseCacheTime } from '../../src/node/sso-cache.js';
import { useEmulator } from '../helpers/use-emulator.js';
import { useTempDirs } from '../helpers/use-temp-dirs.js';
import { runCli } from './run-cli.js';
// @ts-expect-error a plain .mjs script without types
import { staleReason } from '../../scripts/build-if-stale.mjs';

const run = promisify(execFile);
const HOOK = join(import.meta.dirname, 'startup-module-log.mjs');
/** The package's bin (package.json), a CommonJS file that answers a warm `aws credentials` itself and hands the rest to dist/cli/main.js. */
const ENTRY = join(import.meta.dirname, '../../dist/cli/bin.cjs');
const START_URL = 'https://d-1234567890.awsapps.com/start';

/** Modules only a login, the portal, the emulator or the QR code need: a command that needs none must load none. */
const HEAVY = [/\/dist\/cli\/commands\/(demo|login|aws-portal)\.js$/, /\/dist\/testing\//, /\/dist\/flows\//, /\/dist\/aws\/portal/, /\/dist\/node\/token-source\.js$/, /\/dist\/cli\/(run-login|show-login|aws-login|open-url)\.js$/, /\/dist\/transports\/(?!user-agent\.js$)/, /\/node_modules\/(uqr|p-retry|p-cancelable|eventemitter3)\//];

describe('start-up: each command loads only what it uses', () => {
  const tempDir = useTempDirs('tokenpoll-startup-');
  const emulator = useEmulator();

  /** Runs the built CLI with a loader hook that logs every module it loads; resolves with its output and the module URLs. */
  async function loads(args: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<{ stdout: string; stderr: string; modules: string[] }> {
    const log = join(await tempDir(), 'modules.txt');
    const { stdout, stderr } = await run(process.execPath, ['--import', HOOK, ENTRY, ...args], { env: { PATH: process.env['PATH'] ?? '', ...env, TOKENPOLL_MODULE_LOG: log } });
    // The hook logs ES modules as URLs and CommonJS ones as paths (the entry may be both): one URL each.
    const lines = (await readFile(log, 'utf8')).split('\n').filter((line) => line !== '');
    const modules = [...new Set(lines.map((line) => (line.startsWith('/') ? pathToFileURL(line).href : line)))];
    return { stdout, stderr, modules };
  }

  const heavy = (modules: readonly string[]): string[] => modules.filter((url) => HEAVY.some((pattern) => pattern.test(url)));

  test('--version should be answered by the bin alone, with the version the CLI knows', async () => {
    const { stdout, modules } = await loads(['--version']);
    expect(stdout).toBe(`${TOKENPOLL_VERSION}\n`);
    expect(modules.filter((url) => url.includes('/dist/'))).toEqual([expect.stringMatching(/\/dist\/cli\/bin\.cjs$/), expect.stringMatching(/\/dist\/cli\/bin-fast\.cjs$/)]);
    expect((await loads(['-v'])).stdout).toBe(`${TOKENPOLL_VERSION}\n`);
  });

  test('--help should load the CLI but no command module, nothing heavy', async () => {
    const { stderr, modules } = await loads(['--help']);
    expect(stderr).toMatch(/^Usage: tokenpoll/);
    // The hook saw the CLI itself (the bin, then main.js), so an empty list below means something.
    expect(modules.some((url) => url.endsWith('/dist/cli/main.js'))).toBe(true);
    expect(modules.filter((url) => url.includes('/dist/cli/commands/'))).toEqual([]);
    expect(heavy(modules)).toEqual([]);
  });

  test('a warm `aws credentials` should answer from the role-credential cache: no request, and nothing heavy loaded', async () => {
    // Arrange: a logged-in session on the emulator; one call fills the cache.
    const server = await emulator({ intervalSeconds: 0.05, autoApproveAfterMs: 100, accounts: [{ accountId: '111122223333', accountName: 'Prod', roles: ['ReadOnly'] }] });
    const home = await tempDir();
    const common = ['--start-url', START_URL, '--region', 'eu-west-1', '--session-name', 'my-sso', '--endpoint', server.awsEndpoint];
    const login = await runCli(['login', '--aws', ...common, '--no-qr'], { HOME: home });
    expect(login.code, login.stderr).toBe(0);
    const args = ['aws', 'credentials', ...common, '--portal-endpoint', server.awsPortalEndpoint, '--account-id', '111122223333', '--role-name', 'ReadOnly'];
    const portalCalls = (): number => server.requests.filter((request) => request.path === '/aws/portal/federation/credentials').length;
    const cold = await loads(args, { HOME: home });
    expect(portalCalls()).toBe(1);
    // Act
    const warm = await loads(args, { HOME: home });
    // Assert: the same credentials, no new request, and none of the portal, token source, login or emulator code.
    expect(portalCalls()).toBe(1);
    expect(warm.stderr).toBe('');
    const printed = JSON.parse(warm.stdout) as Record<string, unknown>;
    expect(printed).toMatchObject({ Version: 1, AccessKeyId: (JSON.parse(cold.stdout) as Record<string, unknown>)['AccessKeyId'] });
    const coldPrinted = JSON.parse(cold.stdout) as Record<string, string>;
    expect(Object.keys(printed)).toEqual(Object.keys(coldPrinted));
    expect(printed).toMatchObject({ SecretAccessKey: coldPrinted['SecretAccessKey'], SessionToken: coldPrinted['SessionToken'] });
    // The cache keeps the expiry in whole seconds, as the AWS CLI does.
    expect(Math.abs(Date.parse(printed['Expiration'] as string) - Date.parse(coldPrinted['Expiration']!))).toBeLessThan(1000);
    expect(heavy(cold.modules).length).toBeGreaterThan(0);
    // The warm call is the bin and its helper alone: not even the ES module CLI.
    expect(warm.modules.filter((url) => url.includes('/dist/'))).toEqual([expect.stringMatching(/\/dist\/cli\/bin\.cjs$/), expect.stringMatching(/\/dist\/cli\/bin-fast\.cjs$/)]);
    // The cache is the AWS CLI's own file, 0600.
    const path = roleCredentialCachePath({ startUrl: START_URL, sessionName: 'my-sso', accountId: '111122223333', roleName: 'ReadOnly', cacheDir: join(home, '.aws', 'cli', 'cache') });
    expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({ ProviderType: 'sso', Credentials: { AccessKeyId: printed['AccessKeyId'] } });
    expect((await stat(path)).mode & 0o777).toBe(0o600);

    // A file others may read is left to the CLI, which tightens it and answers from it: still no request.
    await chmod(path, 0o644);
    const loose = await loads(args, { HOME: home });
    expect(JSON.parse(loose.stdout)).toMatchObject({ AccessKeyId: printed['AccessKeyId'] });
    expect(loose.modules.some((url) => url.endsWith('/dist/cli/main.js'))).toBe(true);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(portalCalls()).toBe(1);

    // With 15 minutes or less left, the credentials are fetched again, and the cache rewritten.
    await writeRoleCredentialCache(path, { accessKeyId: 'ASIASTALE', secretAccessKey: 's', sessionToken: 't', expiration: Date.now() + 14 * 60_000 });
    const refreshed = await loads(args, { HOME: home });
    expect(portalCalls()).toBe(2);
    expect(JSON.parse(refreshed.stdout)).not.toMatchObject({ AccessKeyId: 'ASIASTALE' });
    expect(JSON.parse(await readFile(path, 'utf8'))).not.toMatchObject({ Credentials: { AccessKeyId: 'ASIASTALE' } });

    // A garbled file: one line on stderr, then fetched again and replaced; the credentials still come, exit 0.
    await writeFile(path, '{"ProviderType":"sso","Credentials":', { mode: 0o600 });
    const garbled = await loads(args, { HOME: home });
    expect(portalCalls()).toBe(3);
    expect(garbled.stderr).toBe(`tokenpoll: role credential cache: ${path}: is not JSON\n`);
    expect(JSON.parse(garbled.stdout)).toMatchObject({ Version: 1, AccessKeyId: expect.stringMatching(/^ASIA/) });
    expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({ ProviderType: 'sso' });
  });

  test("the bin's own cache key should be that of src/node/role-credentials.ts", () => {
    const fast = createRequire(import.meta.url)('../../dist/cli/bin-fast.cjs') as { cacheKey: (accountId: string, roleName: string, sessionName: string | undefined, startUrl: string) => string };
    const text = fc.string({ unit: 'binary', minLength: 1, maxLength: 80 });
    fc.assert(
      fc.property(text, text, fc.option(text, { nil: undefined }), text, (accountId, roleName, sessionName, startUrl) => {
        expect(fast.cacheKey(accountId, roleName, sessionName, startUrl)).toBe(roleCredentialCacheKey({ accountId, roleName, sessionName, startUrl }));
      }),
    );
  });

  test("the bin's reading of an Expiration should be that of src/node/role-credentials.ts (parseCacheTime), on every form a cache may hold", () => {
    const fast = createRequire(import.meta.url)('../../dist/cli/bin-fast.cjs') as { cacheTime: (text: string) => number };
    const forms = [
      '2026-12-02T12:00:00Z', // what the AWS CLI v2 writes (botocore's SSOCredentialFetcher: %Y-%m-%dT%H:%M:%SZ)
      '2026-12-02T12:00:00UTC', // AWS CLI v2 before 2.1.14, which Date.parse refuses
      '2026-12-02T12:00:00.123UTC',
      '2026-12-02T12:00UTC',
      '2026-12-02T12:00:00+00:00', // Python's isoformat()
      '2026-12-02T13:00:00+01:00',
      '2026-12-02T12:00:00.000Z', // what tokenpoll prints
      '2026-12-02T12:00:00.123456Z',
      '2026-12-02 12:00:00UTC',
      'UTC',
      'not a time',
      '',
    ];
    for (const form of forms) expect([form, fast.cacheTime(form)]).toEqual([form, parseCacheTime(form)]);
    expect(fast.cacheTime('2026-12-02T12:00:00UTC')).toBe(Date.UTC(2026, 11, 2, 12));
    fc.assert(
      fc.property(fc.date({ min: new Date(Date.UTC(2000, 0, 1)), max: new Date(Date.UTC(2100, 0, 1)), noInvalidDate: true }), fc.constantFrom('Z', 'UTC', '+00:00', '.000Z', '.5UTC'), (date, suffix) => {
        const text = `${date.toISOString().slice(0, 19)}${suffix}`;
        expect(fast.cacheTime(text)).toBe(parseCacheTime(text));
        expect(Number.isNaN(fast.cacheTime(text))).toBe(false);
      }),
    );
  });

  test.each([
    ['the AWS CLI v2 writes (Z, whole seconds)', (at: Date) => at.toISOString().replace(/\.\d{3}Z$/, 'Z')],
    ['AWS CLI v2 before 2.1.14 wrote (UTC)', (at: Date) => at.toISOString().replace(/\.\d{3}Z$/, 'UTC')],
    ["Python's isoformat gives (+00:00)", (at: Date) => at.toISOString().replace(/\.\d{3}Z$/, '+00:00')],
  ])('a warm file whose Expiration is in the form %s should be answered by the bin alone, as the CLI reads it', async (_form, format) => {
    const home = await tempDir();
    const location = { startUrl: START_URL, accountId: '111122223333', roleName: 'ReadOnly', cacheDir: join(home, '.aws', 'cli', 'cache') };
    const path = roleCredentialCachePath(location);
    const at = new Date(Math.floor(Date.now() / 1000) * 1000 + 3_600_000);
    await mkdir(location.cacheDir, { recursive: true });
    await writeFile(path, JSON.stringify({ ProviderType: 'sso', Credentials: { AccessKeyId: 'ASIAFORM', SecretAccessKey: 's', SessionToken: 't', Expiration: format(at) } }), { mode: 0o600 });
    expect((await readRoleCredentialCache(path))?.expiration).toBe(at.getTime());
    const answered = await loads(['aws', 'credentials', '--start-url', START_URL, '--region', 'eu-west-1', '--account-id', '111122223333', '--role-name', 'ReadOnly'], { HOME: home });
    expect(answered.stderr).toBe('');
    expect(JSON.parse(answered.stdout)).toEqual({ Version: 1, AccessKeyId: 'ASIAFORM', SecretAccessKey: 's', SessionToken: 't', Expiration: at.toISOString() });
    expect(answered.modules.filter((url) => url.includes('/dist/'))).toEqual([expect.stringMatching(/\/dist\/cli\/bin\.cjs$/), expect.stringMatching(/\/dist\/cli\/bin-fast\.cjs$/)]);
  });

  test.skipIf(!existsSync('/usr/bin/aws'))('the AWS CLI (Debian awscli) should answer from the role credentials tokenpoll cached, with no SSO token to fall back on', async () => {
    // Arrange: a HOME with no SSO token at all, so a key or format the AWS CLI did not recognise fails at once, offline.
    const home = await tempDir();
    await mkdir(join(home, '.aws'), { recursive: true });
    await writeFile(
      join(home, '.aws', 'config'),
      ['[profile legacy]', `sso_start_url = ${START_URL}`, 'sso_region = eu-west-1', 'sso_account_id = 111122223333', 'sso_role_name = ReadOnly', '', '[profile named]', 'sso_session = my-sso', 'sso_account_id = 444455556666', 'sso_role_name = Dév', '', '[sso-session my-sso]', `sso_start_url = ${START_URL}`, 'sso_region = eu-west-1', ''].join('\n'),
    );
    const cacheDir = join(home, '.aws', 'cli', 'cache');
    const expiration = Date.now() + 3_600_000;
    await writeRoleCredentialCache(roleCredentialCachePath({ startUrl: START_URL, accountId: '111122223333', roleName: 'ReadOnly', cacheDir }), { accessKeyId: 'ASIALEGACY', secretAccessKey: 's', sessionToken: 't', expiration });
    await writeRoleCredentialCache(roleCredentialCachePath({ startUrl: START_URL, sessionName: 'my-sso', accountId: '444455556666', roleName: 'Dév', cacheDir }), { accessKeyId: 'ASIANAMED', secretAccessKey: 's', sessionToken: 't', expiration });
    const env = { PATH: process.env['PATH'] ?? '', HOME: home, AWS_EC2_METADATA_DISABLED: 'true' };
    // Act
    const exported = await Promise.all(['legacy', 'named'].map((profile) => run('/usr/bin/aws', ['configure', 'export-credentials', '--profile', profile, '--format', 'process'], { env })));
    // Assert
    expect(exported.map(({ stdout }) => (JSON.parse(stdout) as { AccessKeyId: string }).AccessKeyId)).toEqual(['ASIALEGACY', 'ASIANAMED']);
  });

  test('a warm answer whose reader went away should exit 1 quietly, as the CLI does (EPIPE)', async () => {
    const home = await tempDir();
    const cacheDir = join(home, '.aws', 'cli', 'cache');
    await writeRoleCredentialCache(roleCredentialCachePath({ startUrl: START_URL, accountId: '111122223333', roleName: 'ReadOnly', cacheDir }), { accessKeyId: 'ASIAWARM', secretAccessKey: 's', sessionToken: 't', expiration: Date.now() + 3_600_000 });
    const child = spawn(process.execPath, [ENTRY, 'aws', 'credentials', '--start-url', START_URL, '--region', 'eu-west-1', '--account-id', '111122223333', '--role-name', 'ReadOnly'], { env: { PATH: process.env['PATH'] ?? '', HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
    // Close the reading end before the child can write.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const [code] = (await once(child, 'close')) as [number | null];
    expect(code).toBe(1);
    expect(stderr).toBe('');
  });

  test.skipIf(!existsSync('/usr/bin/aws'))('tokenpoll should answer, with no request, from the role credentials the AWS CLI (Debian awscli) fetched and cached', async () => {
    // Arrange: a session tokenpoll logged in, and the AWS CLI pointed at the emulator's portal. AWS CLI 2.9 has no
    // endpoint setting for the sso service, but it reads a service's endpoint rules from AWS_DATA_PATH first.
    const server = await emulator({ intervalSeconds: 0.05, autoApproveAfterMs: 100, accounts: [{ accountId: '111122223333', accountName: 'Prod', roles: ['ReadOnly'] }] });
    const home = await tempDir();
    const common = ['--start-url', START_URL, '--region', 'eu-west-1', '--session-name', 'my-sso', '--endpoint', server.awsEndpoint];
    const login = await runCli(['login', '--aws', ...common, '--no-qr'], { HOME: home });
    expect(login.code, login.stderr).toBe(0);
    await writeFile(join(home, '.aws', 'config'), ['[profile dev]', 'sso_session = my-sso', 'sso_account_id = 111122223333', 'sso_role_name = ReadOnly', '', '[sso-session my-sso]', `sso_start_url = ${START_URL}`, 'sso_region = eu-west-1', ''].join('\n'));
    const rules = join(home, 'aws-data', 'sso', '2019-06-10');
    await mkdir(rules, { recursive: true });
    const parameter = (builtIn: string, type: string, more: object = {}): object => ({ builtIn, required: false, type, ...more });
    await writeFile(
      join(rules, 'endpoint-rule-set-1.json'),
      JSON.stringify({
        version: '1.0',
        parameters: { Region: parameter('AWS::Region', 'String'), UseDualStack: parameter('AWS::UseDualStack', 'Boolean', { required: true, default: false }), UseFIPS: parameter('AWS::UseFIPS', 'Boolean', { required: true, default: false }), Endpoint: parameter('SDK::Endpoint', 'String') },
        rules: [{ conditions: [], endpoint: { url: server.awsPortalEndpoint, properties: {}, headers: {} }, type: 'endpoint' }],
      }),
    );
    const portalCalls = (): number => server.requests.filter((request) => request.path === '/aws/portal/federation/credentials').length;
    // Act: the AWS CLI fetches and caches; then tokenpoll asks for the same role.
    const exported = await run('/usr/bin/aws', ['configure', 'export-credentials', '--profile', 'dev', '--format', 'process'], {
      env: { PATH: '/usr/bin:/bin', HOME: home, AWS_DATA_PATH: join(home, 'aws-data'), AWS_EC2_METADATA_DISABLED: 'true' },
    });
    expect(portalCalls()).toBe(1);
    // The AWS CLI's file: its Expiration in whole seconds, ending in Z (botocore's SSOCredentialFetcher).
    const written = JSON.parse(await readFile(roleCredentialCachePath({ startUrl: START_URL, sessionName: 'my-sso', accountId: '111122223333', roleName: 'ReadOnly', cacheDir: join(home, '.aws', 'cli', 'cache') }), 'utf8')) as { Credentials: { Expiration: string } };
    expect(written.Credentials.Expiration).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    const answered = await loads(['aws', 'credentials', ...common, '--portal-endpoint', server.awsPortalEndpoint, '--account-id', '111122223333', '--role-name', 'ReadOnly'], { HOME: home });
    // Assert: the same credentials, from the AWS CLI's file, by the bin alone.
    expect(portalCalls()).toBe(1);
    expect((JSON.parse(answered.stdout) as { AccessKeyId: string }).AccessKeyId).toBe((JSON.parse(exported.stdout) as { AccessKeyId: string }).AccessKeyId);
    expect(answered.modules.filter((url) => url.includes('/dist/'))).toEqual([expect.stringMatching(/\/dist\/cli\/bin\.cjs$/), expect.stringMatching(/\/dist\/cli\/bin-fast\.cjs$/)]);
  });
});

describe('npm run demo builds only when dist/ is out of date (scripts/build-if-stale.mjs)', () => {
  const tempDir = useTempDirs('tokenpoll-stale-');

  async function tree(): Promise<{ root: string; touch: (file: string, secondsAgo: number) => Promise<void> }> {
    const root = await tempDir();
    const touch = async (file: string, secondsAgo: number): Promise<void> => {
      const full = join(root, file);
      await mkdir(join(full, '..'), { recursive: true });
      if (!existsSync(full)) await writeFile(full, '');
      const at = new Date(Date.now() - secondsAgo * 1000);
      await utimes(full, at, at);
    };
    return { root, touch };
  }

  test('should be current when every source has an output at least as new, and stale when one changed, lacks its output, or the config changed', async () => {
    const { root, touch } = await tree();
    await touch('tsconfig.json', 100);
    await touch('tsconfig.build.json', 100);
    await touch('src/index.ts', 50);
    await touch('src/cli/main.ts', 50);
    await touch('src/types.d.ts', 1);
    await touch('dist/index.js', 10);
    await touch('dist/cli/main.js', 10);
    expect(staleReason(root)).toBeUndefined();
    await touch('src/cli/main.ts', 5);
    expect(staleReason(root)).toBe('src/cli/main.ts changed');
    await touch('dist/cli/main.js', 1);
    expect(staleReason(root)).toBeUndefined();
    await touch('src/cli/new.ts', 20);
    expect(staleReason(root)).toBe(`${join('dist', 'cli', 'new.js')} is missing`);
    await touch('dist/cli/new.js', 1);
    await touch('tsconfig.build.json', 0);
    expect(staleReason(root)).toBe('tsconfig.build.json changed');
  });

  test('should be stale without dist/, as on a fresh clone', async () => {
    const { root, touch } = await tree();
    await touch('src/index.ts', 50);
    expect(staleReason(root)).toBe(`${join('dist', 'index.js')} is missing`);
  });
});
