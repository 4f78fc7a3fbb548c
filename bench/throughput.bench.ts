/**
 * Virtual-time throughput (suite 5): whole 15-minute flows per second, for
 * simulateFlow, pollToken on two virtual clocks, a hand-written async loop and
 * a plain synchronous loop. Each bench() iteration runs a batch of flows;
 * bench/throughput-report.ts turns the samples into flows per second.
 */
import { bench, describe } from 'vitest';
import {
  handLoopVirtualOnce,
  handSimulationOnce,
  pollTokenManualOnce,
  pollTokenVirtualOnce,
  simulateFlowOnce,
  THROUGHPUT_SCENARIOS as S,
  type ThroughputScenario,
} from './throughput-flows.js';

const SAMPLES = 30;
const WARMUP = 5;
const options = { time: 0, iterations: SAMPLES, warmupTime: 0, warmupIterations: WARMUP };

function batch(scenario: ThroughputScenario, once: () => void): () => void {
  return () => {
    for (let i = 0; i < scenario.flowsPerIteration; i++) once();
  };
}

function asyncBatch(scenario: ThroughputScenario, once: () => Promise<void>): () => Promise<void> {
  return async () => {
    for (let i = 0; i < scenario.flowsPerIteration; i++) await once();
  };
}

describe('15-minute flows on virtual time', () => {
  bench(S.simulateFlow.name, batch(S.simulateFlow, simulateFlowOnce), options);
  bench(S.handSimulation.name, batch(S.handSimulation, handSimulationOnce), options);
  bench(S.pollTokenVirtual.name, asyncBatch(S.pollTokenVirtual, pollTokenVirtualOnce), options);
  bench(S.pollTokenManual.name, asyncBatch(S.pollTokenManual, pollTokenManualOnce), options);
  bench(S.handLoopVirtual.name, asyncBatch(S.handLoopVirtual, handLoopVirtualOnce), options);
});
