import { readFileSync } from 'node:fs';
import { createServer, request as httpForward, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { awsSsoPortal, ConfigurationError, httpRequest, loginWithAwsSso, loginWithDeviceFlow, tokenTransport } from '../../src/index.js';
import { TOKENPOLL_VERSION } from '../../src/transports/user-agent.js';
import { useEmulator } from '../helpers/use-emulator.js';

const { version } = JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string };
const start = useEmulator();

describe('User-Agent', () => {
  describe("should name tokenpoll by package.json's version", () => {
    test('when the constant the requests use is compared with package.json', () => {
      expect(TOKENPOLL_VERSION).toBe(version);
    });
  });

  describe('should send tokenpoll/<version> on every request, after the client its own product token', () => {
    test('when httpRequest is called without userAgent, with one, and with a user-agent header of its own', async () => {
      // Arrange
      const server = await loopback();

      // Act
      await httpRequest({ url: server.url, method: 'GET' });
      await httpRequest({ url: server.url, method: 'GET', userAgent: 'my-cli/1.2' });
      await httpRequest({ url: server.url, method: 'GET', headers: { 'User-Agent': 'mine/1.0' } });

      // Assert
      expect(server.seen.map((r) => r.userAgent)).toEqual([`tokenpoll/${version}`, `my-cli/1.2 tokenpoll/${version}`, 'mine/1.0']);
    });

    test('when an RFC 8628 login discovers, starts the device authorization and polls', async () => {
      const emulator = await start({ intervalSeconds: 0.01, approveOnPoll: 2 });
      const server = await loopback(emulator.url);
      await loginWithDeviceFlow({ issuer: server.url, clientId: 'tokenpoll-test', userAgent: 'my-cli/1.2' }).result;
      const paths = server.seen.map((r) => r.path);
      expect(paths).toEqual(expect.arrayContaining(['/.well-known/oauth-authorization-server', '/device_authorization', '/token']));
      expect(new Set(server.seen.map((r) => r.userAgent))).toEqual(new Set([`my-cli/1.2 tokenpoll/${version}`]));
    });

    test('when an AWS login registers, starts, polls, and the portal lists the accounts', async () => {
      const emulator = await start({ intervalSeconds: 0.01, autoApproveAfterMs: 0, accounts: [{ accountId: '111111111111', accountName: 'prod', emailAddress: 'p@example.com', roles: ['ReadOnly'] }] });
      const server = await loopback(emulator.url);
      const client = { region: 'us-east-1', userAgent: 'my-cli/1.2' };
      const token = await loginWithAwsSso({ ...client, endpoint: `${server.url}/aws`, startUrl: 'https://d-1234567890.awsapps.com/start', cache: false, scopes: ['sso:account:access'] }).result;
      await awsSsoPortal({ ...client, endpoint: server.url + new URL(emulator.awsPortalEndpoint).pathname, token: token.accessToken }).listAccounts();
      const paths = server.seen.map((r) => r.path);
      expect(paths).toEqual(expect.arrayContaining(['/aws/client/register', '/aws/device_authorization', '/aws/token']));
      expect(paths.some((path) => path.endsWith('/assignment/accounts'))).toBe(true);
      expect(new Set(server.seen.map((r) => r.userAgent))).toEqual(new Set([`my-cli/1.2 tokenpoll/${version}`]));
    });
  });

  describe('should refuse a userAgent that is not product tokens', () => {
    test.each(['', ' my-cli', 'my-cli\r\nX-Evil: 1', 'my-cli  1.2', 'café/1'])('when it is %j', (userAgent) => {
      expect(() => tokenTransport({ tokenEndpoint: 'https://auth.example.com/token', clientId: 'c', deviceCode: 'd', userAgent })).toThrow(ConfigurationError);
      expect(() => loginWithDeviceFlow({ issuer: 'https://auth.example.com', clientId: 'c', userAgent })).toThrow(ConfigurationError);
      expect(() => loginWithAwsSso({ region: 'us-east-1', startUrl: 'https://d-1234567890.awsapps.com/start', userAgent })).toThrow(ConfigurationError);
    });
  });

  describe('should leave User-Agent to the browser', () => {
    test('when navigator.userAgent is a browser’s, no User-Agent is set: the runtime sends its own', async () => {
      const server = await loopback();
      vi.stubGlobal('navigator', { userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36' });
      await httpRequest({ url: server.url, method: 'GET', userAgent: 'my-cli/1.2' });
      expect(server.seen[0]!.userAgent).not.toContain('tokenpoll');
    });
  });
});

// Helpers

const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  vi.unstubAllGlobals();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

interface Seen {
  readonly path: string;
  readonly userAgent: string | undefined;
}

/**
 * A loopback server on a free port that records each request's path and
 * User-Agent. With `target`, it forwards to it and rewrites the target's
 * URL to its own in the answers (discovery metadata names its endpoints);
 * without, it answers `{}`.
 */
async function loopback(target?: string): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  let own = '';
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    seen.push({ path: new URL(req.url ?? '/', 'http://x').pathname, userAgent: req.headers['user-agent'] });
    if (target === undefined) {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      return;
    }
    const forward = httpForward(new URL(req.url ?? '/', target), { method: req.method, headers: { ...req.headers, host: new URL(target).host } }, (answer) => {
      const chunks: Buffer[] = [];
      answer.on('data', (chunk: Buffer) => chunks.push(chunk));
      answer.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8').replaceAll(target, own);
        const headers = { ...answer.headers };
        delete headers['content-length'];
        delete headers['transfer-encoding'];
        res.writeHead(answer.statusCode ?? 502, headers).end(body);
      });
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  own = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  servers.push({ close: () => new Promise<void>((resolve) => server.close(() => resolve())) });
  return { url: own, seen };
}
