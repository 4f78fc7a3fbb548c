import { fc, test } from '@fast-check/vitest';
import { afterAll, describe, expect } from 'vitest';
import type { TokenSet } from '../../src/index.js';
import { startEmulator, type EmulatorFault } from '../../src/testing.js';
import { runEmulatorLogin } from './emulator-login.js';
import { scenarioTable } from './scenarios.js';

const RUNS = 15;
const table = scenarioTable('Property: random transient-fault schedules on the emulator');
const measured: { requests: number; approvalToTokenMs: number }[] = [];
afterAll(() => {
  const times = measured.map((m) => m.approvalToTokenMs).sort((a, b) => a - b);
  const requests = measured.map((m) => m.requests);
  table.add({
    scenario: `${measured.length} random schedules (≤ 8 token faults, ≤ 2 device authorization faults, approval at 0–150 ms)`,
    outcome: `granted ${measured.length}/${measured.length}; approval → token median ${times[Math.floor(times.length / 2)]?.toFixed(0)} ms, max ${times.at(-1)?.toFixed(0)} ms`,
    requests: Math.max(0, ...requests), // the most token requests one run made
  });
  table.print();
});

describe('rfc8628 against the emulator, as a property', () => {
  describe('should never lose an approval given before the deadline', () => {
    test.prop([schedule()], { numRuns: RUNS })('when any schedule of transient faults hits the token and device authorization endpoints', async ({ tokenFaults, deviceFaults, approveAfterMs }) => {
      // Arrange
      const server = await startEmulator({ intervalSeconds: 0.02, expiresInSeconds: 20 });
      try {
        for (const { fault, count } of tokenFaults) server.inject(fault, { count });
        for (const fault of deviceFaults) server.inject(fault, { path: '/device_authorization' });
        // Act
        const run = await runEmulatorLogin(server, {
          user: 'nothing',
          login: { requestTimeoutMs: 100 },
          started: (login) => login.on('code', ({ userCode }) => void setTimeout(() => server.approve(userCode), approveAfterMs)),
        });
        // Assert
        expect(run.settled.status).toBe('fulfilled');
        expect((run.settled as PromiseFulfilledResult<TokenSet>).value.accessToken).toBeTypeOf('string');
        expect(server.codes.map((c) => c.status)).toEqual(['consumed']);
        const code = server.codes[0]!;
        measured.push({ requests: run.tokenRequests, approvalToTokenMs: run.endedAt - code.approvedAt! });
      } finally {
        await server.close();
      }
    });
  });
});

// Helpers

/** A transient fault the emulator can inject (every one the engine must wait out). */
function transientFault(): fc.Arbitrary<EmulatorFault> {
  return fc.oneof(
    { arbitrary: fc.constantFrom<EmulatorFault>({ type: 'server_error', status: 500 }, { type: 'server_error', status: 502 }, { type: 'server_error', status: 503 }, { type: 'server_error', status: 504 }), weight: 4 },
    { arbitrary: fc.constant<EmulatorFault>({ type: 'rate_limited', retryAfterSeconds: 0 }), weight: 2 },
    { arbitrary: fc.constant<EmulatorFault>({ type: 'reset' }), weight: 3 },
    { arbitrary: fc.constant<EmulatorFault>({ type: 'github_200' }), weight: 2 },
    { arbitrary: fc.constant<EmulatorFault>({ type: 'hang' }), weight: 1 },
  );
}

function schedule(): fc.Arbitrary<{ tokenFaults: { fault: EmulatorFault; count: number }[]; deviceFaults: EmulatorFault[]; approveAfterMs: number }> {
  return fc.record({
    // At most 8 faults in a row: within the default budget of 10 consecutive transient faults.
    tokenFaults: fc.array(fc.record({ fault: transientFault(), count: fc.integer({ min: 1, max: 2 }) }), { maxLength: 4 }),
    // At most 2: within the device authorization request's 4 retries.
    deviceFaults: fc.array(transientFault().filter((f) => f.type !== 'github_200'), { maxLength: 2 }),
    approveAfterMs: fc.integer({ min: 0, max: 150 }),
  });
}
