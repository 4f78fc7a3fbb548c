/**
 * Two processes refresh one cache file at once. The worker is bundled with
 * esbuild (a development dependency) into a temporary .mjs, so each child runs
 * the library's source as plain Node. Each child waits for a "go" file, so
 * both ask for a token at the same moment.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readSsoTokenCache } from '../../src/node.js';
import { refreshCount, writeSession } from '../helpers/aws-session.js';
import { useTempDirs } from '../helpers/use-temp-dirs.js';
import { useEmulator } from '../helpers/use-emulator.js';

const start = useEmulator();
const tempDir = useTempDirs();
let bundleDir: string;
let worker: string;

beforeAll(async () => {
  bundleDir = await mkdtemp(join(tmpdir(), 'tokenpoll-worker-'));
  worker = join(bundleDir, 'refresh-worker.mjs');
  await build({ entryPoints: [join(import.meta.dirname, 'fixtures/refresh-worker.ts')], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: worker, logLevel: 'silent' });
});
afterAll(async () => {
  await rm(bundleDir, { recursive: true, force: true });
});

describe('createSsoTokenSource across processes', () => {
  describe('should keep one valid cache file with the newest token', () => {
    test('when two processes find the token near expiry and refresh at the same moment, CreateToken is called once', async () => {
      const emulator = await start({ intervalSeconds: 0.01, autoApproveAfterMs: 0 });
      const cacheDir = await tempDir();
      const { path, entry } = await writeSession(emulator, cacheDir, { wallNow: Date.now }, 60_000);
      const goFile = join(cacheDir, 'go');
      const children = [0, 1].map(() => spawn(process.execPath, [worker, cacheDir, emulator.awsEndpoint, goFile], { stdio: ['ignore', 'pipe', 'pipe'] }));
      try {
        const outputs = children.map(collect);
        await Promise.all(outputs.map((output) => output.ready));
        await writeFile(goFile, '');
        const results = await Promise.all(outputs.map((output) => output.done));

        const written = await readSsoTokenCache(path);
        const newest = createHash('sha256').update(written!.accessToken).digest('hex');
        expect(results).toEqual([{ code: 0, result: { token: newest } }, { code: 0, result: { token: newest } }]);
        expect(written!.accessToken).not.toBe(entry.accessToken);
        expect(refreshCount(emulator)).toBe(1);
        expect((await stat(path)).mode & 0o777).toBe(0o600);
        // The cache file alone: no lock or temporary file left behind, and the refresh record is in tokenpoll's own folder beside it.
        expect((await readdir(cacheDir)).filter((name) => name !== 'go')).toEqual([path.split('/').pop()]);
        expect(await readdir(join(cacheDir, '..', 'tokenpoll'))).toEqual([`${path.split('/').pop()!}.refresh`]);
      } finally {
        for (const child of children) if (child.exitCode === null) child.kill();
      }
    });
  });

  describe('should report a worker that dies before it is ready', () => {
    test('when the child exits at once, ready rejects with its exit code and stderr instead of waiting for the test timeout', async () => {
      const child = spawn(process.execPath, ['-e', 'console.error("no bundle"); process.exit(3)'], { stdio: ['ignore', 'pipe', 'pipe'] });
      await expect(collect(child).ready).rejects.toThrow(/code 3.*no bundle/s);
    });

    test('when the child cannot start, ready rejects with the spawn error', async () => {
      const child = spawn(join(bundleDir, 'missing-executable'), [], { stdio: ['ignore', 'pipe', 'pipe'] });
      await expect(collect(child).ready).rejects.toMatchObject({ code: 'ENOENT' });
    });
  });
});

// Helpers

/** A child's `ready` line (rejected when it ends or fails to start first), then its exit code and last JSON line. */
function collect(child: ChildProcess): { ready: Promise<void>; done: Promise<{ code: number | null; result: unknown }> } {
  let stdout = '';
  let stderr = '';
  let onReady: () => void;
  let onNotReady: (error: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    onReady = resolve;
    onNotReady = reject;
  });
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (stdout.includes('ready\n')) onReady();
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.on('error', (error) => onNotReady(error));
  child.on('close', (code) => onNotReady(new Error(`worker ended (code ${String(code)}) before it was ready; stdout ${JSON.stringify(stdout)}; stderr ${stderr}`)));
  const done = new Promise<{ code: number | null; result: unknown }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      const last = stdout.trim().split('\n').at(-1) ?? '';
      if (!last.startsWith('{')) return reject(new Error(`worker printed ${JSON.stringify(stdout)}; stderr ${stderr}`));
      resolve({ code, result: JSON.parse(last) as unknown });
    });
  });
  // Whoever awaits `ready` sees a failure first; `done` then goes unawaited.
  done.catch(() => undefined);
  return { ready, done };
}
