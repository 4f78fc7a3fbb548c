// What `npm run bench` (bench/run.mjs) and the fleet suite (bench/fleet-run.mjs) share: build some of
// bench/*.ts with esbuild (Node 20 cannot run TypeScript itself) into node_modules/.cache/<cache>/, then
// run the first of them and exit with its status.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const bench = path.dirname(fileURLToPath(import.meta.url));

/** Builds `entries` (file names in bench/; the first is the one run) and runs the first. */
export async function buildAndRun(cache, entries) {
  const outdir = path.join(bench, '..', 'node_modules', '.cache', cache);
  await build({
    entryPoints: entries.map((file) => path.join(bench, file)),
    bundle: true,
    // Packages stay imports, resolved from the repository's node_modules.
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outdir,
    outExtension: { '.js': '.mjs' },
    logLevel: 'warning',
  });
  const { status } = spawnSync(process.execPath, [path.join(outdir, entries[0].replace(/\.ts$/, '.mjs'))], { stdio: 'inherit' });
  process.exit(status ?? 1);
}
