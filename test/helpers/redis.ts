/**
 * A Redis server for tests: Debian's `redis-server` (never one a test tool
 * downloads), started on a free loopback port with persistence off, and
 * stopped afterwards.
 *
 * When the binary is missing, `redisMissing` says why, and tests skip with
 * that reason; under CI (`CI` set) it is `undefined`, so the tests run and
 * fail loudly instead, since `.ci/run` installs the package.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, Socket } from 'node:net';

/** Debian's Redis server (`apt-get install redis-server`). */
export const REDIS_SERVER_PATH = '/usr/bin/redis-server';

/** Why Redis tests must skip here, or `undefined` when they run (Redis present, or CI, where its absence is a failure). */
export const redisMissing: string | undefined =
  existsSync(REDIS_SERVER_PATH) || process.env['CI'] ? undefined : `no Redis at ${REDIS_SERVER_PATH} (install Debian's redis-server package; .ci/run does)`;

/** A running Redis server of a test's own. */
export interface TestRedis {
  /** `127.0.0.1`. */
  readonly host: string;
  /** The port it listens on. */
  readonly port: number;
  /** Its process id (for SIGSTOP / SIGCONT in fault tests). */
  readonly pid: number;
  /** Pauses the server (SIGSTOP): connections stay open, nothing answers. */
  pause(): void;
  /** Resumes a paused server (SIGCONT). */
  resume(): void;
  /** Stops the server (resuming it first if paused) and waits for it to exit. Safe to call twice. */
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts `redis-server` on a free 127.0.0.1 port, with no RDB snapshots and
 * no append-only file, and waits until it accepts connections.
 * @throws when the binary is missing or the server does not come up.
 */
export async function startRedis(): Promise<TestRedis> {
  if (!existsSync(REDIS_SERVER_PATH)) throw new Error(`no Redis at ${REDIS_SERVER_PATH}: install Debian's redis-server package (.ci/run does when run as root)`);
  const port = await freePort();
  const child = spawn(REDIS_SERVER_PATH, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no', '--loglevel', 'warning'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitForPort(port, child);
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    throw new Error(`redis-server did not start on port ${port}: ${(error as Error).message}\n${output}`);
  }
  return redisHandle(child, port, exited);
}

function redisHandle(child: ChildProcess, port: number, exited: Promise<void>): TestRedis {
  let stopped = false;
  return {
    host: '127.0.0.1',
    port,
    pid: child.pid!,
    pause: () => void child.kill('SIGSTOP'),
    resume: () => void child.kill('SIGCONT'),
    async stop() {
      if (!stopped) {
        stopped = true;
        child.kill('SIGCONT');
        child.kill('SIGKILL');
      }
      await exited;
    },
  };
}

async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  const until = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`it exited with code ${child.exitCode}`);
    if (await answersPing(port)) return;
    if (Date.now() > until) throw new Error('no answer to PING within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('error', () => done(false));
    socket.setTimeout(500, () => done(false));
    socket.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
    socket.on('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}
