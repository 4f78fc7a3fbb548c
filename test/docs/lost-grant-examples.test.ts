/**
 * Every example we publish that reads a token response must be lost-grant
 * safe: a 200 whose body is cut halfway may be a grant the server already
 * issued, so the flow must end LostGrantError after that one request, never
 * send the (consumed) device code again.
 *
 * The examples are found, not listed: every TSDoc `@example` in src/ and
 * every ```ts block of the README that calls `fetch(` in a transport, and
 * every program in examples/ that starts the emulator. Each runs in its own
 * Node process, compiled by esbuild, with `tokenpoll` mapped to the built
 * dist/ (the global setup builds it):
 * - a snippet talks to a loopback server standing in for
 *   `https://auth.example.com`, whose token endpoint cuts its first 200
 *   mid-body (and answers `invalid_grant` to a second request, as a server
 *   whose code was consumed does); the names a snippet takes as given
 *   (`deviceCode`, `tokenUrl`, `body`, `authorization`,
 *   `startDeviceAuthorization()`) are globals set before it runs;
 * - a program in examples/ gets an emulator whose first token answer is the
 *   `lost_body` fault, and reports how many token requests it received.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { transform } from 'esbuild';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');
const dist = (file: string): string => pathToFileURL(join(root, 'dist', file)).href;
const RUN_TIMEOUT_MS = 20_000;
/** A token answer, of which the server sends the first half. */
const TOKEN_BODY = JSON.stringify({ access_token: 'at-docs-example', token_type: 'Bearer', expires_in: 3600 });

interface Example {
  /** Where it comes from: a file, and for snippets which block of it. */
  readonly id: string;
  readonly code: string;
}

/** The snippets known today; any other the search finds runs too. */
const KNOWN_SNIPPETS = ['README.md, "A custom transport", block 1', 'src/flows/device-login.ts, example 1', 'src/transports/read-response.ts, example 1', 'src/transports/types.ts, example 1'];

describe('every published example that reads a token response', () => {
  const snippets = findSnippets();
  const programs = findPrograms();
  let work: string;
  let server: CuttingServer;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'tokenpoll-docs-'));
    await writeFile(join(work, 'runner.mjs'), RUNNER);
    await writeFile(join(work, 'emulator.mjs'), emulatorWithLostBody());
    server = await startCuttingServer();
  });

  afterAll(async () => {
    await server?.close();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  test('should be found: the README blocks, the TSDoc examples and the programs that read one', () => {
    expect(snippets.map((s) => s.id)).toEqual(expect.arrayContaining(KNOWN_SNIPPETS));
    expect(programs.map((p) => p.id)).toEqual(expect.arrayContaining(['examples/custom-transport.ts', 'examples/login-emulator.ts']));
  });

  test.each(snippets.map((s) => [s.id, s] as const))('should end LostGrantError after one token request: %s', async (_, example) => {
    // Arrange
    const file = join(work, `${slug(example.id)}.mjs`);
    await writeFile(file, await compile(withOutcome(example.code.replaceAll('https://auth.example.com', server.url))));
    server.reset();
    // Act
    const { stdout, stderr } = await runNode([join(work, 'runner.mjs'), pathToFileURL(file).href, server.url]);
    // Assert
    const context = `stdout:\n${stdout}\nstderr:\n${stderr}\ncode:\n${example.code}`;
    expect(/^__OUTCOME__ (.*)$/m.exec(stdout)?.[1], context).toBe(JSON.stringify({ name: 'LostGrantError', code: 'ERR_LOST_GRANT' }));
    expect(server.tokenRequests, context).toBe(1);
  });

  test.each(programs.map((p) => [p.id, p] as const))('should end LostGrantError after one token request: %s', async (_, example) => {
    // Arrange
    const file = join(work, `${slug(example.id)}.mjs`);
    await writeFile(file, await compile(example.code, pathToFileURL(join(work, 'emulator.mjs')).href));
    // Act
    const { stdout, stderr } = await runNode([file]);
    // Assert
    const context = `stdout:\n${stdout}\nstderr:\n${stderr}`;
    expect(stdout + stderr, context).toMatch(/LostGrantError|ERR_LOST_GRANT/);
    expect(/^__TOKEN_REQUESTS__ (\d+)$/m.exec(stdout)?.[1], context).toBe('1');
  });
});

// Helpers

