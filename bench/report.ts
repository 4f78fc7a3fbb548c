/**
 * What every suite's section of bench/RESULTS.md shares: where the
 * intermediate results go, markdown tables, number formats and statistics.
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the nearest folder up whose package.json is tokenpoll's (this file also runs bundled, from OUT_DIR). */
export const ROOT = findRoot(path.dirname(fileURLToPath(import.meta.url)));

/** Built bench scripts and intermediate results (inside node_modules, so never committed). */
export const OUT_DIR = path.join(ROOT, 'node_modules', '.cache', 'tokenpoll-bench');

/** Where the vitest reporter leaves the samples of suites 3 and 5. */
export const VITEST_SAMPLES_FILE = path.join(OUT_DIR, 'vitest-samples.json');

/** What the vitest reporter writes: every bench task's samples (ms per iteration), by name. */
export interface VitestSamples {
  readonly vitestVersion: string;
  readonly samples: Readonly<Record<string, readonly number[]>>;
}

function findRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'tokenpoll') return dir;
    if (path.dirname(dir) === dir) throw new Error(`no tokenpoll package.json above ${from}`);
  }
}

/** One line naming the machine, for the top of RESULTS.md. */
export function machine(): string {
  const cpus = os.cpus();
  return `${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()} ${os.arch()}`;
}

/**
 * A markdown table. Columns are right-aligned (figures), except the first and
 * any listed in `leftColumns` (text).
 */
export function table(headers: readonly string[], rows: readonly (readonly string[])[], leftColumns: readonly number[] = []): string {
  const align = headers.map((_, i) => (i === 0 || leftColumns.includes(i) ? '---' : '---:'));
  return [headers, align, ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

/** Three significant figures, at most; thousands grouped. */
export function figure(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** `a / b` as a ratio such as `1.25×`, or `n/a`. */
export function ratio(a: number | undefined | null, b: number | undefined | null): string {
  if (a === undefined || a === null || b === undefined || b === null || b === 0) return 'n/a';
  const r = a / b;
  return `${r >= 100 ? r.toFixed(0) : r.toFixed(2)}×`;
}

export function median(values: readonly number[]): number {
  return quantile([...values].sort((a, b) => a - b), 0.5);
}

/** Linear interpolation between the closest ranks of sorted values. */
export function quantile(sorted: readonly number[], q: number): number {
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (position - low);
}

/** The nearest-rank percentile of sorted values. */
export function nearestRank(sorted: readonly number[], q: number): number {
  return sorted[Math.max(0, Math.ceil(sorted.length * q) - 1)]!;
}

/** `met` or `missed`, for a target line. */
export function verdict(met: boolean): string {
  return met ? '**met**' : '**missed**';
}
