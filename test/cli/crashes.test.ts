import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { describe, expect, test } from 'vitest';
import { ConfigurationError } from '../../src/index.js';
import { outcomeOf, UsageError, withFlags } from '../../src/cli/exit-codes.js';
import { useEmulator } from '../helpers/use-emulator.js';
import { useTempDirs } from '../helpers/use-temp-dirs.js';
import { useHostileServers, rfc8628Routes } from './hostile-server.js';
import { BIN, jsonOut, runCli, startCli, type RunningCli } from './run-cli.js';

const STACK = /\n\s+at /;
const START_URL = 'https://d-1234567890.awsapps.com/start';

describe('CLI crashes and exit codes', () => {
  const emulator = useEmulator();
  const hostile = useHostileServers();
  const tempDir = useTempDirs('tokenpoll-home-');

  describe('names the user types never reach Object.prototype', () => {
    test.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'])('help %s should print the main help and exit 0', async (name) => {
      const run = await runCli(['help', name]);
      expect(run.stderr).not.toMatch(STACK);
      expect(run.code).toBe(0);
      expect(run.stderr).toMatch(/^Usage: tokenpoll <command>/);
    });

    test.each(['constructor', '__proto__', 'toString'])('%s as a command should be an unknown command (exit 2)', async (name) => {
      const run = await runCli([name]);
      expect(run).toMatchObject({ code: 2, stderr: `tokenpoll: unknown command '${name}' (see 'tokenpoll --help')\n` });
    });

    test.each(['constructor', '__proto__', 'toString'])('demo --faults %s should be an unknown fault (exit 2)', async (name) => {
      const run = await runCli(['demo', '--faults', name]);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(new RegExp(`^tokenpoll: unknown fault '${name}': use `));
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
    });

    test.each(['--constructor', '--__proto__'])('an option named %s should be an unknown option (exit 2)', async (option) => {
      const run = await runCli(['login', option, 'x']);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/^tokenpoll: unknown option/);
    });
  });

  describe('a closed or failing stdout or stderr', () => {
    /** A login at the emulator that waits for the test to approve it, once `Poll 1` is on stderr. */
    async function waitingLogin(): Promise<{ cli: RunningCli; approve: () => void }> {
      const server = await emulator({ intervalSeconds: 0.05 });
      const cli = startCli(['login', '--issuer', server.url, '--client-id', 'tokenpoll-test', '--no-qr', '--json']);
      await cli.waitFor(/Poll 1: waiting for approval/);
      return { cli, approve: () => server.approve(server.codes[0]!.userCode) };
    }

    function close(stream: NodeJS.ReadableStream & { destroy(): void }): Promise<void> {
      return new Promise((resolve) => {
        stream.once('close', () => resolve());
        stream.destroy();
      });
    }

    test('a reader that went away (EPIPE on stdout) should end the command quietly, with exit code 1 since the output was lost', async () => {
      const { cli, approve } = await waitingLogin();
      await close(cli.child.stdout!);
      approve();
      const run = await cli.done;
      expect(run.stderr).not.toMatch(STACK);
      expect(run.stderr).not.toMatch(/EPIPE|Error/);
      expect(run.stderr).toContain('✔ Approved');
      expect(run.signal).toBeNull();
      expect(run.code).toBe(1);
    });

    test('a closed stderr should not cost the result on stdout', async () => {
      const { cli, approve } = await waitingLogin();
      await close(cli.child.stderr!);
      approve();
      const run = await cli.done;
      expect(run.code).toBe(0);
      expect(jsonOut(run)).toMatchObject({ outcome: 'granted', token: { tokenType: 'Bearer' } });
    });

    test.skipIf(!existsSync('/dev/full'))('a stdout that cannot be written (a full disk) should be one line and exit code 1', async () => {
      const full = await open('/dev/full', 'w');
      try {
        const child = spawn(process.execPath, [BIN, '--version'], { stdio: ['ignore', full.fd, 'pipe'], env: { PATH: process.env['PATH'] ?? '' } });
        let stderr = '';
        child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
        const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
        expect(stderr).toBe('tokenpoll: could not write to stdout (ENOSPC)\n');
        expect(code).toBe(1);
      } finally {
        await full.close();
      }
    });
  });

  describe('exit code 2 is only for the user’s own input', () => {
    test('a ConfigurationError is a usage error only when it comes from the flags (withFlags)', () => {
      const fromFlags = (() => {
        try {
          return withFlags(() => {
            throw new ConfigurationError('issuer', 'must use https:');
          });
        } catch (error) {
          return error;
        }
      })();
      expect(fromFlags).toBeInstanceOf(UsageError);
      expect((fromFlags as UsageError).cause).toBeInstanceOf(ConfigurationError);
      expect(outcomeOf(fromFlags)).toBe('usage');
      expect(outcomeOf(new ConfigurationError('device_authorization_endpoint', 'must use https:'))).toBe('failed');
    });

    test('discovery metadata naming a plain http: endpoint on the network is the server’s fault: exit 1', async () => {
      const server = await hostile(rfc8628Routes({}, () => ({ status: 400, body: { error: 'authorization_pending' } }), { device_authorization_endpoint: 'http://id.example.com/device' }));
      const run = await runCli(['login', '--issuer', server.url, '--client-id', 'app', '--no-qr', '--json']);
      expect(run.code, run.stderr).toBe(1);
      expect(jsonOut(run)).toMatchObject({ outcome: 'failed', error: { name: 'InvalidResponseError', code: 'ERR_INVALID_RESPONSE' } });
      expect(run.stderr).toMatch(/device_authorization_endpoint: .*must use https/);
      expect(run.stderr).not.toMatch(STACK);
    });

    test('an absurd expiration from the portal is the server’s fault: exit 1', async () => {
      const server = await emulator({ intervalSeconds: 0.05, approveOnPoll: 1 });
      const home = await tempDir();
      const common = ['--start-url', START_URL, '--region', 'eu-west-1', '--session-name', 'my-sso', '--endpoint', server.awsEndpoint];
      expect((await runCli(['login', '--aws', ...common, '--no-qr'], { HOME: home })).code).toBe(0);
      const portal = await hostile((path) =>
        path === '/federation/credentials' ? { body: { roleCredentials: { accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 'sk-secret', sessionToken: 'st-secret', expiration: 1e17 } } } : undefined,
      );
      const run = await runCli(['aws', 'credentials', ...common, '--portal-endpoint', portal.url, '--account-id', '111122223333', '--role-name', 'ReadOnly'], { HOME: home });
      expect(run.code, run.stderr).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/expiration/);
      expect(run.stderr).not.toMatch(/sk-secret|st-secret/);
    });

    test.each([
      [['aws', 'credentials', '--start-url', START_URL, '--region', 'eu-west-1', '--account-id', ' ', '--role-name', 'R'], /^tokenpoll: --account-id is required/],
      [['login', '--issuer', 'https://id.example.com', '--client-id', 'x', '--client-secret', ''], /^tokenpoll: clientSecret: /],
      [['aws', 'accounts', '--start-url', 'not a url', '--region', 'eu-west-1'], /^tokenpoll: startUrl: /],
      [['aws', 'accounts', '--start-url', START_URL, '--region', 'eu-west-1', '--portal-endpoint', 'http://portal.example.com'], /^tokenpoll: endpoint: .*must use https/],
    ])('a bad flag is still a usage error: %j', async (args, message) => {
      const run = await runCli(args, { HOME: await tempDir() });
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toMatch(message);
    });
  });
});
