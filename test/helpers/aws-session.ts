import { loginWithAwsSso, type AwsSsoToken } from '../../src/index.js';
import { ssoCacheEntryFromToken, ssoCachePath, writeSsoTokenCache, type SsoTokenCacheEntry } from '../../src/node.js';
import type { ManualClock } from '../../src/testing.js';
import type { Emulator } from '../../src/testing-emulator.js';

export const START_URL = 'https://d-1234567890.awsapps.com/start';
export const REGION = 'us-east-1';

/** A real device login at the emulator (start it with autoApproveAfterMs: 0), on the real clock. */
export function awsLogin(emulator: Emulator): Promise<AwsSsoToken> {
  return loginWithAwsSso({ region: REGION, endpoint: emulator.awsEndpoint, startUrl: START_URL, cache: false, scopes: ['sso:account:access'] }).result;
}

/**
 * Logs in and writes the cache file, with the token's expiry moved to
 * `expiresInMs` after the clock's wall time (the emulator itself still takes
 * the token for its own lifetime).
 */
export async function writeSession(emulator: Emulator, cacheDir: string, clock: Pick<ManualClock, 'wallNow'>, expiresInMs: number, change: Partial<SsoTokenCacheEntry> = {}): Promise<{ path: string; entry: SsoTokenCacheEntry; token: AwsSsoToken }> {
  const token = await awsLogin(emulator);
  const entry = { ...ssoCacheEntryFromToken({ ...token, expiresAt: clock.wallNow() + expiresInMs }), ...change };
  const path = ssoCachePath({ startUrl: START_URL, cacheDir });
  await writeSsoTokenCache(path, entry);
  return { path, entry, token };
}

/** How many refresh grants (CreateToken with grantType refresh_token) the emulator answered. */
export function refreshCount(emulator: Emulator): number {
  return emulator.requests.filter((r) => r.path === '/aws/token' && r.params['grantType'] === 'refresh_token').length;
}

/**
 * Settles a promise whose I/O is real but whose waits run on `clock`: while
 * it is pending, lets real I/O happen, and moves the clock to each timer due
 * within `horizonMs` (a retry wait), never to a farther one (give requests a
 * longer `requestTimeoutMs`, so their timeouts stay out of reach).
 */
export async function settleWithRealIo<T>(clock: ManualClock, promise: Promise<T>, horizonMs = 3_600_000): Promise<PromiseSettledResult<T>> {
  let settled: PromiseSettledResult<T> | undefined;
  promise.then(
    (value) => (settled = { status: 'fulfilled', value }),
    (reason: unknown) => (settled = { status: 'rejected', reason }),
  );
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 2));
    if (settled) return settled;
    const next = clock.nextTimerAt;
    if (next !== undefined && next - clock.now() <= horizonMs) clock.set(Math.max(next, clock.now()));
  }
}
