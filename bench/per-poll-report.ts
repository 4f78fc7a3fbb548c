/**
 * Suite 1 (cost per poll): the section of bench/RESULTS.md, from the samples
 * of per-poll.bench.ts (ms per flow of POLLS polls).
 */
import { figure, nearestRank, quantile, ratio, table, verdict, type VitestSamples } from './report.js';
import { INTERVAL_SECONDS, POLLS, REPORT_ORDER, SCENARIOS, type ScenarioKey } from './scenarios.js';

interface Row {
  readonly key: ScenarioKey;
  readonly medianUs: number;
  readonly p95Us: number;
  readonly samples: number;
}

/** The per-poll target: tokenpoll within this factor of the hand loop, on the same virtual clock. */
const TARGET_RATIO = 1.2;

export function perPollSection(results: VitestSamples): string {
  const rows: Row[] = [];
  for (const key of REPORT_ORDER) {
    const samples = results.samples[SCENARIOS[key].name];
    if (!samples) continue;
    const perPollUs = samples.map((ms) => (ms * 1000) / POLLS).sort((a, b) => a - b);
    rows.push({ key, medianUs: quantile(perPollUs, 0.5), p95Us: nearestRank(perPollUs, 0.95), samples: perPollUs.length });
  }
  const median = (key: ScenarioKey): number | undefined => rows.find((row) => row.key === key)?.medianUs;
  const handLoop = median('handLoop');
  const tokenpoll = median('tokenpoll');
  const measured = tokenpoll !== undefined && handLoop !== undefined;
  const met = measured && tokenpoll / handLoop <= TARGET_RATIO;
  const missing = REPORT_ORDER.filter((key) => median(key) === undefined);
  return [
    '## 1. Cost per poll: tokenpoll vs a hand loop, p-retry and cockatiel',
    '',
    `Workload: one flow = ${POLLS} polls (${POLLS - 1} × \`authorization_pending\`, then \`success\`) at an interval of ${INTERVAL_SECONDS} s, from an in-memory transport that answers one microtask later. µs/poll = time of one whole flow ÷ ${POLLS}. All alternatives run in one vitest bench run (bench/per-poll.bench.ts); each row is a fixed number of flows after warm-up flows.`,
    '',
    table(
      ['alternative', 'µs/poll median', 'p95', 'ratio vs hand loop', 'samples'],
      rows.map((row) => [SCENARIOS[row.key].label, figure(row.medianUs), figure(row.p95Us), ratio(row.medianUs, handLoop), String(row.samples)]),
    ),
    ...(missing.length > 0 ? ['', `Not measured in this run: ${missing.map((key) => SCENARIOS[key].label).join(', ')}.`] : []),
    '',
    `Like-for-like ratios: tokenpoll vs the hand loop, both on ManualClock.runUntilSettled: ${ratio(median('tokenpollManual'), median('handLoopManual'))}; p-retry vs the hand loop, both with no sleep: ${ratio(median('pRetry'), median('handLoopNoSleep'))}; p-retry with the sleep inside the attempt vs the hand loop: ${ratio(median('pRetrySleep'), handLoop)}.`,
    '',
    `**Target: within ${TARGET_RATIO}× of the hand loop.** ${measured ? `tokenpoll costs ${ratio(tokenpoll, handLoop)} the hand loop on the same virtual clock: ${verdict(met)}.` : 'Not measured in this run.'}`,
    '',
    met
      ? 'What is left of the gap: the driver does work the hand loop does not (two transitions per poll, lifecycle events built as plain objects, a request-timeout wake-up, a classifier, a cancellable result).'
      : 'Where the rest goes, and what would close the gap: both loops pay the same microtask turns on the virtual clock. On top of them, per poll the driver runs two steps of the state machine (timer, then answer) where the hand loop runs one `switch`; since the last pass these write into a reused effects buffer, update the driver\'s own state in place and build no event payloads when nobody listens, so what each step still allocates is its input, its `request` and `schedule` effects, the request context, the transport answer and the classifier\'s context. The driver also sets and clears a request-timeout wake-up on the clock, a second timer per poll that the hand loop does not have. What would close most of the rest: leaving out the request-timeout wake-up when the transport enforces its own timeout (an option, since a hung request must still end), and, beyond that, a fused timer-and-answer step that the pure `transition()` API cannot express without a second implementation of the rules.',
    '',
    '<details><summary>What each row does, and notes</summary>',
    '',
    ...REPORT_ORDER.map((key) => `- **${SCENARIOS[key].label}**: ${SCENARIOS[key].note}`),
    '',
    '- Virtual clock: `bench/virtual-clock.ts` (VirtualClock) for the main rows, not ManualClock. ManualClock.runUntilSettled waits one `setImmediate` per timer, i.e. one event-loop turn per poll, and that turn would be charged to every poll; the two ManualClock rows show how much it is. VirtualClock jumps to its next timer once the program has been quiet for a few microtask turns; the hand loop, tokenpoll and p-retry-with-sleep all wait on it, and each flow checks its final virtual time and transport call count, so a timer fired out of turn fails the run.',
    '- p-retry cannot express the RFC interval: its delay is `minTimeout × factor^n` (no custom delay function), so it cannot honour the server interval or the `slow_down` +5 s floor. With `minTimeout: 0` it does not wait at all; the "sleep inside the attempt" row moves the wait into the attempt function to make the work equal.',
    "- cockatiel goes through `setTimeout` even at zero delay: `ConstantBackoff(0)` still awaits `setTimeout(resolve, 0)`, which Node clamps to 1 ms, so its row measures the timer clamp, not cockatiel's own overhead (and it cannot use a virtual clock).",
    "- Exceptions: the hand loop and tokenpoll switch on the answer and throw nothing. The retry libraries must be thrown something per pending answer; they get one pre-allocated `Error`, except in the `new Error()` row, which shows what the stack capture of a fresh Error adds per attempt. That row is the closest to the issue's reference figures (a hand-written retry loop about 2.5 µs per attempt, p-retry about 5.7 µs), which appear to count a rejection per attempt; the no-throw hand loop here is far cheaper than a throwing one.",
    '- Each flow also pays its one-off set-up (pollToken / policy creation), spread over the polls.',
    '',
    '</details>',
  ].join('\n');
}
