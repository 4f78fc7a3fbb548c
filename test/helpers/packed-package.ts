/**
 * The package as a user gets it, shared by the tests that install it
 * (test/packaging, test/runtimes): `npm pack` of a copy of the checkout, and
 * a fresh project that installs the tarball.
 *
 * `npm pack` runs on a copy of the package (package.json, README, LICENSE,
 * tsconfigs and src/, with a link to the repo's node_modules) in the OS temp
 * folder, as on a fresh clone: its prepack cleans and builds there, so the
 * repo's dist/, which other tests run meanwhile, is never rewritten. The
 * tarball is cached under `<os tmp>/tokenpoll-packed/<hash>/`, where the hash
 * covers every file that goes into the build (the checkout files above and
 * package-lock.json, which pins the compiler): test files of one run share one
 * pack, and a changed source packs again.
 *
 * `TOKENPOLL_PACK_CHECKOUT` packs another checkout instead of this one (a
 * `git archive` of a commit, with a `node_modules` link), for a run that must
 * not see uncommitted work.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, cp, mkdir, mkdtemp, readFile, readdir, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

/** The repository. */
export const repoRoot = join(import.meta.dirname, '../..');
/** The checkout that is packed. */
export const packRoot = process.env['TOKENPOLL_PACK_CHECKOUT'] || repoRoot;
/** What a build needs from a checkout (and what may be packed). */
const CHECKOUT = ['package.json', 'README.md', 'LICENSE', 'tsconfig.json', 'tsconfig.build.json', 'src'];
/** Everything that changes the tarball: the checkout, and package-lock.json, which pins the compiler. */
const BUILD_INPUTS = [...CHECKOUT, 'package-lock.json'];
const COMMAND_TIMEOUT_MS = 240_000;
/** The file that marks a finished pack, naming its tarball. */
const DONE = 'tarball.json';
/** A pack lock older than this was left by a worker that died: it is taken over. */
const LOCK_STALE_MS = COMMAND_TIMEOUT_MS + 60_000;
/** Cached tarballs older than this are removed when a new one is packed. */
const CACHE_MAX_AGE_MS = 24 * 3_600_000;

/**
 * The environment of every command: without the `npm_*` variables an
 * enclosing `npm test` sets (its local prefix, package and lifecycle), so
 * each npm sees only its own folder. `NPM_CONFIG_*` set by the user is kept.
 */
export const commandEnv: NodeJS.ProcessEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('npm_'))),
  NO_COLOR: '1',
  NODE_OPTIONS: '',
};

/** What a finished command left. */
export interface CommandResult {
  /** The exit code; null when it was killed (a timeout) or could not start. */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options for {@link command}. */
export interface CommandOptions {
  /** Replaces {@link commandEnv}. */
  readonly env?: NodeJS.ProcessEnv;
  /** @defaultValue 240000 */
  readonly timeoutMs?: number;
}

/** Runs a command to its end; never throws for a non-zero exit (the tests assert the code). */
export function command(file: string, args: readonly string[], cwd: string, options: CommandOptions = {}): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      { cwd, env: options.env ?? commandEnv, timeout: options.timeoutMs ?? COMMAND_TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({ code, stdout, stderr: error !== null && code === null ? `${stderr}\n${error.message}` : stderr });
      },
    );
    child.stdin?.end();
  });
}

/** Runs a command that must succeed, for a setup. */
export async function mustRun(file: string, args: readonly string[], cwd: string, options: CommandOptions = {}): Promise<string> {
  const result = await command(file, args, cwd, options);
  if (result.code !== 0) throw new Error(`${file} ${args.join(' ')} exited ${result.code}:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/** Where packed tarballs are cached. */
const packCache = (): string => process.env['TOKENPOLL_PACK_CACHE'] || join(tmpdir(), 'tokenpoll-packed');

/**
 * Packs the checkout once per build input (see the module comment) and
 * returns the tarball's path. The tarball is shared: read it, never change it.
 * Workers that need the same tarball at once take turns on a lock folder: one
 * packs, the others wait for its tarball (or, if it failed, pack themselves).
 */
export async function packTarball(): Promise<string> {
  const dir = join(packCache(), await buildHash());
  const lock = `${dir}.lock`;
  await mkdir(packCache(), { recursive: true });
  for (;;) {
    if (existsSync(join(dir, DONE))) return tarballIn(dir);
    try {
      await mkdir(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const held = await stat(lock).catch(() => undefined);
    if (held !== undefined && Date.now() - held.mtimeMs > LOCK_STALE_MS) await rm(lock, { recursive: true, force: true });
    else await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const partial = await mkdtemp(join(packCache(), '.partial-'));
  try {
    if (existsSync(join(dir, DONE))) return tarballIn(dir);
    await pruneCache(dir);
    const checkout = join(partial, 'checkout');
    for (const entry of CHECKOUT) if (existsSync(join(packRoot, entry))) await cp(join(packRoot, entry), join(checkout, entry), { recursive: true });
    await symlink(join(repoRoot, 'node_modules'), join(checkout, 'node_modules'), 'dir');
    const packed = JSON.parse(await mustRun('npm', ['pack', '--json', '--pack-destination', partial], checkout)) as [{ filename: string }];
    await rm(checkout, { recursive: true, force: true });
    await writeFile(join(partial, DONE), JSON.stringify({ filename: packed[0].filename }));
    await chmod(partial, 0o755); // mkdtemp made it private; the cache is shared
    await rename(partial, dir);
    return tarballIn(dir);
  } finally {
    await rm(partial, { recursive: true, force: true });
    await rm(lock, { recursive: true, force: true });
  }
}

async function tarballIn(dir: string): Promise<string> {
  return join(dir, (JSON.parse(await readFile(join(dir, DONE), 'utf8')) as { filename: string }).filename);
}

/**
 * Installs the tarball, with its dependencies from the npm registry (cache
 * first), and `extra` packages, into `app`, which must hold a package.json.
 */
export async function installTarball(tarball: string, app: string, extra: readonly string[] = []): Promise<void> {
  await mustRun('npm', ['install', tarball, ...extra, '--no-audit', '--no-fund', '--prefer-offline'], app);
}

/** The version of a package the repo has installed (to install the same one in a fresh project). */
export async function installedVersion(name: string): Promise<string> {
  return (JSON.parse(await readFile(join(repoRoot, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}

async function buildHash(): Promise<string> {
  const hash = createHash('sha256');
  for (const entry of BUILD_INPUTS) {
    const path = join(packRoot, entry);
    if (!existsSync(path)) continue;
    for (const file of await filesUnder(path)) {
      hash.update(`${relative(packRoot, file)}\0`);
      hash.update(await readFile(file));
      hash.update('\0');
    }
  }
  return hash.digest('hex').slice(0, 20);
}

async function filesUnder(path: string): Promise<string[]> {
  if (!(await stat(path)).isDirectory()) return [path];
  const entries = await readdir(path, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name)).sort();
}

/** Removes cached tarballs (and abandoned partial packs) older than a day, except `keep`. */
async function pruneCache(keep: string): Promise<void> {
  const now = Date.now();
  for (const name of await readdir(packCache()).catch(() => [] as string[])) {
    const path = join(packCache(), name);
    if (path === keep) continue;
    const info = await stat(path).catch(() => undefined);
    if (info !== undefined && now - info.mtimeMs > CACHE_MAX_AGE_MS) await rm(path, { recursive: true, force: true });
  }
}
