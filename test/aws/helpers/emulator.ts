import { afterAll } from 'vitest';
import { systemClock, type Clock } from '../../../src/index.js';
import type { Emulator } from '../../../src/testing-emulator.js';

export { useEmulator } from '../../helpers/use-emulator.js';

/** The requests the emulator received, as `METHOD path status` lines, AWS prefix dropped. */
export function requestLog(emulator: Emulator): string[] {
  return emulator.requests.map((r) => `${r.path.replace(/^\/aws/, '')} ${r.status ?? '-'}`);
}

/** One row of the scenario table: measured, never asserted. */
export interface ScenarioRow {
  readonly scenario: string;
  readonly outcome: string;
  readonly requests: string;
  readonly approvalToTokenMs?: number | undefined;
}

/**
 * Collects scenario rows and prints them as a markdown table after the file's
 * tests when TOKENPOLL_SCENARIO_TABLE is set (the figures are for the report;
 * tests never assert wall-clock timings).
 */
export function scenarioTable(title: string): (row: ScenarioRow) => void {
  const rows: ScenarioRow[] = [];
  afterAll(() => {
    if (!process.env['TOKENPOLL_SCENARIO_TABLE']) return;
    const lines = [`\n### ${title}`, '| scenario | outcome | requests | approval → token |', '|---|---|---|---|'];
    for (const row of rows) {
      const ms = row.approvalToTokenMs === undefined ? '–' : `${row.approvalToTokenMs.toFixed(1)} ms`;
      lines.push(`| ${row.scenario} | ${row.outcome} | ${row.requests} | ${ms} |`);
    }
    console.log(lines.join('\n'));
  });
  return (row) => void rows.push(row);
}

/** Summarises requests by path: `register ×1, device_authorization ×1, token ×3 (401 ×1)`. */
export function summarise(emulator: Emulator): string {
  const counts = new Map<string, { total: number; statuses: Map<string, number> }>();
  for (const r of emulator.requests) {
    const name = r.path.replace(/^\/aws\/?/, '').replace('client/register', 'register');
    const entry = counts.get(name) ?? { total: 0, statuses: new Map() };
    entry.total++;
    const status = String(r.status ?? 'none');
    entry.statuses.set(status, (entry.statuses.get(status) ?? 0) + 1);
    counts.set(name, entry);
  }
  return [...counts]
    .map(([name, { total, statuses }]) => {
      const detail = [...statuses].filter(([s]) => s !== '200').map(([s, n]) => `${s}×${n}`).join(' ');
      return `${name} ×${total}${detail ? ` (${detail})` : ''}`;
    })
    .join(', ');
}

/** Resolves after `ms` of real time. */
export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A real clock that runs `factor` times fast: its timers fire early in real time, as on a drifting VM. */
export function fastClock(factor: number): Clock {
  const origin = performance.now();
  return {
    now: () => origin + (performance.now() - origin) * factor,
    wallNow: () => Date.now(),
    setTimeout: (callback, delayMs, options) => systemClock.setTimeout(callback, delayMs / factor, options),
    clearTimeout: (timer) => systemClock.clearTimeout(timer),
  };
}
