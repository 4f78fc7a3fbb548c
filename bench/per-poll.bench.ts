/**
 * Cost per poll: tokenpoll against a hand-written loop, p-retry and cockatiel,
 * all in one process. Each bench() iteration is one whole flow of POLLS polls;
 * bench/per-poll-reporter.ts divides by POLLS and writes bench/RESULTS.md.
 *
 *   npm run bench
 */
import { bench, describe } from 'vitest';
import {
  cockatielFlow,
  handLoopFlow,
  handLoopManualClockFlow,
  handLoopNoSleepFlow,
  pRetryFlow,
  pRetryNewErrorFlow,
  pRetrySleepFlow,
  tokenpollFlow,
  tokenpollManualClockFlow,
  transitionConfig,
  transitionFlow,
  transitionResult,
} from './flows.js';
import { INTERVAL_SECONDS, POLLS, SAMPLES, SCENARIOS, SLOW_SAMPLES, SLOW_WARMUP, WARMUP } from './scenarios.js';

// A fixed number of flows per alternative (time: 0), so every row has the same sample count.
const options = { time: 0, iterations: SAMPLES, warmupTime: 0, warmupIterations: WARMUP };
const slowOptions = { time: 0, iterations: SLOW_SAMPLES, warmupTime: 0, warmupIterations: SLOW_WARMUP };
const config = transitionConfig(INTERVAL_SECONDS);

describe(`per poll, ${POLLS} polls per flow, virtual clock`, () => {
  bench(SCENARIOS.handLoop.name, () => handLoopFlow(POLLS, INTERVAL_SECONDS), options);
  bench(SCENARIOS.tokenpoll.name, () => tokenpollFlow(POLLS, INTERVAL_SECONDS), options);
  bench(SCENARIOS.pRetrySleep.name, () => pRetrySleepFlow(POLLS, INTERVAL_SECONDS), options);
  bench(SCENARIOS.handLoopNoSleep.name, () => handLoopNoSleepFlow(POLLS), options);
  bench(SCENARIOS.pRetry.name, () => pRetryFlow(POLLS), options);
  bench(SCENARIOS.pRetryNewError.name, () => pRetryNewErrorFlow(POLLS), options);
  bench(
    SCENARIOS.transition.name,
    () => {
      transitionFlow(POLLS, config);
      if (transitionResult().status !== 'granted') throw new Error('transition(): not granted');
    },
    options,
  );
});

describe(`per poll, ${POLLS} polls per flow, ManualClock.runUntilSettled`, () => {
  bench(SCENARIOS.handLoopManual.name, () => handLoopManualClockFlow(POLLS, INTERVAL_SECONDS), options);
  bench(SCENARIOS.tokenpollManual.name, () => tokenpollManualClockFlow(POLLS, INTERVAL_SECONDS), options);
});

describe(`per poll, ${POLLS} polls per flow, real timers`, () => {
  bench(SCENARIOS.cockatiel.name, () => cockatielFlow(POLLS), slowOptions);
});
