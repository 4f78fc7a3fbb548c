/**
 * Suite 6 (HTTP), the server: a loopback token endpoint that answers every
 * POST with RFC 8628's `authorization_pending` (400, JSON), and counts them.
 * `GET /count` returns the count without adding to it. Run in its own
 * process by bench/http.ts, so the server and the client each have a core.
 * It prints its port on stdout and exits when its stdin closes.
 */
import http from 'node:http';

const BODY = JSON.stringify({ error: 'authorization_pending', error_description: 'The user has not yet approved the request' });
const HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': String(Buffer.byteLength(BODY)) };

let polls = 0;
const server = http.createServer((request, response) => {
  if (request.method === 'GET' && request.url === '/count') {
    response.end(String(polls));
    return;
  }
  polls++;
  request.resume();
  request.on('end', () => {
    response.writeHead(400, HEADERS);
    response.end(BODY);
  });
});
// Both clients keep their connections (undici's default keep-alive); the server must not drop them between runs.
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${typeof address === 'object' && address ? address.port : 0}\n`);
});
process.stdin.resume();
process.stdin.on('end', () => {
  server.closeAllConnections();
  server.close();
  process.stdin.pause();
});
