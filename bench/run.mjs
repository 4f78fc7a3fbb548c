// `npm run bench`: builds bench/main.ts and the scripts it runs in child
// processes, then runs main, which runs every suite and writes
// bench/RESULTS.md. See the top of bench/main.ts.
import { buildAndRun } from './build-and-run.mjs';

await buildAndRun('tokenpoll-bench', ['main.ts', 'scale.ts', 'http.ts', 'http-server.ts']);
