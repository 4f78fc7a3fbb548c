import { describe, expect, test } from 'vitest';
import { announceLongWaits } from '../../src/cli/run-login.js';
import { Terminal } from '../../src/cli/terminal.js';
import { loginWithDeviceFlow, type OneShotRetryEvent } from '../../src/index.js';
import { ManualClock } from '../../src/testing.js';
import { useEmulator } from '../helpers/use-emulator.js';
import { useTempDirs } from '../helpers/use-temp-dirs.js';
import { startLocalServer } from '../rfc8628/local-server.js';
import { runCli, startCli } from './run-cli.js';

/** A Terminal writing to a string, as off a terminal (plain lines). */
function capture(): { terminal: Terminal; text: () => string } {
  let text = '';
  const terminal = new Terminal({ stderr: { write: (chunk: string) => ((text += chunk), true), isTTY: false } as never, env: {} });
  return { terminal, text: () => text };
}

const event = (delayMs: number, fault: OneShotRetryEvent['fault']): OneShotRetryEvent => ({
  fault,
  attempt: 1,
  faults: 1,
  delayMs,
  retriesLeft: 3,
  operation: 'discovery at https://auth.test/.well-known/oauth-authorization-server',
});

describe('the CLI says why a one-shot call waits', () => {
  describe('should print one line on stderr for a wait over 2 s, and none for a short one', () => {
    test.each([
      [30_000, { type: 'server_error', status: 503, message: 'HTTP 503', retryAfterMs: 30_000 } as const, 'HTTP 503; retrying in 30s (Retry-After)'],
      [5000, { type: 'slow_down', message: 'the server asked to slow down' } as const, 'the server asked to slow down; retrying in 5s (slow_down)'],
      [4000, { type: 'network_error', message: 'fetch failed (ECONNRESET)' } as const, 'fetch failed (ECONNRESET); retrying in 4s (backoff)'],
    ])('when the wait is %i ms, the line names the call, the URL, the fault and the reason', (delayMs, fault, tail) => {
      const { terminal, text } = capture();
      announceLongWaits(terminal)(event(delayMs, fault));
      expect(text()).toBe(`tokenpoll: discovery at https://auth.test/.well-known/oauth-authorization-server: ${tail}\n`);
    });

    test('when the wait is 2 s or less, nothing is printed', () => {
      const { terminal, text } = capture();
      announceLongWaits(terminal)(event(2000, { type: 'network_error', message: 'fetch failed' }));
      expect(text()).toBe('');
    });

    test('when a login meets a 503 with Retry-After: 30 on discovery, the line is printed before the 30 s wait', async () => {
      // Arrange: a virtual clock; the first metadata request is answered 503, the next ones 200.
      const clock = new ManualClock();
      let requests = 0;
      const fetchImpl = async (): Promise<Response> =>
        ++requests === 1
          ? new Response('', { status: 503, headers: { 'retry-after': '30' } })
          : new Response(JSON.stringify({ issuer: 'https://auth.test', device_authorization_endpoint: 'https://auth.test/device', token_endpoint: 'https://auth.test/token' }), { status: 200 });
      const { terminal, text } = capture();
      const login = loginWithDeviceFlow({ issuer: 'https://auth.test', clientId: 'c', fetch: fetchImpl as typeof fetch, clock, onRetry: announceLongWaits(terminal) });
      login.result.catch(() => undefined);
      // Act
      await clock.advance(0);
      // Assert
      expect(text()).toBe('tokenpoll: discovery at https://auth.test/.well-known/oauth-authorization-server: HTTP 503; retrying in 30s (Retry-After)\n');
      expect(clock.nextTimerAt).toBe(30_000);
      login.cancel();
    });
  });

  describe('should end the binary at once, saying what the server asked for', () => {
    test('when discovery is answered 503 with Retry-After: 1000000000, tokenpoll login fails with the ask and the ceiling on stderr', async () => {
      // Arrange
      const server = await startLocalServer(() => ({ status: 503, headers: { 'retry-after': '1000000000' } }));
      try {
        // Act
        const run = await runCli(['login', '--issuer', server.url, '--client-id', 'c', '--no-qr', '--json']);
        // Assert
        expect(run.code).toBe(1);
        expect(run.stderr).toContain(
          `discovery at ${server.url}/.well-known/oauth-authorization-server: the server answered HTTP 503 and asked to wait 1000000000 s (Retry-After), longer than the ceiling of 60 s on one wait (maxDelayMs)`,
        );
        expect(JSON.parse(run.stdout)).toMatchObject({ outcome: 'failed', error: { code: 'ERR_RETRY_AFTER_TOO_LONG', retryAfterMs: 1e12, limitMs: 60_000 } });
        expect(server.requests).toHaveLength(1);
      } finally {
        await server.close();
      }
    });

    test('when discovery is answered 503 with Retry-After: 30, tokenpoll login prints why it waits before waiting', async () => {
      const server = await startLocalServer(() => ({ status: 503, headers: { 'retry-after': '30' } }));
      try {
        const cli = startCli(['login', '--issuer', server.url, '--client-id', 'c', '--no-qr']);
        await cli.waitFor(/retrying in/);
        cli.child.kill('SIGINT');
        const run = await cli.done;
        expect(run.stderr).toContain(`tokenpoll: discovery at ${server.url}/.well-known/oauth-authorization-server: HTTP 503; retrying in 30s (Retry-After)\n`);
        expect(server.requests).toHaveLength(1);
      } finally {
        await server.close();
      }
    });
  });

  describe('should bound and announce the portal calls of tokenpoll aws credentials', () => {
    const emulator = useEmulator();
    const tempDir = useTempDirs('tokenpoll-waits-');

    /** A logged-in AWS session, and the args for `aws credentials`. */
    async function awsSession(): Promise<{ server: Awaited<ReturnType<ReturnType<typeof useEmulator>>>; home: string; args: string[] }> {
      const server = await emulator({ intervalSeconds: 0.05, approveOnPoll: 1 });
      const home = await tempDir();
      const common = ['--start-url', 'https://d-1234567890.awsapps.com/start', '--region', 'eu-west-1', '--session-name', 's', '--endpoint', server.awsEndpoint];
      const login = await runCli(['login', '--aws', ...common, '--no-qr'], { HOME: home });
      expect(login.code, login.stderr).toBe(0);
      const args = ['aws', 'credentials', '--account-id', '111111111111', '--role-name', 'ReadOnly', ...common, '--portal-endpoint', server.awsPortalEndpoint];
      return { server, home, args };
    }

    test('when GetRoleCredentials is answered 429 with Retry-After: 1000000000, it fails at once saying what was asked', async () => {
      const { server, home, args } = await awsSession();
      server.inject({ type: 'rate_limited', retryAfterSeconds: 1_000_000_000 }, { path: '/federation/credentials' });
      const run = await runCli(args, { HOME: home });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/GetRoleCredentials at http:\/\/127\.0\.0\.1:\d+\/[^ ]*federation\/credentials: the server answered .* asked to wait 1000000000 s \(Retry-After\)/);
      expect(run.stdout).toBe('');
    });

    test('when GetRoleCredentials is answered 429 with Retry-After: 30, it says why it waits before waiting', async () => {
      const { server, home, args } = await awsSession();
      server.inject({ type: 'rate_limited', retryAfterSeconds: 30 }, { path: '/federation/credentials' });
      const cli = startCli(args, { HOME: home });
      await cli.waitFor(/retrying in/);
      cli.child.kill('SIGINT');
      const run = await cli.done;
      expect(run.stderr).toMatch(/^tokenpoll: GetRoleCredentials at http:\/\/127\.0\.0\.1:\d+\/[^ ]*federation\/credentials: .*; retrying in 30s \(Retry-After\)$/m);
    });
  });
});
