import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { ConfigurationError, ResponseTooLargeError, assertSecureUrl, classifyHttpResponse, classifyThrown, httpRequest } from '../../src/index.js';

let server: Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<string> {
  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => handler(req, res, body));
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('httpRequest', () => {
  describe('should send the request and read the answer', () => {
    test('when the server answers, status, headers and body come back, and the request went out as given', async () => {
      let seen: { method?: string | undefined; type?: string | undefined; body?: string } = {};
      const url = await serve((req, res, body) => {
        seen = { method: req.method, type: req.headers['content-type'], body };
        res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"authorization_pending"}');
      });
      const answer = await httpRequest({ url: `${url}/token`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1' });
      expect(seen).toEqual({ method: 'POST', type: 'application/x-www-form-urlencoded', body: 'a=1' });
      expect(answer.status).toBe(400);
      expect(classifyHttpResponse(answer, 0)).toEqual({ type: 'authorization_pending' });
    });
  });

  describe('should keep the caller safe', () => {
    test('when the URL is plain http on a non-loopback host, it refuses before sending', async () => {
      await expect(httpRequest({ url: 'http://auth.example.com/token' })).rejects.toBeInstanceOf(ConfigurationError);
      expect(() => assertSecureUrl('ftp://127.0.0.1/')).toThrow(ConfigurationError);
      expect(() => assertSecureUrl('not a url')).toThrow(ConfigurationError);
    });

    test.each(['https://auth.example.com/t', 'http://127.0.0.1:8080/t', 'http://127.9.9.9/t', 'http://localhost/t', 'http://[::1]:3000/t'])('when the URL is %s, it is allowed', (url) => {
      expect(assertSecureUrl(url).href).toBe(new URL(url).href);
    });

    test('when the body is larger than the cap, it is not read whole, and a 200 becomes a lost grant', async () => {
      const url = await serve((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(`{"access_token":"${'x'.repeat(5000)}"}`));
      const answer = await httpRequest({ url, maxBodyBytes: 1000 });
      expect(answer.bodyError).toBeInstanceOf(ResponseTooLargeError);
      expect(classifyHttpResponse(answer, 0)).toMatchObject({ type: 'unreadable_success', status: 200 });
    });

    test('when the body is streamed past the cap without a length, reading stops', async () => {
      const url = await serve((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        for (let i = 0; i < 20; i++) res.write('x'.repeat(1000));
        res.end();
      });
      const answer = await httpRequest({ url, maxBodyBytes: 4096 });
      expect(answer.bodyError).toBeInstanceOf(ResponseTooLargeError);
    });

    test('when a non-2xx body is cut short, it throws (a transient fault), since nothing was granted', async () => {
      const url = await serve((_req, res) => {
        res.writeHead(400, { 'content-type': 'application/json', 'content-length': '100' });
        res.write('{"error":"authoriz');
        setTimeout(() => res.destroy(), 20);
      });
      const error = await httpRequest({ url }).then(() => undefined, (e: unknown) => e);
      expect(classifyThrown(error).type).toBe('network_error');
    });

    test('when the URL carries credentials, it refuses without repeating them', async () => {
      const error = await httpRequest({ url: 'https://cli:S3CRET-PW@auth.example.com/token' }).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigurationError);
      expect(JSON.stringify(error) + String(error)).not.toContain('S3CRET-PW');
    });

    test('when the server never answers, the request times out as a TimeoutError', async () => {
      const url = await serve(() => {});
      const error = await httpRequest({ url, timeoutMs: 50 }).then(() => undefined, (e: unknown) => e);
      expect((error as Error).name).toBe('TimeoutError');
    });

    test('when the caller aborts, the request stops with its reason', async () => {
      const url = await serve(() => {});
      const controller = new AbortController();
      const pending = httpRequest({ url, signal: controller.signal });
      controller.abort(new Error('stop'));
      await expect(pending).rejects.toThrow('stop');
    });
  });
});
