/**
 * A raw HTTP/1.1 server on node:net that drops connections on purpose, to
 * measure what a runtime's fetch does then: does one fetch call send one
 * request, or does it re-send it on a new connection without a word? It
 * counts every request and the connection it came on, which no HTTP client
 * library between the two could hide.
 *
 * Paths (`<id>` names one trial):
 * - `GET /warm/<id>`: 200, kept alive, so the next request can reuse the connection.
 * - `/reset/<id>`: the first request is read whole, then the connection is reset (RST).
 * - `/close/<id>`: the first request is read whole, then the connection is closed (FIN), no answer.
 * - `/reset2/<id>`: as `/reset/`, for the first two requests.
 * Any later request on a fault path gets 200 with `Connection: close`.
 */
import { createServer, type Socket } from 'node:net';

/** One request the server read. */
interface SeenRequest {
  readonly method: string;
  readonly fault: string;
  readonly id: string;
  readonly connection: number;
}

/** What the server saw for one trial. */
export interface DropTrialCount {
  /** Requests that reached the fault path: 1 means fetch sent it once. */
  readonly requests: number;
  /** The distinct connections they came on. */
  readonly connections: number;
  /** The first one came on the connection the warm-up request had opened (a reused connection). */
  readonly reusedWarmConnection: boolean;
}

/** A running drop server. */
export interface DropServer {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** The counts for a trial. */
  count(id: string): DropTrialCount;
  /** Destroys every connection and closes the server. */
  close(): Promise<void>;
}

const FAULTS: Readonly<Record<string, { readonly drop: (socket: Socket) => void; readonly times: number }>> = {
  reset: { drop: (socket) => socket.resetAndDestroy(), times: 1 },
  close: { drop: (socket) => socket.destroy(), times: 1 },
  reset2: { drop: (socket) => socket.resetAndDestroy(), times: 2 },
};

/** Starts a drop server on 127.0.0.1, on a free port. */
export async function startDropServer(): Promise<DropServer> {
  const seen: SeenRequest[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer((socket) => {
    const connection = ++connections;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end === -1) return;
        const head = buffer.subarray(0, end).toString('latin1');
        const length = Number(/^content-length:\s*(\d+)/im.exec(head)?.[1] ?? 0);
        if (buffer.byteLength < end + 4 + length) return;
        buffer = buffer.subarray(end + 4 + length);
        const [method = '', target = ''] = head.split(' ');
        const [, fault = '', id = ''] = target.split('/');
        seen.push({ method, fault, id, connection });
        const rule = FAULTS[fault];
        if (rule !== undefined && seen.filter((request) => request.fault === fault && request.id === id).length <= rule.times) {
          rule.drop(socket);
          return;
        }
        const keepAlive = fault === 'warm';
        socket.write(`HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n${keepAlive ? '' : 'connection: close\r\n'}\r\nok`);
        if (!keepAlive) socket.end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the drop server has no port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    count(id) {
      const warm = seen.find((request) => request.fault === 'warm' && request.id === id);
      const faulted = seen.filter((request) => request.fault !== 'warm' && request.id === id);
      return {
        requests: faulted.length,
        connections: new Set(faulted.map((request) => request.connection)).size,
        reusedWarmConnection: warm !== undefined && faulted[0]?.connection === warm.connection,
      };
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
