/**
 * CPU per poll (suite 3): tokenpoll against a hand-written loop and p-retry,
 * all in one process, on the same virtual clock. Each bench() iteration is
 * one whole flow of POLLS polls; bench/per-poll-report.ts divides by POLLS.
 *
 *   npm run bench
 */
import { bench, describe } from 'vitest';
import { handLoopFlow, pRetryFlow, tokenpollFlow, transitionConfig, transitionFlow, transitionResult } from './flows.js';
import { INTERVAL_SECONDS, POLLS, SAMPLES, SCENARIOS, WARMUP } from './scenarios.js';

// A fixed number of flows per alternative (time: 0), so every row has the same sample count.
const options = { time: 0, iterations: SAMPLES, warmupTime: 0, warmupIterations: WARMUP };
const config = transitionConfig(INTERVAL_SECONDS);

describe(`per poll, ${POLLS} polls per flow, virtual clock`, () => {
  bench(SCENARIOS.handLoop.name, () => handLoopFlow(POLLS, INTERVAL_SECONDS), options);
  bench(SCENARIOS.tokenpoll.name, () => tokenpollFlow(POLLS, INTERVAL_SECONDS), options);
  bench(SCENARIOS.pRetry.name, () => pRetryFlow(POLLS, INTERVAL_SECONDS), options);
  bench(
    SCENARIOS.transition.name,
    () => {
      transitionFlow(POLLS, config);
      if (transitionResult().status !== 'granted') throw new Error('transition(): not granted');
    },
    options,
  );
});
