import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import PerPollReporter from './per-poll-reporter.js';

/** The benchmark config: `npm run bench` (vitest bench --run --config bench/vitest.config.ts). */
export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    benchmark: {
      include: ['bench/**/*.bench.ts'],
      // The reporter needs the raw per-flow samples for median and p95.
      includeSamples: true,
      reporters: ['default', new PerPollReporter()],
    },
  },
});
