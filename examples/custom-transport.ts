/**
 * Your own transport: tokenpoll runs the polling loop, you send the requests.
 * Here the device authorization request (RFC 8628 §3.1) and each token
 * request (§3.4) are plain `fetch` calls against the emulator; the transport
 * hands back what the server said and tokenpoll decides what it means
 * (pending, slow down, retry, granted, denied, expired…).
 *
 * Run: `npm run build && node examples/custom-transport.ts` (Node 22.18 or later).
 */
import { DEVICE_CODE_GRANT_TYPE, pollToken, readHttpResponse, type TokenTransport } from 'tokenpoll';
import { startEmulator } from 'tokenpoll/testing/emulator';

// It approves the code at the second request (the user's part, here played by the emulator).
const emulator = await startEmulator({ intervalSeconds: 0.2, approveOnPoll: 2 });
try {
  // 1. Ask for a device code, and note when the answer arrived, on the clock tokenpoll uses.
  const answer = await fetch(`${emulator.url}/device_authorization`, {
    method: 'POST',
    headers: { accept: 'application/json' },
    body: new URLSearchParams({ client_id: 'tokenpoll-test' }),
  });
  const issuedAt = performance.now();
  const authorization = (await answer.json()) as { device_code: string; user_code: string; verification_uri: string; expires_in: number; interval?: number };
  console.log(`Open ${authorization.verification_uri} and enter ${authorization.user_code}`);

  // 2. The transport sends one token request. It holds the device code; tokenpoll never sees it.
  //    readHttpResponse keeps a 200 whose body fails halfway as a lost grant, never retried.
  const transport: TokenTransport = async ({ signal }) => {
    const response = await fetch(`${emulator.url}/token`, {
      method: 'POST',
      headers: { accept: 'application/json' },
      body: new URLSearchParams({ grant_type: DEVICE_CODE_GRANT_TYPE, device_code: authorization.device_code, client_id: 'tokenpoll-test' }),
      signal, // aborted on the request timeout and on cancel()
    });
    return readHttpResponse(response);
  };

  // 3. tokenpoll polls: the interval floor, slow_down, faults, the expiry deadline, cancellation.
  const poll = pollToken({
    transport,
    intervalSeconds: authorization.interval,
    expiresInSeconds: authorization.expires_in,
    issuedAt,
    timeoutMs: 10_000, // our own limit, besides the code's expiry
  });
  poll.on('pending', ({ attempt }) => console.log(`request ${attempt}: authorization pending`));

  const token = await poll.result;
  console.log(`granted: a ${token.tokenType} token, expires in ${token.expiresInSeconds} s`);
} finally {
  await emulator.close();
}
