import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { awsTokenTransport, loginWithAwsSso, loginWithDeviceFlow, memoryRegistrationCache, registerAwsClient, requestDeviceAuthorization, startAwsDeviceAuthorization, tokenTransport, type LoginHandle } from '../../src/index.js';
import { ManualClock } from '../../src/testing.js';
import { type Emulator } from '../../src/testing-emulator.js';
import { useEmulator } from '../helpers/use-emulator.js';

// Issue 10, a listener leak: polling over HTTP at a short interval must not add a listener per request
// to a long-lived signal (undici warns past 1,500 abort listeners on one signal, and Node makes aborting
// such a signal quadratic, nodejs/node#55311). These tests poll a loopback emulator 1,000 times under one
// caller signal and count its abort listeners. Time is virtual: the polls' waits run on a ManualClock,
// which the test moves only while the flow waits; only the HTTP round trips take real time.

const POLLS = 1000;
const startEmulator = useEmulator();
const warnings: Error[] = [];
const onWarning = (warning: Error): void => void warnings.push(warning);

beforeEach(() => {
  warnings.length = 0;
  process.on('warning', onWarning);
});
afterEach(() => {
  process.off('warning', onWarning);
});

describe('the HTTP logins', () => {
  describe("should hold at most one listener on the caller's signal however many polls run, and none once settled", () => {
    test('when loginWithDeviceFlow polls an RFC 8628 server 1,000 times', async () => {
      // Arrange: interval 0 on the emulator, so it never answers slow_down to polls that are close in real time.
      const emulator = await startEmulator({ intervalSeconds: 0, expiresInSeconds: 86_400 });
      const clock = new ManualClock();
      const controller = new AbortController();
      const login = loginWithDeviceFlow({ issuer: emulator.url, clientId: 'tokenpoll-test', clock, signal: controller.signal, poll: { maxLifetimeMs: 86_400_000 } });
      // Act
      const counts = await pollThenApprove(login, clock, emulator, controller.signal);
      // Assert
      expect(counts.polls).toBe(POLLS);
      expect(counts.during).toBeLessThanOrEqual(1);
      expect(counts.after).toBe(0);
      expect(leakWarnings()).toEqual([]);
    });

    test('when loginWithAwsSso polls CreateToken 1,000 times', async () => {
      const emulator = await startEmulator({ intervalSeconds: 0, expiresInSeconds: 86_400 });
      const clock = new ManualClock();
      const controller = new AbortController();
      const login = loginWithAwsSso({
        region: 'us-east-1',
        endpoint: emulator.awsEndpoint,
        startUrl: 'https://d-1.awsapps.com/start',
        cache: memoryRegistrationCache(),
        clock,
        signal: controller.signal,
        poll: { maxLifetimeMs: 86_400_000 },
      });
      const counts = await pollThenApprove(login, clock, emulator, controller.signal);
      expect(counts.polls).toBe(POLLS);
      expect(counts.during).toBeLessThanOrEqual(1);
      expect(counts.after).toBe(0);
      expect(leakWarnings()).toEqual([]);
    });
  });
});

describe('the token transports', () => {
  describe('should remove the listener each request adds to the signal it is given', () => {
    test('when tokenTransport is called 1,000 times with one long-lived signal', async () => {
      // Arrange: a transport used in a hand-written loop with one signal for the whole loop.
      const emulator = await startEmulator({ intervalSeconds: 0, expiresInSeconds: 86_400 });
      const authorization = await requestDeviceAuthorization({ deviceAuthorizationEndpoint: `${emulator.url}/device_authorization`, clientId: 'tokenpoll-test' });
      const transport = tokenTransport({ tokenEndpoint: `${emulator.url}/token`, clientId: 'tokenpoll-test', deviceCode: authorization.deviceCode });
      const signal = new AbortController().signal;
      // Act
      for (let attempt = 1; attempt <= POLLS; attempt++) await transport({ signal, attempt });
      // Assert
      expect(getEventListeners(signal, 'abort')).toHaveLength(0);
      expect(leakWarnings()).toEqual([]);
    });

    test('when awsTokenTransport is called 1,000 times with one long-lived signal', async () => {
      const emulator = await startEmulator({ intervalSeconds: 0, expiresInSeconds: 86_400 });
      const client = { region: 'us-east-1', endpoint: emulator.awsEndpoint };
      const registration = await registerAwsClient({ ...client, clientName: 'leak-test' });
      const authorization = await startAwsDeviceAuthorization({ ...client, registration, startUrl: 'https://d-1.awsapps.com/start' });
      const transport = awsTokenTransport({ ...client, registration, deviceCode: authorization.deviceCode });
      const signal = new AbortController().signal;
      for (let attempt = 1; attempt <= POLLS; attempt++) await send(transport, { signal, attempt });
      expect(getEventListeners(signal, 'abort')).toHaveLength(0);
      expect(leakWarnings()).toEqual([]);
    });
  });
});

// Helpers

/**
 * Drives a login on its virtual clock until it is about to send poll POLLS,
 * counting the listeners on `signal` then; approves the code, so that poll
 * collects the grant, and counts again once the login has settled.
 */
async function pollThenApprove(
  login: LoginHandle<unknown>,
  clock: ManualClock,
  emulator: Emulator,
  signal: AbortSignal,
): Promise<{ polls: number; during: number; after: number }> {
  let polls = 0;
  let during = Number.NaN;
  let userCode = '';
  login.on('code', (code) => (userCode = code.userCode));
  login.on('attempt', ({ attempt }) => {
    polls = attempt;
    if (attempt !== POLLS) return;
    during = getEventListeners(signal, 'abort').length;
    emulator.approve(userCode);
  });
  let settled = false;
  const done = login.result.then(
    () => (settled = true),
    () => (settled = true),
  );
  while (!settled) {
    const state = login.state as { status: string; phase?: string; dueAt?: number };
    // Waiting for its next poll: move the virtual clock to it. Otherwise an HTTP exchange is under way: let it run.
    if (state.phase === 'waiting') await clock.advance(Math.max(0, state.dueAt! - clock.now()));
    else await new Promise((resolve) => setImmediate(resolve));
  }
  await done;
  await expect(login.result).resolves.toBeDefined();
  return { polls, during, after: getEventListeners(signal, 'abort').length };
}

function send(transport: ReturnType<typeof awsTokenTransport>, context: { signal: AbortSignal; attempt: number }): Promise<unknown> {
  return Promise.resolve(typeof transport === 'function' ? transport(context) : transport.request(context));
}

function leakWarnings(): string[] {
  return warnings.filter((warning) => warning.name === 'MaxListenersExceededWarning').map((warning) => warning.message);
}
