import { beforeEach, describe, expect, test, vi } from 'vitest';
import { loginWithAwsSso, loginWithDeviceFlow, memoryRegistrationCache } from '../../src/index.js';
import { checkSecureUrl } from '../../src/transports/secure-url.js';
import { resolveClient } from '../../src/transports/rfc8628/client-auth.js';
import { ManualClock } from '../../src/testing.js';
import { awsError, deviceAuthorization, fakeFetch, granted, registration } from '../aws/helpers/fake-fetch.js';

// Every module that checks a URL or resolves a client imports these two; wrapping them counts every check.
vi.mock('../../src/transports/secure-url.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/transports/secure-url.js')>();
  return { ...original, checkSecureUrl: vi.fn(original.checkSecureUrl) };
});
vi.mock('../../src/transports/rfc8628/client-auth.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/transports/rfc8628/client-auth.js')>();
  return { ...original, resolveClient: vi.fn(original.resolveClient) };
});

const checked = vi.mocked(checkSecureUrl);
const resolved = vi.mocked(resolveClient);

beforeEach(() => {
  checked.mockClear();
  resolved.mockClear();
});

describe('loginWithDeviceFlow', () => {
  describe('should check each URL once, where it comes in, and resolve the client once', () => {
    test('when the issuer is discovered, two polls later: the issuer, both endpoints the metadata names and the verification URIs, once each', async () => {
      // Arrange
      const clock = new ManualClock();
      const server = oauthServer();
      // Act
      const login = loginWithDeviceFlow({ issuer: 'https://auth.test', clientId: 'cli', clientSecret: 'SECRET', fetch: server.fetch, clock });
      const result = await clock.runUntilSettled(login.result);
      // Assert
      expect(result.status).toBe('fulfilled');
      expect(server.urls).toEqual([
        'https://auth.test/.well-known/oauth-authorization-server',
        'https://auth.test/device',
        'https://auth.test/token',
        'https://auth.test/token',
      ]);
      expect(checkedUrls()).toEqual(['https://auth.test', 'https://auth.test/device', 'https://auth.test/token', 'https://auth.test/verify', 'https://auth.test/verify?user_code=U']);
      expect(resolved).toHaveBeenCalledTimes(1);
    });

    test('when the endpoints are explicit: each endpoint and verification URI once', async () => {
      const clock = new ManualClock();
      const server = oauthServer();
      const login = loginWithDeviceFlow({ deviceAuthorizationEndpoint: 'https://auth.test/device', tokenEndpoint: 'https://auth.test/token', clientId: 'cli', fetch: server.fetch, clock });
      const result = await clock.runUntilSettled(login.result);
      expect(result.status).toBe('fulfilled');
      expect(checkedUrls()).toEqual(['https://auth.test/device', 'https://auth.test/token', 'https://auth.test/verify', 'https://auth.test/verify?user_code=U']);
      expect(resolved).toHaveBeenCalledTimes(1);
    });
  });
});

describe('loginWithAwsSso', () => {
  describe('should check the endpoint once, however many calls the login makes', () => {
    test('when it registers, authorizes and polls three times', async () => {
      const NOW = Date.UTC(2026, 0, 1);
      const clock = new ManualClock({ wallEpochMs: NOW });
      const pending = awsError('AuthorizationPendingException', 400, 'authorization_pending');
      let polls = 0;
      const fake = fakeFetch((path) => (path === '/aws/client/register' ? registration(NOW, 86_400, 'client-1') : path === '/aws/device_authorization' ? deviceAuthorization : ++polls < 3 ? pending : granted));
      const login = loginWithAwsSso({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9/aws', startUrl: 'https://d-1.awsapps.com/start', fetch: fake.fetch, clock, cache: memoryRegistrationCache(() => NOW) });
      const result = await clock.runUntilSettled(login.result);
      expect(result.status).toBe('fulfilled');
      expect(fake.paths()).toHaveLength(5);
      // The endpoint, then the two verification URIs the answer carried.
      expect(checkedUrls()[0]).toBe('http://127.0.0.1:9/aws');
      expect(checkedUrls().filter((url) => url.startsWith('http://127.0.0.1:9'))).toHaveLength(1);
      expect(new Set(checkedUrls()).size).toBe(checkedUrls().length);
    });
  });
});

// Helpers

function checkedUrls(): string[] {
  return checked.mock.calls.map(([url]) => String(url));
}

/** An authorization server at https://auth.test: metadata, a device code, one pending answer, then a token. */
function oauthServer(): { fetch: typeof fetch; urls: string[] } {
  const urls: string[] = [];
  let polls = 0;
  const json = (status: number, body: object): Response => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  const fetchImpl = async (url: string | URL | Request): Promise<Response> => {
    const href = String(url);
    urls.push(href);
    if (href.includes('/.well-known/')) return json(200, { issuer: 'https://auth.test', device_authorization_endpoint: 'https://auth.test/device', token_endpoint: 'https://auth.test/token' });
    if (href.endsWith('/device')) {
      return json(200, { device_code: 'DC', user_code: 'U', verification_uri: 'https://auth.test/verify', verification_uri_complete: 'https://auth.test/verify?user_code=U', expires_in: 600, interval: 5 });
    }
    return ++polls < 2 ? json(400, { error: 'authorization_pending' }) : json(200, { access_token: 'AT', token_type: 'Bearer' });
  };
  return { fetch: fetchImpl as typeof fetch, urls };
}
