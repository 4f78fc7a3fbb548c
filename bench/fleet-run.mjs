// `node bench/fleet-run.mjs`: builds bench/fleet.ts and its worker with esbuild
// (Node 20 cannot run TypeScript itself), then runs the fleet suite, which
// prints a Markdown section for bench/RESULTS.md. Needs Debian's redis-server.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const bench = path.dirname(fileURLToPath(import.meta.url));
const outdir = path.join(bench, '..', 'node_modules', '.cache', 'tokenpoll-bench-fleet');

await build({
  entryPoints: ['fleet.ts', 'fleet-worker.ts', 'http-server.ts'].map((file) => path.join(bench, file)),
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

const { status } = spawnSync(process.execPath, [path.join(outdir, 'fleet.mjs')], { stdio: 'inherit' });
process.exit(status ?? 1);
