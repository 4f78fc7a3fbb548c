import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { join } from 'node:path';
import { describe, expect, test, vi } from 'vitest';
import { useEmulator } from '../helpers/use-emulator.js';
import { useTempDirs } from '../helpers/use-temp-dirs.js';
import { BIN, jsonOut, runCli, runUnderTerminal, startCli } from './run-cli.js';

const START_URL = 'https://example.awsapps.com/start';
const sha1 = (text: string): string => createHash('sha1').update(text).digest('hex');
// A fast demo: a short interval, and no slow_down (the RFC's +5 s would slow the test down).
const FAST = ['--interval', '0.05', '--no-qr'];

describe('the tokenpoll CLI', () => {
  const emulator = useEmulator();
  const tempHome = useTempDirs('tokenpoll-home-');

  describe('help and usage', () => {
    test.each([[['--help']], [['help']], [['demo', '--help']], [['login', '--help']], [['help', 'login']], [['demo', '-h']], [['aws', '--help']], [['help', 'aws']]])(
      'should print help for %j on stderr and exit 0',
      async (args) => {
        const run = await runCli(args);
        expect(run.code).toBe(0);
        expect(run.stderr).toMatch(/^Usage:/);
        expect(run.stdout).toBe('');
      },
    );

    test('should print the version on stdout', async () => {
      const { version } = JSON.parse(await readFile(join(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string };
      const run = await runCli(['--version']);
      expect(run).toMatchObject({ code: 0, stdout: `${version}\n` });
    });

    test.each([
      [[], /^Usage:/],
      [['frob'], /^tokenpoll: unknown command 'frob' \(see 'tokenpoll --help'\)\n$/],
      [['login'], /^tokenpoll: say which server: --issuer URL, --github or --aws/],
      [['login', '--issuer', 'https://id.example.com'], /^tokenpoll: --client-id is required/],
      [['login', '--aws', '--github'], /^tokenpoll: choose one of --github, --aws/],
      [['login', '--aws', '--start-url', START_URL], /^tokenpoll: --region is required/],
      [['login', '--issuer', 'http://id.example.com', '--client-id', 'x'], /^tokenpoll: issuer: .*must use https/],
      [['login', '--issuer', 'https://id.example.com', '--client-id', 'x', '--region', 'eu-west-1'], /^tokenpoll: --region goes only with --aws/],
      [['login', '--aws', '--start-url', START_URL, '--region', 'not a region'], /^tokenpoll: region/],
      [['demo', '--faults', 'gremlins'], /^tokenpoll: unknown fault 'gremlins'/],
      [['demo', '--interval', 'soon'], /^tokenpoll: --interval wants a number of seconds/],
      [['demo', '--bogus'], /^tokenpoll: unknown option '--bogus' \(see 'tokenpoll demo --help'\)\n$/],
      [['--frobnicate'], /^tokenpoll: unknown option '--frobnicate' \(see 'tokenpoll --help'\)\n$/],
      [['demo', '--interval'], /^tokenpoll: option '--interval <value>' argument missing \(see 'tokenpoll demo --help'\)\n$/],
    ])('should answer %j with one line and exit code 2', async (args, message) => {
      const run = await runCli(args);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(message);
      if (args.length > 0) expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).not.toMatch(/\n\s+at /);
      expect(run.stdout).toBe('');
    });
  });

  describe('demo', () => {
    test('should log in against its own emulator, riding out faults, and exit 0 with --json', async () => {
      const run = await runCli(['demo', ...FAST, '--auto-approve=0.3', '--faults', '5xx,429,reset', '--json']);
      expect(run.code, run.stderr).toBe(0);
      const out = jsonOut(run);
      expect(out).toMatchObject({ outcome: 'granted', token: { tokenType: 'Bearer', expiresIn: 3600 } });
      const accessToken = (out['token'] as { accessToken: string }).accessToken;
      expect(accessToken).toMatch(/.{16,}/);
      expect(run.stderr).not.toContain(accessToken);
      expect(run.stderr).toMatch(/To sign in, open http:\/\/127\.0\.0\.1:\d+\/device\nand enter the code [A-Z]{4}-[A-Z]{4}/);
      expect(run.stderr).toMatch(/↻ Poll 1: HTTP 502; retrying in/);
      expect(run.stderr).toMatch(/↻ Poll 2: HTTP 429 Too Many Requests; retrying in [\d.]+m?s \(8 retries left\)/);
      expect(run.stderr).toMatch(/↻ Poll 3: .*(reset|closed|socket|fetch failed).*; retrying in/i);
      expect(run.stderr).toContain('✔ Approved: Bearer token received');
      // Not a terminal: no colours, no spinner, no cursor tricks.
      expect(run.stderr).not.toMatch(/\u001B|\r/);
    });

    test('should print a QR code of the verification URL unless --no-qr', async () => {
      const withQr = await runCli(['demo', '--interval', '0.05', '--auto-approve=0.1', '--faults', 'none']);
      expect(withQr.code).toBe(0);
      expect(withQr.stderr).toMatch(/^ {2}[█▀▄ ]{20,}$/m);
      const withoutQr = await runCli(['demo', ...FAST, '--auto-approve=0.1', '--faults', 'none']);
      expect(withoutQr.stderr).not.toMatch(/[█▀▄]/);
    });

    test('should show slow_down as it happens', async () => {
      // slow_down adds 5 s to the interval (RFC 8628 §3.5), so this test takes about 5 s.
      const run = await runCli(['demo', ...FAST, '--auto-approve=0', '--faults', 'slow_down']);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toMatch(/· Poll 1: slow_down; polling every 5(\.\d)?s now \(was 50ms\)/);
    });

    test('should exit 3 when the user denies', async () => {
      const run = await runCli(['demo', ...FAST, '--auto-approve=0.2', '--deny', '--faults', 'none', '--json']);
      expect(run.code).toBe(3);
      expect(jsonOut(run)).toMatchObject({ outcome: 'denied', error: { code: 'ERR_ACCESS_DENIED' } });
      expect(run.stderr).toMatch(/✖ .*denied/i);
    });

    test('should deny by itself with --deny even on a terminal, and refuse --deny with --no-auto-approve', async () => {
      const onTerminal = await runUnderTerminal(`${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} demo --deny --interval 0.05 --no-qr --faults none`, { NO_COLOR: '1' });
      expect(onTerminal.code, onTerminal.output).toBe(3);
      expect(onTerminal.output).toContain('The emulator will deny by itself in 3s');
      const contradiction = await runCli(['demo', '--deny', '--no-auto-approve']);
      expect(contradiction.code).toBe(2);
      expect(contradiction.stderr).toMatch(/^tokenpoll: --deny and --no-auto-approve contradict each other/);
    });

    test('should still write one JSON object with --json when the command line is wrong', async () => {
      const bogus = await runCli(['demo', '--bogus', '--json']);
      expect(bogus.code).toBe(2);
      expect(jsonOut(bogus)).toMatchObject({ outcome: 'usage', error: { name: 'UsageError', message: expect.stringContaining("unknown option '--bogus'") } });
      const insecure = await runCli(['login', '--issuer', 'http://id.example.com', '--client-id', 'x', '--json']);
      expect(insecure.code).toBe(2);
      expect(jsonOut(insecure)).toMatchObject({ outcome: 'usage', error: { code: 'ERR_INVALID_OPTION', option: 'issuer' } });
    });

    test('should exit 4 when the code expires', async () => {
      const run = await runCli(['demo', ...FAST, '--no-auto-approve', '--expires-in', '1', '--faults', 'none', '--json']);
      expect(run.code).toBe(4);
      expect(jsonOut(run)).toMatchObject({ outcome: 'expired' });
      expect(run.stderr).toMatch(/· Poll 1: waiting for approval \(authorization_pending\); next poll in 50ms\n/);
      expect(run.stderr.match(/waiting for approval/g)).toHaveLength(1);
    });

    test('should exit 1 when the flow fails (a success answer that cannot be read)', async () => {
      const run = await runCli(['demo', ...FAST, '--auto-approve=0', '--faults', 'malformed', '--json']);
      expect(run.code).toBe(1);
      expect(jsonOut(run)).toMatchObject({ outcome: 'failed' });
    });

    test('should open the verification page with --open, through BROWSER', async () => {
      const home = await tempHome();
      const opener = join(home, 'browser.sh');
      const opened = join(home, 'opened.txt');
      await writeFile(opener, `#!/bin/sh\necho "$@" > '${opened}'\n`);
      await chmod(opener, 0o755);
      // The first of a colon-separated list, with its arguments and %s for the URL.
      const run = await runCli(['demo', ...FAST, '--auto-approve=0.5', '--faults', 'none', '--open'], { BROWSER: `${opener} --new-window %s:/usr/bin/false` });
      expect(run.code).toBe(0);
      // The browser runs detached: wait for it to have written.
      const line = await vi.waitFor(async () => (await readFile(opened, 'utf8')).trim(), { timeout: 5000 });
      expect(line).toMatch(/^--new-window http:\/\/127\.0\.0\.1:\d+\/device\?user_code=[A-Z]{4}-[A-Z]{4}$/);
    });

    test('should draw a live status line, in colour, on a terminal, and honour NO_COLOR there', async () => {
      // script(1) gives the CLI a pseudo-terminal for stdin and stderr. On a terminal the demo waits for a
      // person; the test approves on the emulator's page once the status line it checks has been drawn.
      const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} demo --interval 0.05 --no-qr --faults none`;
      const colour = await approveOnTerminal(command, {}, /Waiting for approval · expires in \u001B\[1m[45]:\d\d\u001B\[22m · polling every 50ms · \d+ polls/);
      expect(colour).toMatch(/\r\u001B\[2K/);
      expect(colour).toMatch(/\u001B\[32m✔\u001B\[39m Approved/);
      const plain = await approveOnTerminal(command, { NO_COLOR: '1' }, /\r\u001B\[2K.*Waiting for approval/);
      expect(plain).not.toMatch(/\u001B\[3\dm/);
      // On a narrow terminal the status line is cut to fit, so clearing it in place works.
      const narrow = await approveOnTerminal(`stty cols 40; ${command}`, {}, /\r\u001B\[2K[^\r\n]*Waiting/);
      const statusLines = [...narrow.matchAll(/\r\u001B\[2K([^\r\n]*?)(?=\r|\n|$)/g)].map((m) => m[1]!.replace(/\u001B\[[0-9;]*m/g, '')).filter((line) => line.includes('Waiting'));
      expect(statusLines.length).toBeGreaterThan(0);
      for (const line of statusLines) expect(line.length).toBeLessThanOrEqual(39);
    });
  });

  describe('login against a server', () => {
    test('should log in to an RFC 8628 issuer through discovery', async () => {
      const server = await emulator({ intervalSeconds: 0.05, autoApproveAfterMs: 150 });
      const run = await runCli(['login', '--issuer', server.url, '--client-id', 'tokenpoll-test', '--scope', 'openid profile', '--no-qr', '--json']);
      expect(run.code, run.stderr).toBe(0);
      expect(jsonOut(run)).toMatchObject({ outcome: 'granted', token: { tokenType: 'Bearer' } });
      expect(server.requests.map((r) => r.path)).toContain('/.well-known/oauth-authorization-server');
      expect(server.requests.find((r) => r.path === '/device_authorization')?.params).toMatchObject({ client_id: 'tokenpoll-test', scope: 'openid profile' });
    });

    test('should send a client secret from TOKENPOLL_CLIENT_SECRET and never print it', async () => {
      const server = await emulator({ intervalSeconds: 0.05, autoApproveAfterMs: 100, clients: [{ clientId: 'app', clientSecret: 's3cr3t-value' }] });
      const run = await runCli(['login', '--issuer', server.url, '--client-id', 'app', '--no-qr'], { TOKENPOLL_CLIENT_SECRET: 's3cr3t-value' });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr + run.stdout).not.toContain('s3cr3t-value');
      const bad = await runCli(['login', '--issuer', server.url, '--client-id', 'app', '--no-qr', '--client-secret', 'wrong-s3cr3t']);
      expect(bad.code).toBe(1);
      expect(bad.stderr.trim().split('\n').at(-1)).toMatch(/^✖ .*invalid_client/);
      expect(bad.stderr).not.toContain('wrong-s3cr3t');
    });

    test('should log in to GitHub (GitHub Enterprise Server paths, 200 answers for pending)', async () => {
      const server = await emulator({ intervalSeconds: 0.05, autoApproveAfterMs: 150, githubStyle: true });
      const github = await githubFacade(server.url);
      try {
        const run = await runCli(['login', '--github', '--github-url', github.url, '--client-id', 'tokenpoll-test', '--scope', 'repo', '--no-qr', '--json']);
        expect(run.code, run.stderr).toBe(0);
        expect(jsonOut(run)).toMatchObject({ outcome: 'granted' });
        expect(github.paths).toContain('/login/device/code');
        expect(github.paths).toContain('/login/oauth/access_token');
      } finally {
        await github.close();
      }
    });

    test('should cancel on Ctrl-C (SIGINT) with exit code 130, and send no request after it', async () => {
      // A 5 s interval, so the signal lands while the CLI waits for its next poll.
      const server = await emulator({ intervalSeconds: 5 });
      const cli = startCli(['login', '--issuer', server.url, '--client-id', 'tokenpoll-test', '--no-qr', '--json']);
      await cli.waitFor(/Poll 1: waiting for approval/);
      const requestsAtSignal = server.requests.length;
      cli.child.kill('SIGINT');
      const run = await cli.done;
      expect(run.code).toBe(130);
      expect(jsonOut(run)).toMatchObject({ outcome: 'interrupted', error: { code: 'ERR_CANCELLED' } });
      expect(run.stderr).toContain('Interrupted');
      expect(server.requests.length).toBe(requestsAtSignal);
      expect(server.requests.filter((r) => r.path === '/token')).toHaveLength(1);
    });
  });

  describe('login --aws', () => {
    const awsArgs = (endpoint: string, ...more: string[]): string[] => ['login', '--aws', '--start-url', START_URL, '--region', 'eu-west-1', '--endpoint', endpoint, '--no-qr', '--json', ...more];

    test('should write the AWS CLI v2 SSO cache file: SHA-1 of the start URL, mode 0600, the CLI fields', async () => {
      const server = await emulator({ intervalSeconds: 0.05, autoApproveAfterMs: 100 });
      const home = await tempHome();
      const before = Date.now();
      const run = await runCli(awsArgs(server.awsEndpoint), { HOME: home });
      expect(run.code, run.stderr).toBe(0);
      const path = join(home, '.aws', 'sso', 'cache', `${sha1(START_URL)}.json`);
      expect(jsonOut(run)).toMatchObject({ outcome: 'granted', cacheFile: path });
      expect(run.stderr).toContain(`Saved to the AWS SSO cache: ${path}`);
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      const cache = JSON.parse(await readFile(path, 'utf8')) as Record<string, string>;
      expect(Object.keys(cache).sort()).toEqual(['accessToken', 'clientId', 'clientSecret', 'expiresAt', 'refreshToken', 'region', 'registrationExpiresAt', 'startUrl']);
      expect(cache).toMatchObject({ startUrl: START_URL, region: 'eu-west-1', accessToken: (jsonOut(run)['token'] as { accessToken: string }).accessToken });
      expect(cache['expiresAt']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(Date.parse(cache['expiresAt']!) - before).toBeGreaterThan(3500_000);
      expect(cache['registrationExpiresAt']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(run.stderr).not.toContain(cache['clientSecret']);
      expect(run.stdout).not.toContain(cache['clientSecret']);
      expect(await readdir(join(home, '.aws', 'sso', 'cache'))).toHaveLength(1);

      // A second login reuses the registration kept in the file.
      const again = await runCli(awsArgs(server.awsEndpoint), { HOME: home });
      expect(again.code).toBe(0);
      expect(server.requests.filter((r) => r.path === '/aws/client/register')).toHaveLength(1);
    });

    test('should key the file by the session name, ask for sso:account:access, and keep the refresh token', async () => {
      const server = await emulator({ intervalSeconds: 0.05, autoApproveAfterMs: 100 });
      const home = await tempHome();
      const run = await runCli(awsArgs(server.awsEndpoint, '--session-name', 'my-sso'), { HOME: home });
      expect(run.code, run.stderr).toBe(0);
      const cache = JSON.parse(await readFile(join(home, '.aws', 'sso', 'cache', `${sha1('my-sso')}.json`), 'utf8')) as Record<string, string>;
      expect(server.requests.find((r) => r.path === '/aws/client/register')?.params['scopes']).toContain('sso:account:access');
      expect(cache['refreshToken']).toMatch(/.{8,}/);
    });

    test('should write nothing with --no-cache', async () => {
      const server = await emulator({ intervalSeconds: 0.05, autoApproveAfterMs: 100 });
      const home = await tempHome();
      const run = await runCli(awsArgs(server.awsEndpoint, '--no-cache'), { HOME: home });
      expect(run.code, run.stderr).toBe(0);
      expect(jsonOut(run)).not.toHaveProperty('cacheFile');
      await expect(readdir(join(home, '.aws'))).rejects.toThrow(/ENOENT/);
    });
  });
});

/**
 * Runs the demo on a pseudo-terminal (script(1)), waits until its output
 * matches `drawn`, then approves the code it shows through the emulator's
 * approval page (`POST /device`), as a person would; returns what it printed.
 * It must exit 0. No timer decides anything: the approval follows the output.
 */
async function approveOnTerminal(command: string, env: Readonly<Record<string, string>>, drawn: RegExp): Promise<string> {
  const child = spawn('script', ['-qec', command, '/dev/null'], { env: { PATH: process.env['PATH'] ?? '', TERM: 'xterm-256color', ...env }, stdio: ['pipe', 'pipe', 'inherit'] });
  let output = '';
  let approval: Promise<void> | undefined;
  const plain = (): string => output.replace(/\u001B\[[0-9;]*[A-Za-z]/g, '');
  const approveOnceDrawn = (): void => {
    const shown = /To sign in, open (http:\/\/127\.0\.0\.1:\d+)\/device\s+and enter the code ([A-Z]{4}-[A-Z]{4})/.exec(plain());
    if (approval !== undefined || shown === null || !drawn.test(output)) return;
    const [, url, userCode] = shown;
    approval = fetch(`${url!}/device`, { method: 'POST', body: new URLSearchParams({ user_code: userCode!, action: 'approve' }) }).then(async (response) => {
      if (response.status !== 200) throw new Error(`the approval page answered ${response.status}: ${await response.text()}`);
    });
  };
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
    approveOnceDrawn();
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (approval === undefined) throw new Error(`exit ${code} before the output matched ${String(drawn)}:\n${output}`);
  await approval;
  if (code !== 0) throw new Error(`exit ${code}: ${output}`);
  return output;
}

/** GitHub's device-flow paths in front of the emulator's RFC side (as GitHub Enterprise Server lays them out). */
async function githubFacade(target: string): Promise<{ url: string; paths: string[]; close(): Promise<void> }> {
  const paths: string[] = [];
  const routes: Record<string, string> = { '/login/device/code': '/device_authorization', '/login/oauth/access_token': '/token' };
  const server: Server = createServer((req, res) => {
    paths.push(req.url ?? '');
    const path = routes[req.url ?? ''];
    if (path === undefined) {
      res.writeHead(404).end();
      return;
    }
    const upstream = httpRequest(`${target}${path}`, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    paths,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
