import { describe, expect, test } from 'vitest';
import {
  DEFAULT_REGISTRATION_MARGIN_MS,
  InvalidResponseError,
  isRegistrationUsable,
  memoryRegistrationCache,
  registerAwsClient,
  registrationCacheKey,
  type AwsClientRegistration,
  type AwsRegistrationCache,
} from '../../src/index.js';
import { resolveAwsClient } from '../../src/transports/aws/client.js';
import { obtainRegistration, registrationFrom } from '../../src/transports/aws/register-client.js';
import { ManualClock } from '../../src/testing.js';
import { SECRET, fakeFetch, registration } from './helpers/fake-fetch.js';
import { catchError } from '../helpers/catch-error.js';

const NOW = Date.UTC(2026, 0, 1);

describe('registration cache', () => {
  describe('should use a registration only while it has more than the margin left', () => {
    test('when it expires just after the margin, or just at it', () => {
      const usable = reg(NOW + DEFAULT_REGISTRATION_MARGIN_MS + 1);
      const atMargin = reg(NOW + DEFAULT_REGISTRATION_MARGIN_MS);
      expect(isRegistrationUsable(usable, NOW)).toBe(true);
      expect(isRegistrationUsable(atMargin, NOW)).toBe(false);
      expect(isRegistrationUsable(atMargin, NOW, 0)).toBe(true);
      expect(isRegistrationUsable(reg(NOW), NOW, 0)).toBe(false);
    });

    test.each([[undefined], [null], ['x'], [{ clientId: 'a', registrationExpiresAt: NOW * 2 }], [{ clientId: '', clientSecret: 's', registrationExpiresAt: NOW * 2 }]])(
      'when the cache holds something malformed (%j), it is not used',
      (value) => {
        expect(isRegistrationUsable(value, NOW)).toBe(false);
      },
    );
  });

  describe('should drop expired entries from the in-memory cache', () => {
    test('when the wall clock passes the expiry', () => {
      let now = NOW;
      const cache = memoryRegistrationCache(() => now);
      cache.set('k', reg(NOW + 1000));
      expect(cache.get('k')).toMatchObject({ clientId: 'client-1' });
      now += 1000;
      expect(cache.get('k')).toBeUndefined();
    });
  });

  describe('should key registrations by endpoint, client name and scopes', () => {
    test('when the scopes come in another order, the key is the same', () => {
      expect(registrationCacheKey('https://a', 'cli', ['b', 'a'])).toBe(registrationCacheKey('https://a', 'cli', ['a', 'b']));
      expect(registrationCacheKey('https://a', 'cli')).not.toBe(registrationCacheKey('https://b', 'cli'));
      expect(registrationCacheKey('https://a', 'cli')).not.toBe(registrationCacheKey('https://a', 'other'));
    });
  });
});

describe('registerAwsClient', () => {
  describe('should send RegisterClient and normalise the answer', () => {
    test('when AWS answers, epoch seconds are kept and the expiry is also given in ms', async () => {
      const fake = fakeFetch(() => registration(NOW, 3600));
      const result = await registerAwsClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9/aws', fetch: fake.fetch, clientName: 'my-cli', scopes: ['sso:account:access'] });
      expect(fake.calls).toEqual([
        {
          url: 'http://127.0.0.1:9/aws/client/register',
          path: '/aws/client/register',
          headers: { 'content-type': 'application/json', accept: 'application/json', 'user-agent': expect.stringMatching(/^tokenpoll\/\d+\.\d+\.\d+/) },
          body: { clientName: 'my-cli', clientType: 'public', scopes: ['sso:account:access'] },
        },
      ]);
      expect(result).toEqual({
        clientId: 'client-1',
        clientSecret: SECRET,
        clientIdIssuedAt: NOW / 1000,
        clientSecretExpiresAt: NOW / 1000 + 3600,
        registrationExpiresAt: NOW + 3_600_000,
        scopes: ['sso:account:access'],
      });
    });

    test('when numbers come as strings, they are read', () => {
      expect(registrationFrom({ clientId: 'a', clientSecret: 's', clientSecretExpiresAt: '1800000000' })).toMatchObject({ registrationExpiresAt: 1_800_000_000_000 });
    });

    test.each([
      [{ clientSecret: SECRET, clientSecretExpiresAt: 1 }, 'clientId'],
      [{ clientId: 'a', clientSecretExpiresAt: 1 }, 'clientSecret'],
      [{ clientId: 'a', clientSecret: SECRET, clientSecretExpiresAt: 0 }, 'clientSecretExpiresAt'],
    ])('when the answer lacks a member (%j), InvalidResponseError names it without the secret', (json, missing) => {
      const error = catchError(() => registrationFrom(json));
      expect(error).toBeInstanceOf(InvalidResponseError);
      expect((error as Error).message).toContain(missing);
      expect(JSON.stringify(error) + String(error)).not.toContain(SECRET);
    });
  });
});

