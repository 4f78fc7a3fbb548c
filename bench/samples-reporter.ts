/**
 * A vitest benchmark reporter that saves every bench task's raw samples (ms
 * per iteration) to {@link VITEST_SAMPLES_FILE}, for bench/main.ts to turn
 * into the per-poll and throughput sections of bench/RESULTS.md. Needs
 * `benchmark.includeSamples: true` (set in bench/vitest.config.ts).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Reporter, TestModule, Vitest } from 'vitest/node';
import { VITEST_SAMPLES_FILE, type VitestSamples } from './report.js';

/** The parts of a runner task this reporter reads. */
interface BenchTask {
  readonly name: string;
  readonly meta?: { readonly benchmark?: boolean };
  readonly tasks?: readonly BenchTask[];
  readonly result?: { readonly benchmark?: { readonly samples?: readonly number[] } };
}

export default class SamplesReporter implements Reporter {
  #vitest: Vitest | undefined;

  onInit(vitest: Vitest): void {
    this.#vitest = vitest;
  }

  async onTestRunEnd(testModules: ReadonlyArray<TestModule>): Promise<void> {
    const vitest = this.#vitest;
    if (!vitest) return;
    const samples: Record<string, readonly number[]> = {};
    const visit = (task: BenchTask): void => {
      const taskSamples = task.result?.benchmark?.samples;
      if (task.meta?.benchmark && taskSamples && taskSamples.length > 0) samples[task.name] = taskSamples;
      for (const child of task.tasks ?? []) visit(child);
    };
    // The runner tasks hold the benchmark results; TestModule does not expose them publicly.
    for (const file of vitest.state.getFiles(testModules.map((module) => module.moduleId))) visit(file as unknown as BenchTask);
    const result: VitestSamples = { vitestVersion: vitest.version, samples };
    await mkdir(path.dirname(VITEST_SAMPLES_FILE), { recursive: true });
    await writeFile(VITEST_SAMPLES_FILE, JSON.stringify(result));
    vitest.logger.log(`\nSamples of ${Object.keys(samples).length} benchmarks saved to ${path.relative(process.cwd(), VITEST_SAMPLES_FILE)}`);
  }
}
