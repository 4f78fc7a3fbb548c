/**
 * Suite 3 (CPU per poll): the section of bench/RESULTS.md, from the samples
 * of per-poll.bench.ts (ms per flow of POLLS polls).
 */
import { figure, nearestRank, quantile, ratio, table, type VitestSamples } from './report.js';
import { INTERVAL_SECONDS, POLLS, REPORT_ORDER, SCENARIOS, type ScenarioKey } from './scenarios.js';

interface Row {
  readonly key: ScenarioKey;
  readonly medianUs: number;
  readonly p95Us: number;
  readonly samples: number;
}

export function perPollSection(results: VitestSamples): string {
  const rows: Row[] = [];
  for (const key of REPORT_ORDER) {
    const samples = results.samples[SCENARIOS[key].name];
    if (!samples) continue;
    const perPollUs = samples.map((ms) => (ms * 1000) / POLLS).sort((a, b) => a - b);
    rows.push({ key, medianUs: quantile(perPollUs, 0.5), p95Us: nearestRank(perPollUs, 0.95), samples: perPollUs.length });
  }
  const handLoop = rows.find((row) => row.key === 'handLoop')?.medianUs;
  const missing = REPORT_ORDER.filter((key) => !rows.some((row) => row.key === key));
  return [
    '## 3. CPU per poll, on a virtual clock (no target)',
    '',
    `Workload: one flow = ${POLLS} polls (${POLLS - 1} × \`authorization_pending\`, then \`success\`) at an interval of ${INTERVAL_SECONDS} s, from an in-memory transport that answers one microtask later, on a virtual clock (bench/virtual-clock.ts) that jumps to its next timer once the program has been quiet for a few microtask turns, so the time measured is the work of a poll, not its wait. µs/poll = time of one whole flow ÷ ${POLLS}, in one process (one core busy). All rows run in one vitest bench run (bench/per-poll.bench.ts), a fixed number of flows each after warm-up flows. Section 1 gives the same figure at scale, on real timers.`,
    '',
    table(
      ['alternative', 'µs/poll median', 'p95', 'vs hand loop', 'samples'],
      rows.map((row) => [SCENARIOS[row.key].label, figure(row.medianUs), figure(row.p95Us), ratio(row.medianUs, handLoop), String(row.samples)]),
    ),
    ...(missing.length > 0 ? ['', `Not measured in this run: ${missing.map((key) => SCENARIOS[key].label).join(', ')}.`] : []),
    '',
    '<details><summary>What each row does</summary>',
    '',
    ...REPORT_ORDER.map((key) => `- **${SCENARIOS[key].label}**: ${SCENARIOS[key].note}`),
    '',
    'Every waiting row waits on the same virtual clock and checks its final virtual time and transport call count, so a timer fired out of turn fails the run. Each flow also pays its one-off set-up (pollToken, p-retry options), spread over the polls.',
    '',
    '</details>',
  ].join('\n');
}
