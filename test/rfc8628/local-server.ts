import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the local server received. */
export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
  readonly form: Record<string, string>;
}

/** What a handler answers: a canned reply, or `'hang'` (never answers), or it writes to `res` itself. */
export type Reply =
  | { readonly status: number; readonly body?: string | object; readonly headers?: Record<string, string> }
  | 'hang'
  | ((res: ServerResponse) => void);

export interface LocalServer {
  readonly url: string;
  readonly requests: SeenRequest[];
  /** Requests whose connection closed before an answer was written. */
  readonly aborted: SeenRequest[];
  close(): Promise<void>;
}

/** A node:http server on 127.0.0.1:0 for exact wire checks; `handle` picks each reply. */
export async function startLocalServer(handle: (request: SeenRequest, index: number) => Reply): Promise<LocalServer> {
  const requests: SeenRequest[] = [];
  const aborted: SeenRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://local');
      const seen: SeenRequest = {
        method: req.method ?? '',
        path: url.pathname,
        headers: req.headers,
        body,
        form: Object.fromEntries(new URLSearchParams(body)),
      };
      requests.push(seen);
      res.on('close', () => {
        if (!res.writableFinished) aborted.push(seen);
      });
      const reply = handle(seen, requests.length - 1);
      if (reply === 'hang') return;
      if (typeof reply === 'function') return reply(res);
      const text = typeof reply.body === 'string' ? reply.body : reply.body === undefined ? '' : JSON.stringify(reply.body);
      const type = typeof reply.body === 'object' ? { 'content-type': 'application/json' } : {};
      res.writeHead(reply.status, { ...type, ...reply.headers });
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    aborted,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
