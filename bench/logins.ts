/**
 * Suite 4 (requests per login): whole `loginWithDeviceFlow` logins against
 * the emulator (tokenpoll/testing/emulator) over loopback HTTP, the user approving
 * some time after the code is shown, and the requests the emulator received.
 * Time is virtual on both sides (one ManualClock, which the emulator reads
 * too), so the counts do not depend on the machine's speed: the clock jumps
 * to the client's next timer only while it waits, never while a request is
 * in flight.
 */
import { setImmediate as turn } from 'node:timers/promises';
import { loginWithDeviceFlow, type TokenSet } from '../src/index.js';
import { ManualClock } from '../src/testing.js';
import { startEmulator } from '../src/testing-emulator.js';
import { table, verdict } from './report.js';

/** The logins: the interval the server announces and enforces, and when the user approves (after the code is shown). */
const SCENARIOS = [
  { intervalSeconds: 5, approvalSeconds: 3 },
  { intervalSeconds: 5, approvalSeconds: 12 },
  { intervalSeconds: 5, approvalSeconds: 31 },
  { intervalSeconds: 5, approvalSeconds: 97 },
  { intervalSeconds: 1, approvalSeconds: 7.5 },
] as const;

export interface LoginMeasurement {
  readonly intervalSeconds: number;
  readonly approvalSeconds: number;
  readonly outcome: string;
  /** Every request the emulator received: the device authorization request and the token polls. */
  readonly requests: number;
  readonly deviceAuthorizations: number;
  readonly tokenPolls: number;
  /** `slow_down` answers (polls the emulator found too early). */
  readonly slowDowns: number;
}

export async function runLogins(log: (line: string) => void): Promise<LoginMeasurement[]> {
  const measurements: LoginMeasurement[] = [];
  for (const scenario of SCENARIOS) {
    const measurement = await runLogin(scenario.intervalSeconds, scenario.approvalSeconds);
    log(`  ${JSON.stringify(measurement)}`);
    measurements.push(measurement);
  }
  return measurements;
}

async function runLogin(intervalSeconds: number, approvalSeconds: number): Promise<LoginMeasurement> {
  const clock = new ManualClock();
  const emulator = await startEmulator({ intervalSeconds, expiresInSeconds: 900, clock: { now: () => clock.now() } });
  try {
    const login = loginWithDeviceFlow({
      deviceAuthorizationEndpoint: `${emulator.url}/device_authorization`,
      tokenEndpoint: `${emulator.url}/token`,
      clientId: 'tokenpoll-test',
      clock,
    });
    let userCode: string | undefined;
    let approveAt = Number.POSITIVE_INFINITY;
    let slowDowns = 0;
    let waiting = false; // the client waits on its clock (true) or for an answer over HTTP (false)
    login.on('code', (code) => {
      userCode = code.userCode;
      approveAt = clock.now() + approvalSeconds * 1000;
      waiting = true;
    });
    login.on('attempt', () => (waiting = false));
    login.on('pending', () => (waiting = true));
    login.on('retry', () => (waiting = true));
    login.on('slowDown', () => {
      slowDowns++;
      waiting = true;
    });
    let outcome: string | undefined;
    login.result.then(
      (token: TokenSet) => (outcome = token.accessToken ? 'granted' : 'granted, no access token'),
      (error: unknown) => (outcome = `rejected: ${error instanceof Error ? error.name : String(error)}`),
    );
    while (outcome === undefined) {
      await turn();
      const next = clock.nextTimerAt;
      if (!waiting || next === undefined) continue;
      // The user approves at their time, between two of the client's timers.
      if (userCode !== undefined && approveAt <= next) {
        clock.set(approveAt);
        emulator.approve(userCode);
        userCode = undefined;
      }
      clock.set(next);
    }
    const count = (path: string): number => emulator.requests.filter((request) => request.path === path).length;
    const deviceAuthorizations = count('/device_authorization');
    const tokenPolls = count('/token');
    return { intervalSeconds, approvalSeconds, outcome, requests: emulator.requests.length, deviceAuthorizations, tokenPolls, slowDowns };
  } finally {
    await emulator.close();
  }
}

/** What the issue expects: the device authorization request, plus one poll per interval until the first one after the approval. */
function expected(m: LoginMeasurement): number {
  return Math.ceil(m.approvalSeconds / m.intervalSeconds) + 1;
}

export function loginsSection(measurements: readonly LoginMeasurement[]): string {
  const met = measurements.length > 0 && measurements.every((m) => m.outcome === 'granted' && m.requests === expected(m) && m.slowDowns === 0);
  return [
    '## 4. Requests per login, against the emulator',
    '',
    "Workload: `loginWithDeviceFlow` with explicit endpoints (no discovery) against the emulator of tokenpoll/testing/emulator over loopback HTTP (bench/logins.ts). The emulator announces and enforces the interval (a poll that comes too early gets `slow_down`); the user approves some time after the code is shown. Time is virtual on both sides (one ManualClock, read by the emulator too), so the counts do not depend on the machine's speed.",
    '',
    table(
      ['interval s', 'approval after s', 'outcome', 'requests', '⌈approval / interval⌉ + 1', 'device authorization + polls', 'slow_down'],
      measurements.map((m) => [String(m.intervalSeconds), String(m.approvalSeconds), m.outcome, String(m.requests), String(expected(m)), `${m.deviceAuthorizations} + ${m.tokenPolls}`, String(m.slowDowns)]),
      [2, 5],
    ),
    '',
    `**Goal: requests per login = ⌈approval / interval⌉ + 1** (the device authorization request, then one poll per interval, the first one an interval after the code, until the first poll after the approval), with no poll too early: ${verdict(met)}.`,
  ].join('\n');
}
