import { describe, expect, test, vi } from 'vitest';
import { ConfigurationError, InvalidResponseError, assertSecureUrl, discover, loginWithDeviceFlow } from '../../src/index.js';
import { ManualClock } from '../../src/testing.js';
import { startLocalServer } from './local-server.js';

const SECRET = 'SECRET-downgrade-5be1';

/** A fetch for an `https:` issuer whose metadata names the given endpoints; it records every URL asked for. */
function httpsIssuer(endpoints: { device: string; token: string }): { fetch: typeof fetch; urls: string[]; bodies: string[] } {
  const urls: string[] = [];
  const bodies: string[] = [];
  const fetchImpl = vi.fn(async (url: string | URL | Request, init?: RequestInit) => {
    urls.push(String(url));
    bodies.push(typeof init?.body === 'string' ? init.body : '');
    const metadata = { issuer: 'https://auth.test', device_authorization_endpoint: endpoints.device, token_endpoint: endpoints.token };
    return new Response(JSON.stringify(metadata), { status: 200, headers: { 'content-type': 'application/json' } });
  });
  return { fetch: fetchImpl as typeof fetch, urls, bodies };
}

describe('an https: issuer never downgrades to plain http:', () => {
  describe('should refuse metadata naming plain http: endpoints', () => {
    test.each([
      ['device_authorization_endpoint', { device: 'http://127.0.0.1:9/device', token: 'https://auth.test/token' }],
      ['token_endpoint', { device: 'https://auth.test/device', token: 'http://127.0.0.1:9/token' }],
      ['token_endpoint', { device: 'https://auth.test/device', token: 'http://localhost:9/token' }],
      ['device_authorization_endpoint', { device: 'http://[::1]:9/device', token: 'https://auth.test/token' }],
    ])('when the metadata names %s on a loopback http: URL, discovery rejects with InvalidResponseError (a server fault, not a bad option)', async (member, endpoints) => {
      // Arrange
      const issuer = httpsIssuer(endpoints);
      // Act
      const settled = await new ManualClock().runUntilSettled(discover('https://auth.test', { fetch: issuer.fetch }));
      // Assert
      const error = (settled as PromiseRejectedResult).reason as InvalidResponseError;
      expect(error).toBeInstanceOf(InvalidResponseError);
      expect(error).not.toBeInstanceOf(ConfigurationError);
      expect(error.message).toMatch(new RegExp(`${member}: http://[^ ]+ must use https:, as its issuer https://auth\\.test does$`));
    });

    test('when a login with a client secret meets such metadata, neither the secret nor a device code is sent anywhere', async () => {
      // Arrange: a real listener on the port the metadata names, to see whether anything reaches it.
      const local = await startLocalServer(() => ({ status: 200, body: { device_code: SECRET, user_code: 'U', verification_uri: 'https://v.test', expires_in: 600 } }));
      try {
        const issuer = httpsIssuer({ device: `${local.url}/device`, token: `${local.url}/token` });
        const clock = new ManualClock();
        // Act
        const login = loginWithDeviceFlow({ issuer: 'https://auth.test', clientId: 'cli', clientSecret: SECRET, fetch: issuer.fetch, clock });
        const settled = await clock.runUntilSettled(login.result);
        // Assert
        expect((settled as PromiseRejectedResult).reason).toBeInstanceOf(InvalidResponseError);
        expect(issuer.urls.every((url) => url.startsWith('https://auth.test/.well-known/'))).toBe(true);
        expect(issuer.bodies.join('')).not.toContain(SECRET);
        expect(local.requests).toEqual([]);
      } finally {
        await local.close();
      }
    });

    test('when explicit endpoints are plain http: under an https: issuer, it throws ConfigurationError at once', () => {
      expect(() => loginWithDeviceFlow({ issuer: 'https://auth.test', deviceAuthorizationEndpoint: 'http://127.0.0.1:9/device', tokenEndpoint: 'https://auth.test/token', clientId: 'c' })).toThrow(
        'deviceAuthorizationEndpoint: http://127.0.0.1:9 must use https:, as its issuer https://auth.test does',
      );
    });
  });

  describe('should keep plain http: for a loopback issuer that is itself http:', () => {
    test('when a loopback http: issuer names loopback http: endpoints, discovery finds them', async () => {
      const local = await startLocalServer((request) =>
        request.path === '/.well-known/oauth-authorization-server'
          ? { status: 200, body: { issuer: local.url, device_authorization_endpoint: `${local.url}/device`, token_endpoint: `${local.url}/token` } }
          : { status: 404 },
      );
      try {
        await expect(discover(local.url)).resolves.toMatchObject({ deviceAuthorizationEndpoint: `${local.url}/device`, tokenEndpoint: `${local.url}/token` });
      } finally {
        await local.close();
      }
    });

    test.each([
      ['http://127.0.0.1:8080/token', 'http://127.0.0.1:9', true],
      ['https://auth.test/token', 'https://auth.test', true],
      ['https://auth.test/token', 'http://127.0.0.1:9', true],
      ['http://127.0.0.1:8080/token', 'https://auth.test', false],
      ['http://auth.test/token', 'http://auth.test', false],
    ])('when assertSecureUrl checks %s under the issuer %s, it accepts: %s', (url, issuer, accepted) => {
      const check = (): URL => assertSecureUrl(url, 'token_endpoint', new URL(issuer));
      if (accepted) expect(check().href).toBe(url);
      else expect(check).toThrow(ConfigurationError);
    });
  });
});
