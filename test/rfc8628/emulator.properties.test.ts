import { fc, test } from '@fast-check/vitest';
import { afterAll, describe, expect } from 'vitest';
import type { SlowDownEvent, TokenSet } from '../../src/index.js';
import { startEmulator, type EmulatorFault } from '../../src/testing.js';
import { runEmulatorLogin } from './emulator-login.js';
import { scenarioTable } from './scenarios.js';

const RUNS = 18;
const INTERVAL_SECONDS = 0.02;
const table = scenarioTable('Property: random per-request fault schedules on the emulator');
const measured: { requests: number; approvalToTokenMs: number; faultAfterApproval: boolean }[] = [];
afterAll(() => {
  const times = measured.map((m) => m.approvalToTokenMs).sort((a, b) => a - b);
  const requests = measured.map((m) => m.requests);
  table.add({
    scenario: `${measured.length} random schedules (a fault or none per token request, up to 8; approval before request k; ≤ 2 device authorization faults); ${measured.filter((m) => m.faultAfterApproval).length} with a fault on the request right after approval`,
    outcome: `granted ${measured.length}/${measured.length}; approval → token median ${times[Math.floor(times.length / 2)]?.toFixed(0)} ms, max ${times.at(-1)?.toFixed(0)} ms`,
    requests: Math.max(0, ...requests), // the most token requests one run made
  });
  table.print();
});

/** What the token endpoint does to one request: a transient fault, a GitHub-style pending 200, or nothing (`null`). */
type Slot = EmulatorFault | null;

interface Schedule {
  /** `slots[i]` is injected for token request i + 1, just before it is sent. */
  readonly slots: readonly Slot[];
  /** The user approves right before token request `approveBefore` is sent (0: as soon as the code is shown). */
  readonly approveBefore: number;
  /** Queued for the device authorization request and its retries. */
  readonly deviceFaults: readonly EmulatorFault[];
}

const SERVER_503: EmulatorFault = { type: 'server_error', status: 503 };
const RESET: EmulatorFault = { type: 'reset' };
const PENDING_200: EmulatorFault = { type: 'github_200', error: 'authorization_pending' };

describe('rfc8628 against the emulator, as a property', () => {
  describe('should never lose an approval given before the deadline, nor poll after the grant', () => {
    test.prop([schedule()], {
      numRuns: RUNS,
      examples: [
        // A fault on the very request after the approval.
        [{ slots: [null, RESET], approveBefore: 2, deviceFaults: [] }],
        // Faults between pending answers, and on the request after the approval.
        [{ slots: [SERVER_503, null, PENDING_200, RESET, SERVER_503], approveBefore: 4, deviceFaults: [] }],
      ],
    })('when each token request draws its own fault and the approval lands before a drawn request', async ({ slots, approveBefore, deviceFaults }) => {
      // Arrange
      const server = await startEmulator({ intervalSeconds: INTERVAL_SECONDS, expiresInSeconds: 20 });
      try {
        for (const fault of deviceFaults) server.inject(fault, { path: '/device_authorization' });
        let approvedAt: number | undefined;
        const approve = (userCode: string): void => {
          server.approve(userCode);
          approvedAt = performance.now();
        };
        let userCode = '';
        // Act
        const run = await runEmulatorLogin(server, {
          user: 'nothing',
          login: { requestTimeoutMs: 100 },
          started: (login) => {
            login.on('code', (code) => {
              userCode = code.userCode;
              if (approveBefore === 0) approve(userCode);
            });
            // `attempt` fires right before each token request is sent: inject its fault and approve just in time.
            login.on('attempt', ({ attempt }) => {
              const fault = slots[attempt - 1];
              if (fault) server.inject(fault, { count: 1 });
              if (attempt === approveBefore) approve(userCode);
            });
          },
        });
        const tokenRequestsAtEnd = run.tokenRequests;
        await new Promise((resolve) => setTimeout(resolve, 5 * INTERVAL_SECONDS * 1000)); // room for a stray poll to show
        // Assert: the approval was not lost.
        expect(run.settled.status).toBe('fulfilled');
        expect((run.settled as PromiseFulfilledResult<TokenSet>).value.accessToken).toBeTypeOf('string');
        expect(server.codes.map((c) => c.status)).toEqual(['consumed']);
        // It came on the first request at or after the approval that no fault and no slow_down answered.
        const slowedDown = new Set(run.events.filter((e) => e.name === 'slowDown').map((e) => (e.payload as SlowDownEvent).attempt));
        let expected = Math.max(1, approveBefore);
        while (slots[expected - 1] || slowedDown.has(expected)) expected += 1;
        const attempts = run.events.filter((e) => e.name === 'attempt');
        expect(attempts).toHaveLength(expected);
        // No token request after the grant: the one that consumed the code was the last, then and later.
        const polls = server.requests.filter((r) => r.path === '/token');
        expect(tokenRequestsAtEnd).toBe(expected);
        expect(polls).toHaveLength(expected);
        expect(polls.at(-1)!.status).toBe(200);
        expect(polls.filter((r) => r.at > server.codes[0]!.consumedAt!)).toEqual([]);
        measured.push({ requests: run.tokenRequests, approvalToTokenMs: run.endedAt - approvedAt!, faultAfterApproval: Boolean(slots[Math.max(1, approveBefore) - 1]) });
      } finally {
        await server.close();
      }
    });
  });
});

// Helpers

/** A transient fault the engine must wait out (the emulator then changes nothing). */
function transientFault(): fc.Arbitrary<EmulatorFault> {
  return fc.oneof(
    { arbitrary: fc.constantFrom<EmulatorFault>({ type: 'server_error', status: 500 }, { type: 'server_error', status: 502 }, SERVER_503, { type: 'server_error', status: 504 }), weight: 4 },
    { arbitrary: fc.constant<EmulatorFault>({ type: 'rate_limited', retryAfterSeconds: 0 }), weight: 2 },
    { arbitrary: fc.constant(RESET), weight: 3 },
    { arbitrary: fc.constant<EmulatorFault>({ type: 'hang' }), weight: 1 },
  );
}

/** One token request's fate: none, a transient fault, or a GitHub-style 200 that says pending (not a fault: a pending answer). */
function slot(): fc.Arbitrary<Slot> {
  return fc.oneof(
    { arbitrary: fc.constant(null), weight: 3 },
    { arbitrary: transientFault(), weight: 4 },
    { arbitrary: fc.constant(PENDING_200), weight: 1 },
  );
}

function schedule(): fc.Arbitrary<Schedule> {
  return fc
    // At most 8 slots: within the default budget of 10 consecutive transient faults. At most 2 hangs: each doubles the wait.
    .array(slot(), { maxLength: 8 })
    .filter((slots) => slots.filter((s) => s?.type === 'hang').length <= 2)
    .chain((slots) =>
      fc.record({
        slots: fc.constant(slots),
        approveBefore: fc.integer({ min: 0, max: slots.length + 1 }),
        // At most 2: within the device authorization request's 4 retries.
        deviceFaults: fc.array(transientFault(), { maxLength: 2 }),
      }),
    );
}
