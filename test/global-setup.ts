import { spawnSync } from 'node:child_process';
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
  const result = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], { cwd: root, encoding: 'utf8' });
  if (result.status !== 0) process.stderr.write(`global setup: tsc reported errors (dist/ was built anyway):\n${result.stdout}${result.stderr}`);
}
