import { spawnSync } from 'node:child_process';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Builds dist/ once before the suite: the CLI, packaging and example tests
 * run the built package as a user would, so `npm test` on a fresh clone
 * works without a separate build step. tsc emits even when it reports type
 * errors; those are reported here and fail `npm run build` and `npm run
 * typecheck`, not this setup.
 */
export default function setup(): void {
  const root = join(import.meta.dirname, '..');
  buildDist(root, (outDir) => {
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    const result = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', outDir], { cwd: root, encoding: 'utf8' });
    if (result.status !== 0) process.stderr.write(`global setup: tsc reported errors (dist/ was built anyway):\n${result.stdout}${result.stderr}`);
  });
}

/**
 * Builds into a fresh sibling folder, then swaps it in for dist/ with two
 * renames, so nothing ever writes into dist/ file by file: an `npm pack`
 * (whose prepack empties dist/ and rebuilds it) running beside the tests no
 * longer meets tsc's files appearing under its `rm -r` (`ENOTEMPTY`), and a
 * test never sees half a build. The renames are on one file system, so each
 * is atomic; dist/ is missing only between the two.
 */
export function buildDist(root: string, compile: (outDir: string) => void): void {
  const fresh = join(root, `.dist-build-${process.pid}`);
  const old = join(root, `.dist-old-${process.pid}`);
  rmSync(fresh, { recursive: true, force: true });
  try {
    compile(fresh);
    if (existsSync(join(root, 'dist'))) renameSync(join(root, 'dist'), old);
    renameSync(fresh, join(root, 'dist'));
  } finally {
    rmSync(fresh, { recursive: true, force: true });
    rmSync(old, { recursive: true, force: true });
  }
}
