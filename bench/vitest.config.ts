import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import SamplesReporter from './samples-reporter.js';

/**
 * The config of the vitest part of the benchmarks (suites 3 and 5). `npm run
 * bench` (bench/run.mjs) runs it, then the other suites, then writes
 * bench/RESULTS.md.
 */
export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    // One bench file at a time: on a small machine, files measured side by side slow each other down.
    fileParallelism: false,
    benchmark: {
      include: ['bench/**/*.bench.ts'],
      // The reporter needs the raw samples for medians and percentiles.
      includeSamples: true,
      reporters: ['default', new SamplesReporter()],
    },
  },
});
