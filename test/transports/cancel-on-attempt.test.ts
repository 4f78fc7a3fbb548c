import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { PollCancelledError, pollToken, tokenTransport } from '../../src/index.js';

// The machine asks for a request right after the `attempt` event; a listener that cancels there makes the driver
// abort that request with the caller's reason in the same synchronous run. Over fetch, that request never reaches the server.
describe('tokenTransport over fetch', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
    server = undefined;
  });

  test('when a listener cancels during the attempt event, the server never receives that request', async () => {
    // Arrange: a loopback token endpoint that counts what reaches it.
    const seen: string[] = [];
    server = createServer((request, response) => {
      seen.push(`${request.method} ${request.url}`);
      response.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"authorization_pending"}');
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const transport = tokenTransport({ tokenEndpoint: `${base}/token`, clientId: 'cli', deviceCode: 'device-code-secret' });
    const poll = pollToken({ transport, expiresInSeconds: 600, firstPoll: 'immediate', unref: true });
    const reason = new Error('stop');
    poll.on('attempt', () => poll.cancel(reason));

    // Act
    const error = await poll.result.then(
      () => undefined,
      (e: unknown) => e,
    );
    // A request sent after the cancel settled: once it has been answered, anything sent before it has arrived too.
    const sentinel = await fetch(`${base}/sentinel`, { method: 'POST' });
    await sentinel.arrayBuffer();

    // Assert
    expect(error).toBeInstanceOf(PollCancelledError);
    expect((error as PollCancelledError).cause).toBe(reason);
    expect(seen).toEqual(['POST /sentinel']);
  });
});