describe('obtainRegistration', () => {
  describe('should reuse a cached registration until it nears its expiry', () => {
    test('when two logins ask, one RegisterClient is sent', async () => {
      const { client, fake, cache, request } = setup(() => registration(NOW, 86_400));
      const first = await obtainRegistration(client, request, false);
      const second = await obtainRegistration(client, request, false);
      expect(second).toBe(first);
      expect(fake.paths()).toEqual(['/aws/client/register']);
      expect(await cache.get(registrationCacheKey(client.endpoint, 'cli'))).toBe(first);
    });

    test('when the cached one has less than the margin left, a new client is registered and cached', async () => {
      const { client, fake, cache, request } = setup((_path, _body, call) => registration(NOW, call === 1 ? 600 : 86_400, `client-${call}`));
      expect(await obtainRegistration(client, request, false)).toMatchObject({ clientId: 'client-1' });
      expect(await obtainRegistration(client, request, false)).toMatchObject({ clientId: 'client-2' });
      expect(await cache.get(registrationCacheKey(client.endpoint, 'cli'))).toMatchObject({ clientId: 'client-2' });
      expect(fake.paths()).toHaveLength(2);
    });

    test('when renewing after InvalidClientException, the cached one is deleted and replaced', async () => {
      const deleted: string[] = [];
      const { client, request, cache } = setup((_path, _body, call) => registration(NOW, 86_400, `client-${call}`), (c) => ({ ...c, delete: (key) => void deleted.push(key) }));
      await obtainRegistration(client, request, false);
      const renewed = await obtainRegistration(client, request, true);
      expect(renewed.clientId).toBe('client-2');
      expect(deleted).toEqual([registrationCacheKey(client.endpoint, 'cli')]);
      expect(await cache.get(registrationCacheKey(client.endpoint, 'cli'))).toBe(renewed);
    });

    test('when the cache is asynchronous, it is awaited', async () => {
      const store = new Map<string, AwsClientRegistration>();
      const asyncCache: AwsRegistrationCache = {
        get: async (key) => store.get(key),
        set: async (key, value) => void store.set(key, value),
      };
      const { client, fake, request } = setup(() => registration(NOW, 86_400), () => asyncCache);
      await obtainRegistration(client, request, false);
      await obtainRegistration(client, request, false);
      expect(fake.calls).toHaveLength(1);
      expect(store.size).toBe(1);
    });
  });
});

// Helpers

function reg(expiresAtMs: number): AwsClientRegistration {
  return { clientId: 'client-1', clientSecret: SECRET, clientSecretExpiresAt: expiresAtMs / 1000, registrationExpiresAt: expiresAtMs };
}

function setup(route: Parameters<typeof fakeFetch>[0], wrap: (cache: AwsRegistrationCache) => AwsRegistrationCache = (c) => c) {
  const clock = new ManualClock({ wallEpochMs: NOW });
  const fake = fakeFetch(route);
  const cache = wrap(memoryRegistrationCache(() => clock.wallNow()));
  const client = resolveAwsClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9/aws', fetch: fake.fetch, clock });
  return { clock, fake, cache, client, request: { clientName: 'cli', scopes: undefined, cache, marginMs: undefined, signal: undefined } };
}
