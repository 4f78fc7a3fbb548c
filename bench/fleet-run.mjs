// `node bench/fleet-run.mjs`: builds bench/fleet.ts, its worker and the token
// endpoint, then runs the fleet suite, which prints a Markdown section for
// bench/RESULTS.md. Needs Debian's redis-server.
import { buildAndRun } from './build-and-run.mjs';

await buildAndRun('tokenpoll-bench-fleet', ['fleet.ts', 'fleet-worker.ts', 'http-server.ts']);
