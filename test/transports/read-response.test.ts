import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { LostGrantError, pollToken, readHttpResponse, type TokenSet } from '../../src/index.js';

let server: Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A token endpoint on 127.0.0.1 that answers each request with the next handler. */
async function tokenEndpoint(handlers: ((res: import('node:http').ServerResponse) => void)[]): Promise<{ url: string; requests: () => number }> {
  let count = 0;
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => handlers[Math.min(count++, handlers.length - 1)]!(res));
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`, requests: () => count };
}

describe('readHttpResponse', () => {
  describe('should keep lost-grant safety over real HTTP', () => {
    test('when the connection drops halfway through a 200, the flow ends with LostGrantError after one request', async () => {
      // Arrange: a 200 with half a token body, then the socket is destroyed.
      const endpoint = await tokenEndpoint([
        (res) => {
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': '200' });
          res.write('{"access_token":"at-secret-');
          setTimeout(() => res.destroy(), 20);
        },
        (res) => res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"invalid_grant"}'),
      ]);
      // Act
      const poll = pollToken({
        transport: async ({ signal }) => readHttpResponse(await fetch(endpoint.url, { method: 'POST', body: 'device_code=dc', signal })),
        firstPoll: 'immediate',
        expiresInSeconds: 60,
      });
      const error = await poll.result.then(() => undefined, (e: unknown) => e);
      // Assert
      expect(error).toBeInstanceOf(LostGrantError);
      expect((error as LostGrantError).status).toBe(200);
      expect(endpoint.requests()).toBe(1);
    });

    test('when the body arrives whole, it is the token', async () => {
      const endpoint = await tokenEndpoint([(res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"access_token":"at-1","token_type":"Bearer"}')]);
      const poll = pollToken({
        transport: async ({ signal }) => readHttpResponse(await fetch(endpoint.url, { method: 'POST', signal })),
        firstPoll: 'immediate',
        expiresInSeconds: 60,
      });
      await expect(poll.result).resolves.toMatchObject({ accessToken: 'at-1', tokenType: 'Bearer' } satisfies Partial<TokenSet>);
    });
  });
});
