import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterEach } from 'vitest';

/** What a hostile server answers one request with: a status, a JSON body, extra headers. */
export interface HostileAnswer {
  readonly status?: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** A route: the request's path (no query), how many times this path was asked (from 1), and the server's own URL. */
export type HostileRoute = (path: string, count: number, url: string) => HostileAnswer | undefined;

/** A server on 127.0.0.1 that answers whatever the test says, escape sequences included. */
export interface HostileServer {
  readonly url: string;
  readonly paths: string[];
}

/**
 * Starts servers on 127.0.0.1 (a free port) that answer from `route` (404
 * when it returns undefined); each is closed after its test.
 */
export function useHostileServers(): (route: HostileRoute) => Promise<HostileServer> {
  const started: Server[] = [];
  afterEach(async () => {
    await Promise.all(
      started.splice(0).map(
        (server) =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          }),
      ),
    );
  });
  return async (route) => {
    const paths: string[] = [];
    const counts = new Map<string, number>();
    let url = '';
    const server = createServer((request: IncomingMessage, response: ServerResponse) => {
      request.resume();
      request.once('end', () => {
        const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
        paths.push(path);
        const count = (counts.get(path) ?? 0) + 1;
        counts.set(path, count);
        const answer = route(path, count, url);
        if (answer === undefined) {
          response.writeHead(404).end();
          return;
        }
        response.writeHead(answer.status ?? 200, { 'content-type': 'application/json', connection: 'close', ...answer.headers }).end(JSON.stringify(answer.body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    started.push(server);
    const { port } = server.address() as { port: number };
    url = `http://127.0.0.1:${port}`;
    return { url, paths };
  };
}

/**
 * An RFC 8628 server: discovery metadata at its issuer, a device
 * authorization answer with `authorization`'s members, and `token(count)`
 * at the token endpoint.
 */
export function rfc8628Routes(authorization: Readonly<Record<string, unknown>>, token: (count: number) => HostileAnswer, metadata: Readonly<Record<string, unknown>> = {}): HostileRoute {
  return (path, count, url) => {
    if (path === '/.well-known/oauth-authorization-server') {
      return { body: { issuer: url, device_authorization_endpoint: `${url}/device_authorization`, token_endpoint: `${url}/token`, ...metadata } };
    }
    if (path === '/device_authorization') {
      return { body: { device_code: 'dc-secret-value', user_code: 'WDJB-MJHT', verification_uri: `${url}/device`, expires_in: 600, interval: 0.05, ...authorization } };
    }
    if (path === '/token') return token(count);
    return undefined;
  };
}
