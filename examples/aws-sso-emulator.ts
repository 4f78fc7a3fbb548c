/**
 * Logging in to AWS IAM Identity Center with one call, against the emulator's
 * AWS SSO OIDC side: RegisterClient, StartDeviceAuthorization, a `code` event,
 * CreateToken polls, and a token with what the AWS CLI's cache needs. No
 * AWS SDK and no network.
 *
 * The second login reuses the client registration from the cache, so it
 * skips RegisterClient.
 *
 * Run: `npm run build && node examples/aws-sso-emulator.ts` (Node 22.18 or later).
 */
import { loginWithAwsSso, memoryRegistrationCache } from 'tokenpoll';
import { startEmulator } from 'tokenpoll/testing/emulator';

// The emulator plays the user too: it approves each code at its second CreateToken poll.
const emulator = await startEmulator({ intervalSeconds: 0.1, approveOnPoll: 2 });
const cache = memoryRegistrationCache();
try {
  for (const round of [1, 2]) {
    const login = loginWithAwsSso({
      startUrl: 'https://d-1234567890.awsapps.com/start',
      region: 'eu-west-1',
      endpoint: emulator.awsEndpoint, // by default https://oidc.eu-west-1.amazonaws.com
      clientName: 'tokenpoll-example',
      cache,
    });
    login.on('code', ({ userCode, verificationUriComplete }) => console.log(`login ${round}: approve ${userCode} at ${verificationUriComplete}`));

    const token = await login.result;
    const registrations = emulator.requests.filter((r) => r.path === '/aws/client/register').length;
    // The token, the refresh token and the client secret are secrets: print only what is not.
    console.log(
      `login ${round}: granted for ${token.startUrl} in ${token.region}, expires ${new Date(token.expiresAt ?? 0).toISOString()}; ` +
        `RegisterClient calls so far: ${registrations}`,
    );
  }
} finally {
  await emulator.close();
}
