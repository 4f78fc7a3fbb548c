/**
 * A whole RFC 8628 device login in one call, against the emulator: discovery,
 * the device authorization request, the code to show, polling, the token set.
 * No network: the emulator is a real HTTP server on 127.0.0.1, and it plays
 * the user too, approving the code once the first poll has been answered
 * `authorization_pending`.
 *
 * Run: `npm run build && node examples/login-emulator.ts` (Node 22.18 or later),
 * or all examples at once with `npx vitest run test/examples.test.ts`.
 */
import { isTokenPollError, loginWithDeviceFlow } from 'tokenpoll';
import { startEmulator } from 'tokenpoll/testing/emulator';

const emulator = await startEmulator({ intervalSeconds: 0.2 });
try {
  const login = loginWithDeviceFlow({ issuer: emulator.url, clientId: 'tokenpoll-test', scope: 'openid profile' });

  let shown = '';
  login.on('code', ({ userCode, verificationUri, expiresInMs }) => {
    shown = userCode;
    console.log(`Open ${verificationUri} and enter ${userCode} (valid for ${Math.round(expiresInMs / 60_000)} min)`);
  });
  login.on('pending', ({ attempt }) => {
    console.log(`poll ${attempt}: authorization pending`);
    // In real life a person does this in a browser, whenever they like; here the emulator stands in for them.
    if (attempt === 1) emulator.approve(shown);
  });

  const token = await login.result;
  // Never print the token itself: it is a secret.
  console.log(`granted: a ${token.tokenType} token for ${token.expiresInSeconds} s, with a refresh token: ${token.refreshToken !== undefined}`);
} catch (error) {
  if (!isTokenPollError(error)) throw error;
  console.log(`login failed: ${error.code}: ${error.message}`);
  process.exitCode = 1;
} finally {
  await emulator.close();
}
