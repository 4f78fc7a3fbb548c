/**
 * Subscribing to the lifecycle events of a login while the server misbehaves:
 * the emulator answers the first three polls with a 502 (an HTML page, as a
 * proxy sends), a dropped connection and a 429 with `Retry-After: 1`. The
 * login rides them out; the emulator, standing in for the user, approves the
 * code at the second poll that reaches it (the first is answered
 * `authorization_pending`), so the order is the same on any machine.
 *
 * Every payload is a small frozen object; none carries the device code, a
 * client secret or a token, except `granted` (the token you asked for).
 *
 * Run: `npm run build && node examples/events.ts` (Node 22.18 or later).
 */
import { exponentialBackoff, loginWithDeviceFlow } from 'tokenpoll';
import { startEmulator } from 'tokenpoll/testing/emulator';

const emulator = await startEmulator({ intervalSeconds: 0.1, approveOnPoll: 2 });
emulator.inject({ type: 'server_error', status: 502 });
emulator.inject({ type: 'reset' });
emulator.inject({ type: 'rate_limited', retryAfterSeconds: 1 });

const started = performance.now();
const log = (line: string): void => console.log(`${((performance.now() - started) / 1000).toFixed(2).padStart(5)} s  ${line}`);

try {
  const login = loginWithDeviceFlow({
    issuer: emulator.url,
    clientId: 'tokenpoll-test',
    // Short waits between retries so the example finishes quickly (the default starts at 1 s).
    poll: { backoff: exponentialBackoff({ initialDelayMs: 100, maxDelayMs: 400 }) },
  });

  login.on('code', ({ userCode }) => log(`code      ${userCode}`));
  login.on('stateChange', ({ from, to }) => log(`state     ${from} -> ${to}`));
  login.on('attempt', ({ attempt, sinceLastRequestMs }) =>
    log(`attempt   #${attempt}${sinceLastRequestMs === undefined ? '' : `, ${Math.round(sinceLastRequestMs)} ms after the previous one`}`),
  );
  login.on('pending', ({ nextPollInMs }) => log(`pending   next poll in ${Math.round(nextPollInMs)} ms`));
  login.on('slowDown', ({ previousIntervalMs, intervalMs }) => log(`slowDown  interval ${previousIntervalMs} -> ${intervalMs} ms`));
  login.on('retry', ({ fault, delayMs, retriesLeft }) =>
    log(`retry     ${fault.type}${fault.status === undefined ? '' : ` ${fault.status}`}: waiting ${Math.round(delayMs)} ms, ${retriesLeft} retries left`),
  );
  login.on('warning', ({ code, message }) => log(`warning   ${code}: ${message}`));
  login.on('granted', ({ attempt }) => log(`granted   after ${attempt} requests`));
  login.on('failed', ({ error }) => log(`failed    ${error.code}`));

  await login.result;
} finally {
  await emulator.close();
}
