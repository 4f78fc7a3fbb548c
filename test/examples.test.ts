/**
 * Every script in examples/ runs as a user would run it: compiled by tsc
 * (with the parts of src/ it imports) into a temp folder inside the repo, so
 * fast-check and the dependencies resolve from ./node_modules, then run by
 * Node as its own process. The examples import 'tokenpoll' and
 * 'tokenpoll/testing' by name; a package.json named tokenpoll in the temp
 * folder maps those names to the compiled src/ (a package self-reference),
 * so the run needs no `npm run build` and never sees a stale dist/.
 *
 * Each example must type-check, exit 0 within its time limit, print its
 * expected lines and nothing on stderr, and print no secret.
 * Build: `.tmp-examples/run-*` in the repo, removed after the run.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..');
const RUN_TIMEOUT_MS = 20_000;

/** What each example must print (stdout), one pattern per line that must appear. */
const EXPECTED: Readonly<Record<string, readonly RegExp[]>> = {
  'login-emulator': [
    /^Open http:\/\/127\.0\.0\.1:\d+\/device and enter [B-Z]{4}-[B-Z]{4} \(valid for 10 min\)$/m,
    /^poll 1: authorization pending$/m,
    /^granted: a Bearer token for 3600 s, with a refresh token: true$/m,
  ],
  events: [
    /state +pending -> retrying$/m,
    /retry +server_error 502: waiting \d+ ms, 9 retries left$/m,
    /retry +network_error: waiting \d+ ms, 8 retries left$/m,
    /retry +rate_limited 429: waiting 1000 ms, 7 retries left$/m,
    /state +retrying -> pending$/m,
    /state +pending -> granted$/m,
    // Three faults, one pending, then the grant: the emulator approves at the second poll that reaches the code.
    /granted +after 5 requests$/m,
  ],
  'custom-transport': [
    /^Open http:\/\/127\.0\.0\.1:\d+\/device and enter [B-Z]{4}-[B-Z]{4}$/m,
    /^request 1: authorization pending$/m,
    /^granted: a Bearer token, expires in 3600 s$/m,
  ],
  'testing-virtual-clock': [
    /^driver: requests at 5 s, 10 s, 20 s, 30 s; granted$/m,
    /^simulateFlow: \d+ polls, then expired at 900 s$/m,
    /^property: 50 random server behaviours/m,
  ],
  'aws-sso-emulator': [
    /^login 1: approve [B-Z]{4}-[B-Z]{4} at http:\/\/127\.0\.0\.1:\d+\//m,
    /^login 1: granted for https:\/\/d-1234567890\.awsapps\.com\/start in eu-west-1, expires \d{4}-\d\d-\d\dT[\d:.]+Z; RegisterClient calls so far: 1$/m,
    /^login 2: granted .*; RegisterClient calls so far: 1$/m,
  ],
  'fleet-bullmq': [
    /^approve-me: enter [B-Z]{4}-[B-Z]{4} at http:\/\/127\.0\.0\.1:\d+\/device$/m,
    /^worker [12]: approve-me granted a Bearer token$/m,
    /^approve-me: granted after \d+ polls$/m,
    /^deny-me: denied after \d+ polls$/m,
    /^cancel-me: cancelled after \d+ polls?$/m,
  ],
  'snapshot-resume': [
    /^process 1: open http:\/\/127\.0\.0\.1:\d+\/device and enter [B-Z]{4}-[B-Z]{4}$/m,
    /^process 1: snapshot sealed and saved; polling stops here$/m,
    /^process 2: resumed [B-Z]{4}-[B-Z]{4} \(resumed: true\)$/m,
    /^process 2: granted a Bearer token for 3600 s$/m,
    /^same code in both processes: true$/m,
  ],
};

/** What the emulator's secrets look like: access tokens, AWS client secrets, and 256-bit device codes and refresh tokens. */
const SECRETS = [/\bat-[0-9a-f]{8}-/, /aws-at-/, /aws-secret-/, /[A-Za-z0-9_-]{40,}/];

describe('examples', () => {
  let work: string;
  let compiled: Promise<void>;

  beforeAll(async () => {
    await mkdir(join(root, '.tmp-examples'), { recursive: true });
    work = await mkdtemp(join(root, '.tmp-examples', 'run-'));
    await writeFile(
      join(work, 'tsconfig.json'),
      JSON.stringify({
        extends: join(root, 'tsconfig.json'),
        compilerOptions: { noEmit: false, rootDir: root, outDir: work, sourceMap: false },
        include: [join(root, 'examples')],
      }),
    );
    await writeFile(
      join(work, 'package.json'),
      JSON.stringify({ name: 'tokenpoll', type: 'module', exports: { '.': './src/index.js', './testing': './src/testing.js', './testing/arbitraries': './src/testing-arbitraries.js', './testing/emulator': './src/testing-emulator.js', './node': './src/node.js', './bullmq': './src/bullmq.js' } }),
    );
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    compiled = run(process.execPath, [tsc, '-p', join(work, 'tsconfig.json')], { cwd: root }).then(
      () => {},
      (error: { stdout?: string }) => {
        throw new Error(`tsc failed on examples/:\n${error.stdout ?? String(error)}`);
      },
    );
    compiled.catch(() => {}); // reported by each test
  }, 120_000);

  afterAll(async () => {
    if (work !== undefined) await rm(work, { recursive: true, force: true });
    await rmdir(join(root, '.tmp-examples')).catch(() => {}); // only when empty: another run may be using it
  });

  test('should cover every example in examples/', async () => {
    const files = (await readdir(join(root, 'examples'))).filter((name) => name.endsWith('.ts')).map((name) => name.slice(0, -3));
    expect(files.sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  test.each(Object.entries(EXPECTED))('should run %s and print what it promises', async (name, patterns) => {
    await compiled;
    const script = join(work, 'examples', `${name}.js`);
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
    delete env['NODE_OPTIONS'];
    const { stdout, stderr } = await run(process.execPath, [script], { cwd: root, env, timeout: RUN_TIMEOUT_MS }).catch(
      (error: { code?: number; signal?: string; stdout?: string; stderr?: string }) => {
        throw new Error(`${name} exited ${error.code} (signal ${error.signal})\nstdout:\n${error.stdout}\nstderr:\n${error.stderr}`);
      },
    );
    const context = `stdout:\n${stdout}\nstderr:\n${stderr}`;
    for (const pattern of patterns) expect(stdout, context).toMatch(pattern);
    expect(stderr, context).toBe('');
    for (const secret of SECRETS) expect(stdout, context).not.toMatch(secret);
  }, 150_000);
});