/** TSDoc `@example` code in src/ and README ```ts blocks that fetch in a transport. */
function findSnippets(): Example[] {
  const found: Example[] = [];
  const readsTokenResponse = (code: string): boolean => code.includes('fetch(') && /transport/i.test(code);
  for (const file of sourceFiles(join(root, 'src'))) {
    let index = 0;
    for (const [, comment] of readFileSync(file, 'utf8').matchAll(/\/\*\*([\s\S]*?)\*\//g)) {
      const text = comment!.split('\n').map((line) => line.replace(/^\s*\* ?/, '')).join('\n');
      for (const [, code] of text.matchAll(/@example[\s\S]*?```ts\n([\s\S]*?)```/g)) {
        index += 1;
        if (readsTokenResponse(code!)) found.push({ id: `${relative(root, file)}, example ${index}`, code: code! });
      }
    }
  }
  // README blocks are named by the heading they sit under, and their rank there.
  let heading = '';
  let rank = 0;
  for (const [, title, code] of readFileSync(join(root, 'README.md'), 'utf8').matchAll(/^#+ (.+)$|^```ts\n([\s\S]*?)^```/gm)) {
    if (title !== undefined) {
      heading = title;
      rank = 0;
    } else if (readsTokenResponse(code!)) {
      found.push({ id: `README.md, "${heading}", block ${(rank += 1)}`, code: code! });
    } else rank += 1;
  }
  return found;
}

/**
 * The programs in examples/ that log in against the emulator. The fleet's
 * (fleet-bullmq.ts) needs a Redis server; its lost grant is a row of the table
 * test/bullmq/lifecycle-table.test.ts runs on the fleet and on `pollToken` alike.
 */
function findPrograms(): Example[] {
  return readdirSync(join(root, 'examples'))
    .filter((name) => name.endsWith('.ts') && name !== 'fleet-bullmq.ts')
    .map((name) => ({ id: `examples/${name}`, code: readFileSync(join(root, 'examples', name), 'utf8') }))
    .filter((example) => example.code.includes('startEmulator('));
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

/** A snippet, then what its flow ended with: its `poll`, its `login`, or a poll over its `transport`. */
function withOutcome(code: string): string {
  return `${code}
import { pollToken as __pollToken } from 'tokenpoll';
export const __outcome = await (
  typeof poll !== 'undefined' ? poll.result
  : typeof login !== 'undefined' ? login.result
  : __pollToken({ transport, intervalSeconds: 0.01, expiresInSeconds: 60 }).result
).then(() => undefined, (error) => error);
`;
}

/** TypeScript to an ES module, with `tokenpoll` and its subpaths mapped to dist/ (`tokenpoll/testing/emulator` to `emulator`). */
async function compile(code: string, emulator = dist('testing-emulator.js')): Promise<string> {
  const { code: js } = await transform(code, { loader: 'ts', format: 'esm', target: 'node20' });
  const targets: Record<string, string> = {
    tokenpoll: dist('index.js'),
    'tokenpoll/testing': dist('testing.js'),
    'tokenpoll/testing/arbitraries': dist('testing-arbitraries.js'),
    'tokenpoll/testing/emulator': emulator,
  };
  return js.replaceAll(/from\s*["'](tokenpoll(?:\/[\w/]+)?)["']/g, (match, name: string) => (targets[name] === undefined ? match : `from ${JSON.stringify(targets[name])}`));
}

async function runNode(args: readonly string[]): Promise<{ stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env['NODE_OPTIONS'];
  return run(process.execPath, args, { cwd: root, env, timeout: RUN_TIMEOUT_MS }).catch(
    // An example that lets the error escape exits 1: what it printed is what counts.
    (error: { stdout?: string; stderr?: string; killed?: boolean }) => {
      if (error.killed) throw new Error(`killed after ${RUN_TIMEOUT_MS} ms\nstdout:\n${error.stdout}\nstderr:\n${error.stderr}`);
      return { stdout: error.stdout ?? '', stderr: error.stderr ?? '' };
    },
  );
}

function slug(id: string): string {
  return id.replace(/[^A-Za-z0-9]+/g, '-');
}

/** Runs one compiled snippet with the names it takes as given, and prints what its flow ended with. */
const RUNNER = `
const [, , exampleUrl, serverUrl] = process.argv;
Object.assign(globalThis, {
  deviceCode: 'dc-docs-example',
  tokenUrl: serverUrl + '/token',
  body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: 'dc-docs-example', client_id: 'my-cli' }),
  authorization: { device_code: 'dc-docs-example', user_code: 'BCDF-GHJK', verification_uri: serverUrl + '/verify', expires_in: 60, interval: 0.01 },
});
globalThis.startDeviceAuthorization = async () => globalThis.authorization;
let outcome;
try {
  outcome = (await import(exampleUrl)).__outcome;
} catch (error) {
  outcome = error;
}
console.log('__OUTCOME__ ' + JSON.stringify({ name: outcome?.name, code: outcome?.code }));
process.exit(0);
`;

/** tokenpoll/testing/emulator, but every emulator cuts its first token answer mid-body, and says how many token requests it got. */
function emulatorWithLostBody(): string {
  return `
export * from ${JSON.stringify(dist('testing-emulator.js'))};
import { startEmulator as start } from ${JSON.stringify(dist('testing-emulator.js'))};
export async function startEmulator(options) {
  const emulator = await start(options);
  emulator.inject({ type: 'lost_body' });
  return new Proxy(emulator, {
    get(target, key) {
      if (key !== 'close') return Reflect.get(target, key);
      return () => {
        console.log('__TOKEN_REQUESTS__ ' + target.requests.filter((r) => r.path.endsWith('/token')).length);
        return target.close();
      };
    },
  });
}
`;
}

interface CuttingServer {
  readonly url: string;
  /** Token requests received since the last reset. */
  readonly tokenRequests: number;
  /** For the next example: its first token request gets the cut 200 again. */
  reset(): void;
  close(): Promise<void>;
}

/**
 * A loopback server for `https://auth.example.com`: `POST /device` answers a device authorization;
 * any other POST is a token request, whose first answer (since the last reset) is a 200 cut mid-body
 * (Content-Length promises the whole token) and every later one `invalid_grant`, the code having been
 * consumed.
 */
async function startCuttingServer(): Promise<CuttingServer> {
  let tokenRequests = 0;
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url === '/device') {
        const answer = { device_code: 'dc-docs-example', user_code: 'BCDF-GHJK', verification_uri: 'https://auth.example.com/verify', expires_in: 60, interval: 0.01 };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
        return;
      }
      tokenRequests += 1;
      if (tokenRequests > 1) {
        res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"invalid_grant","error_description":"the device code has already been used"}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(TOKEN_BODY)) });
      res.write(TOKEN_BODY.slice(0, TOKEN_BODY.length >> 1), () => res.socket?.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get tokenRequests() {
      return tokenRequests;
    },
    reset: () => {
      tokenRequests = 0;
    },
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
