// `npm run bench`: builds bench/main.ts and the scripts it runs in child
// processes (Node 20 cannot run TypeScript itself), then runs main, which
// runs every suite and writes bench/RESULTS.md. See the top of bench/main.ts.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const bench = path.dirname(fileURLToPath(import.meta.url));
const outdir = path.join(bench, '..', 'node_modules', '.cache', 'tokenpoll-bench');

await build({
  entryPoints: ['main.ts', 'scale.ts', 'http.ts', 'http-server.ts'].map((file) => path.join(bench, file)),
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

const { status } = spawnSync(process.execPath, [path.join(outdir, 'main.mjs')], { stdio: 'inherit' });
process.exit(status ?? 1);
