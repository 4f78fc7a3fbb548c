import { describe, expect, test } from 'vitest';
import { InvalidResponseError, MAX_TOKEN_LIFETIME_SECONDS, awsSsoPortal, credentialProcessOutput, isRegistrationUsable, loginWithAwsSso, refreshAwsToken, tokenSetFrom } from '../../src/index.js';
import { createSsoTokenSource, parseCacheTime, readSsoTokenCache, ssoCacheEntryFromToken, ssoCachePath, writeSsoTokenCache } from '../../src/node.js';
import { ManualClock } from '../../src/testing.js';
import { registrationFrom } from '../../src/transports/aws/register-client.js';
import { roleCredentialsFrom } from '../../src/aws/portal-read.js';
import { REGION, START_URL, awsLogin, writeSession } from '../helpers/aws-session.js';
import { useTempDirs } from '../helpers/use-temp-dirs.js';
import { useEmulator } from './helpers/emulator.js';

const start = useEmulator();
const tempDir = useTempDirs();
const YEAR_9999_END = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** A fetch that hands every answer on, with `change` applied to the JSON of those whose path ends with `path`. */
function rewriting(path: string, change: (json: Record<string, unknown>) => void): typeof fetch {
  return async (input, init) => {
    const response = await fetch(input, init);
    if (!new URL(String(input instanceof Request ? input.url : input)).pathname.endsWith(path)) return response;
    const json = (await response.json()) as Record<string, unknown>;
    change(json);
    return new Response(JSON.stringify(json), { status: response.status, headers: response.headers });
  };
}

