import { fc, test } from '@fast-check/vitest';
import { afterAll, describe, expect } from 'vitest';
import { LostGrantError, type SlowDownEvent, type TokenSet } from '../../src/index.js';
import { startEmulator, type EmulatorFault } from '../../src/testing-emulator.js';
import { runEmulatorLogin } from './emulator-login.js';
import { scenarioTable } from './scenarios.js';

const RUNS = 18;
const INTERVAL_SECONDS = 0.02;
const table = scenarioTable('Property: random per-request fault schedules on the emulator');
const measured: { requests: number; approvalToTokenMs: number; faultAfterApproval: boolean }[] = [];
let lostGrants = 0;
afterAll(() => {
  const times = measured.map((m) => m.approvalToTokenMs).sort((a, b) => a - b);
  const requests = measured.map((m) => m.requests);
  table.add({
    scenario: `${measured.length + lostGrants} random schedules (a fault or none per token request, up to 8; approval before request k; ≤ 2 device authorization faults); ${measured.filter((m) => m.faultAfterApproval).length} with a fault on the request right after approval`,
    outcome: `granted ${measured.length}, LostGrantError after a 200 cut mid-body ${lostGrants}, nothing else; approval → token median ${times[Math.floor(times.length / 2)]?.toFixed(0)} ms, max ${times.at(-1)?.toFixed(0)} ms`,
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
const LOST_BODY: EmulatorFault = { type: 'lost_body' };

describe('rfc8628 against the emulator, as a property', () => {
  describe('should never lose an approval given before the deadline, nor poll after the grant or a 200 cut mid-body', () => {
    test.prop([schedule()], {
      numRuns: RUNS,
      examples: [
        // A fault on the very request after the approval.
        [{ slots: [null, RESET], approveBefore: 2, deviceFaults: [] }],
        // Faults between pending answers, and on the request after the approval.
        [{ slots: [SERVER_503, null, PENDING_200, RESET, SERVER_503], approveBefore: 4, deviceFaults: [] }],
        // The answer after the approval is a 200 cut mid-body: the grant may be lost, and must not be asked for again.
        [{ slots: [null, RESET, LOST_BODY, null], approveBefore: 2, deviceFaults: [] }],
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
          // Long enough that a loaded machine's slow answer is never taken for a hang (a hang waits it out).
          login: { requestTimeoutMs: 1000 },
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
        // Where the flow must end: the first request at or after the approval that no transient fault and no
        // slow_down answered, unless a 200 cut mid-body (lost_body) comes first, which ends it there.
        const slowedDown = new Set(run.events.filter((e) => e.name === 'slowDown').map((e) => (e.payload as SlowDownEvent).attempt));
        const isLost = (attempt: number): boolean => slots[attempt - 1]?.type === 'lost_body';
        const firstLost = slots.findIndex((s) => s?.type === 'lost_body') + 1;
        let expected = Math.max(1, approveBefore);
        if (firstLost > 0 && firstLost < expected) expected = firstLost;
        else while (!isLost(expected) && (slots[expected - 1] || slowedDown.has(expected))) expected += 1;
        const attempts = run.events.filter((e) => e.name === 'attempt');
        expect(attempts).toHaveLength(expected);
        // No token request after the one that ended the flow, then and later.
        const polls = server.requests.filter((r) => r.path === '/token');
        expect(tokenRequestsAtEnd).toBe(expected);
        expect(polls).toHaveLength(expected);
        expect(polls.at(-1)!.status).toBe(200);
        if (isLost(expected)) {
          // Assert: a 200 whose body was lost ends the flow, never asked for again.
          expect(run.settled.status).toBe('rejected');
          expect((run.settled as PromiseRejectedResult).reason).toBeInstanceOf(LostGrantError);
          expect(server.codes.map((c) => c.status)).not.toContain('consumed');
          lostGrants += 1;
          return;
        }
        // Assert: the approval was not lost.
        expect(run.settled.status).toBe('fulfilled');
        expect((run.settled as PromiseFulfilledResult<TokenSet>).value.accessToken).toBeTypeOf('string');
        expect(server.codes.map((c) => c.status)).toEqual(['consumed']);
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

/** One token request's fate: none, a transient fault, a GitHub-style 200 that says pending (not a fault: a pending answer), or a 200 cut mid-body. */
function slot(): fc.Arbitrary<Slot> {
  return fc.oneof(
    { arbitrary: fc.constant(null), weight: 3 },
    { arbitrary: transientFault(), weight: 4 },
    { arbitrary: fc.constant(PENDING_200), weight: 1 },
    { arbitrary: fc.constant(LOST_BODY), weight: 1 },
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
