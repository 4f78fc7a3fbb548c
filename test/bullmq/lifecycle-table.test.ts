import { describe, expect, test } from 'vitest';
import { pollToken, requestDeviceAuthorization, tokenTransport, type PollState, type TerminalState } from '../../src/index.js';
import type { Emulator } from '../../src/testing-emulator.js';
import { useEmulator } from '../helpers/use-emulator.js';
import { redisMissing } from '../helpers/redis.js';
import { until, useFleet, useRedis } from './harness.js';
import { COMPARED_EVENTS, LIFECYCLE_SCENARIOS, NO_BACKOFF, type LifecycleScenario } from './lifecycle-scenarios.js';

/** How a run ended, in the terms the table states. */
interface Ended {
  readonly status: string;
  readonly attempt: number;
  readonly source?: string;
  readonly failure?: string;
  readonly events: string[];
}

function ended(state: PollState<unknown>, events: string[]): Ended {
  const terminal = state as TerminalState<unknown>;
  return {
    status: terminal.status,
    attempt: terminal.attempt,
    ...(terminal.status === 'expired' ? { source: terminal.source } : {}),
    ...(terminal.status === 'failed' ? { failure: terminal.failure.kind } : {}),
    events: events.filter((name) => COMPARED_EVENTS.has(name)),
  };
}

function expectedOf(scenario: LifecycleScenario): Ended {
  const { status, attempt, source, failure, events } = scenario.expected;
  return { status, attempt, ...(source ? { source } : {}), ...(failure ? { failure } : {}), events: [...events] };
}

/** Queues the scenario's faults and its expiry on the Nth poll. */
function prepare(emulator: Emulator, scenario: LifecycleScenario): void {
  for (const { fault, count } of scenario.faults ?? []) emulator.inject(fault, { count });
  const expireOn = scenario.expireOnPoll;
  if (expireOn !== undefined) emulator.onPoll(({ userCode, count }) => count === expireOn && emulator.expire(userCode));
}

describe('the lifecycle table, in process (pollToken)', () => {
  const emulatorFor = useEmulator();

  test.each(LIFECYCLE_SCENARIOS.map((scenario) => [scenario.name, scenario] as const))('should end as the table says: %s', async (_name, scenario) => {
    const emulator = await emulatorFor(scenario.emulator);
    prepare(emulator, scenario);
    const authorization = await requestDeviceAuthorization({ deviceAuthorizationEndpoint: `${emulator.url}/device_authorization`, clientId: 'tokenpoll-test' });
    const poll = pollToken({
      transport: tokenTransport({ tokenEndpoint: `${emulator.url}/token`, clientId: 'tokenpoll-test', deviceCode: authorization.deviceCode }),
      expiresInSeconds: authorization.expiresInSeconds,
      intervalSeconds: authorization.intervalSeconds,
      issuedAt: authorization.issuedAt,
      backoff: NO_BACKOFF,
      ...scenario.poll,
    });
    const events: string[] = [];
    for (const name of COMPARED_EVENTS) poll.on(name as 'attempt', () => events.push(name));
    if (scenario.cancelOnFirstPending) poll.once('pending', () => poll.cancel('the user went away'));
    await poll.result.catch(() => undefined);
    expect(ended(poll.state, events)).toEqual(expectedOf(scenario));
  });
});

describe.skipIf(redisMissing)('the lifecycle table, on the fleet (one FleetWorker)', () => {
  const redis = useRedis();
  const fleet = useFleet(redis);

  test.each(LIFECYCLE_SCENARIOS.map((scenario) => [scenario.name, scenario] as const))('should end as the table says: %s', async (_name, scenario) => {
    const { emulator, queue, events, start, settledOf } = await fleet({ emulator: scenario.emulator, worker: { backoff: NO_BACKOFF } });
    prepare(emulator, scenario);
    const { flowId } = await start(scenario.poll);
    if (scenario.cancelOnFirstPending) {
      await until(() => events.some((event) => event.flowId === flowId && event.name === 'pending'));
      await queue.cancel(flowId, 'the user went away');
    }
    const end = await settledOf(flowId);
    await until(() => events.some((event) => event.flowId === flowId && event.name === end.state.status));
    const names = events.filter((event) => event.flowId === flowId).map((event) => event.name);
    expect(ended(end.state, names)).toEqual(expectedOf(scenario));
  });
});