describe('numbers from a server that become dates', () => {
  describe('should clamp an absurd token lifetime at the token reader, so the approved token is kept', () => {
    test.each([
      ['1e13', 1e13],
      ['1e300', 1e300],
      ['a numeric string of 14 digits', '10000000000000'],
    ])('when expires_in is %s, expiresInSeconds is the 10-year ceiling and raw keeps what was sent', (_name, sent) => {
      const token = tokenSetFrom({ access_token: 'at', expires_in: sent });
      expect(token?.expiresInSeconds).toBe(MAX_TOKEN_LIFETIME_SECONDS);
      expect(MAX_TOKEN_LIFETIME_SECONDS).toBe(10 * 365 * 24 * 3600);
      expect(token?.raw['expires_in']).toBe(sent);
    });

    test('when expires_in is within the ceiling it is taken as sent; when it is not a positive number it is left out', () => {
      expect(tokenSetFrom({ accessToken: 'at', expiresIn: MAX_TOKEN_LIFETIME_SECONDS })?.expiresInSeconds).toBe(MAX_TOKEN_LIFETIME_SECONDS);
      expect(tokenSetFrom({ accessToken: 'at', expiresIn: 28_800 })?.expiresInSeconds).toBe(28_800);
      for (const bad of [0, -1, Number.NaN, 'soon']) expect(tokenSetFrom({ accessToken: 'at', expiresIn: bad })).not.toHaveProperty('expiresInSeconds');
    });

    test('when CreateToken answers expiresIn 1e13 after the user approved, the AWS login resolves with a token whose expiresAt is a date, and the cache entry is written', async () => {
      const emulator = await start({ intervalSeconds: 0.01, autoApproveAfterMs: 0, accessTokenTtlSeconds: 1e13 });
      const token = await awsLogin(emulator);
      expect(token.expiresInSeconds).toBe(MAX_TOKEN_LIFETIME_SECONDS);
      expect(Number.isNaN(new Date(token.expiresAt!).getTime())).toBe(false);
      const path = ssoCachePath({ startUrl: START_URL, cacheDir: await tempDir() });
      await writeSsoTokenCache(path, ssoCacheEntryFromToken(token));
      const written = await readSsoTokenCache(path);
      expect(written?.accessToken).toBe(token.accessToken);
      expect(parseCacheTime(written!.expiresAt)).toBeLessThanOrEqual(YEAR_9999_END);
    });

    test('when a refresh answers expiresIn 1e13, the token source stores the new token with an expiry that is a date', async () => {
      const emulator = await start({ intervalSeconds: 0.01, autoApproveAfterMs: 0 });
      const clock = new ManualClock({ wallEpochMs: Date.now() });
      const cacheDir = await tempDir();
      const { path, entry } = await writeSession(emulator, cacheDir, clock, -60_000);
      const source = createSsoTokenSource({
        startUrl: START_URL,
        region: REGION,
        endpoint: emulator.awsEndpoint,
        cacheDir,
        clock,
        fetch: rewriting('/token', (json) => (json['expiresIn'] = 1e13)),
      });
      const fresh = await source.getToken();
      expect(fresh.accessToken).not.toBe(entry.accessToken);
      expect((await readSsoTokenCache(path))?.accessToken).toBe(fresh.accessToken);
      expect(parseCacheTime(fresh.expiresAt)).toBe(Math.floor((clock.wallNow() + MAX_TOKEN_LIFETIME_SECONDS * 1000) / 1000) * 1000);
    });

    test('when refreshAwsToken reads expiresIn 1e300, it resolves with the clamped lifetime', async () => {
      const emulator = await start({ intervalSeconds: 0.01, autoApproveAfterMs: 0 });
      const token = await awsLogin(emulator);
      const fresh = await refreshAwsToken({
        region: REGION,
        endpoint: emulator.awsEndpoint,
        registration: token.registration,
        refreshToken: token.refreshToken!,
        fetch: rewriting('/token', (json) => (json['expiresIn'] = 1e300)),
      });
      expect(fresh.expiresInSeconds).toBe(MAX_TOKEN_LIFETIME_SECONDS);
    });
  });

  describe('should refuse an absurd client registration expiry with InvalidResponseError, before any code is shown', () => {
    test.each([1e300, 1e13, YEAR_9999_END / 1000 + 1])('when RegisterClient answers clientSecretExpiresAt %d', (sent) => {
      const error = (() => {
        try {
          return registrationFrom({ clientId: 'c', clientSecret: 's', clientSecretExpiresAt: sent });
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(InvalidResponseError);
      expect((error as Error).message).toMatch(/RegisterClient answered a clientSecretExpiresAt \(.*\) after the year 9999/);
    });

    test('when clientSecretExpiresAt is the last second of 9999 it is taken, and a clientIdIssuedAt of 1e300 is dropped', () => {
      const registration = registrationFrom({ clientId: 'c', clientSecret: 's', clientSecretExpiresAt: Math.floor(YEAR_9999_END / 1000), clientIdIssuedAt: 1e300 });
      expect(registration.registrationExpiresAt).toBe(Math.floor(YEAR_9999_END / 1000) * 1000);
      expect(registration).not.toHaveProperty('clientIdIssuedAt');
    });

    test('when a registration cache still holds one with registrationExpiresAt 1e303 (cached before the check), it is not used: the login registers anew and its cache entry can be written', async () => {
      const emulator = await start({ intervalSeconds: 0.01, autoApproveAfterMs: 0 });
      const stale = { clientId: 'old-client', clientSecret: 'old-secret', clientSecretExpiresAt: 1e300, registrationExpiresAt: 1e303 };
      expect(isRegistrationUsable(stale, Date.now())).toBe(false);
      const token = await loginWithAwsSso({ region: REGION, endpoint: emulator.awsEndpoint, startUrl: START_URL, cache: { get: () => stale, set: () => undefined } }).result;
      expect(token.registration.clientId).not.toBe('old-client');
      expect(() => ssoCacheEntryFromToken(token)).not.toThrow();
    });

    test('when a login\'s RegisterClient answers 1e300, the login rejects with InvalidResponseError and no code event', async () => {
      const emulator = await start({ intervalSeconds: 0.01, autoApproveAfterMs: 0 });
      const login = loginWithAwsSso({
        region: REGION,
        endpoint: emulator.awsEndpoint,
        startUrl: START_URL,
        cache: false,
        fetch: rewriting('/client/register', (json) => (json['clientSecretExpiresAt'] = 1e300)),
      });
      const codes: unknown[] = [];
      login.on('code', (code) => codes.push(code));
      await expect(login.result).rejects.toBeInstanceOf(InvalidResponseError);
      expect(codes).toEqual([]);
    });
  });

  describe('should refuse an absurd role credentials expiration with InvalidResponseError, never a RangeError or a usage error later', () => {
    test.each([1e300, YEAR_9999_END + 1])('when roleCredentials.expiration is %d', (expiration) => {
      const read = (): unknown => roleCredentialsFrom({ roleCredentials: { accessKeyId: 'ASIA', secretAccessKey: 'sk', sessionToken: 'st', expiration } }, 'GetRoleCredentials');
      expect(read).toThrow(InvalidResponseError);
      expect(read).toThrow(/GetRoleCredentials answered roleCredentials without a usable expiration/);
    });

    test('when the portal answers an expiration of 1e300, getRoleCredentials rejects with InvalidResponseError naming no secret', async () => {
      const emulator = await start({ intervalSeconds: 0.01, autoApproveAfterMs: 0, roleCredentialsTtlSeconds: 1e300 });
      const clock = new ManualClock({ wallEpochMs: Date.now() });
      const cacheDir = await tempDir();
      const { entry } = await writeSession(emulator, cacheDir, clock, 60 * 60_000);
      const source = createSsoTokenSource({ startUrl: START_URL, region: REGION, endpoint: emulator.awsEndpoint, cacheDir, clock });
      const portal = awsSsoPortal({ region: REGION, endpoint: emulator.awsPortalEndpoint, token: source });
      const error = await portal.getRoleCredentials({ accountId: '111111111111', roleName: 'ReadOnly' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidResponseError);
      expect(JSON.stringify(error)).not.toContain(entry.accessToken);
    });

    test('when the expiration is the last millisecond of 9999, credentialProcessOutput writes it', () => {
      const credentials = roleCredentialsFrom({ roleCredentials: { accessKeyId: 'ASIA', secretAccessKey: 'sk', sessionToken: 'st', expiration: YEAR_9999_END } }, 'GetRoleCredentials');
      expect(credentialProcessOutput(credentials).Expiration).toBe('9999-12-31T23:59:59.999Z');
    });
  });
});
