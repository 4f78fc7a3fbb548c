import { describe, expect, test } from 'vitest';
import {
  basicAuthorization,
  ConfigurationError,
  deviceAuthorizationFrom,
  discover,
  formUrlEncode,
  InvalidResponseError,
  loginWithDeviceFlow,
  refreshToken,
  requestDeviceAuthorization,
  tokenTransport,
  wellKnownUrls,
} from '../../src/index.js';

const SECRET = 's3cr3t-value';
const DEVICE_CODE = 'dc-secret-value';

describe('rfc8628', () => {
  describe('should normalise a device authorization answer', () => {
    test('when numbers arrive as strings', () => {
      // Arrange
      const body = { device_code: DEVICE_CODE, user_code: 'ABCD-EFGH', verification_uri: 'https://x.test/device', expires_in: '1800', interval: ' 5 ' };
      // Act
      const authorization = deviceAuthorizationFrom(body, 42);
      // Assert
      expect(authorization).toEqual({
        deviceCode: DEVICE_CODE,
        userCode: 'ABCD-EFGH',
        verificationUri: 'https://x.test/device',
        expiresInSeconds: 1800,
        intervalSeconds: 5,
        issuedAt: 42,
      });
      expect(Object.isFrozen(authorization)).toBe(true);
    });

    test("when Google sends verification_url and no verification_uri_complete", () => {
      const authorization = deviceAuthorizationFrom(
        { device_code: DEVICE_CODE, user_code: 'GQVQ-JKEC', verification_url: 'https://www.google.com/device', expires_in: 1800, interval: 5 },
        0,
      );
      expect(authorization.verificationUri).toBe('https://www.google.com/device');
      expect('verificationUriComplete' in authorization).toBe(false);
    });

    test('when verification_uri_complete is empty, it is left out; when present, kept', () => {
      const base = { device_code: DEVICE_CODE, user_code: 'U', verification_uri: 'https://x.test/d', expires_in: 600 };
      expect('verificationUriComplete' in deviceAuthorizationFrom({ ...base, verification_uri_complete: '' }, 0)).toBe(false);
      expect(deviceAuthorizationFrom({ ...base, verification_uri_complete: 'https://x.test/d?c=U' }, 0).verificationUriComplete).toBe('https://x.test/d?c=U');
    });

    test("when Entra adds a message and leaves out interval", () => {
      const authorization = deviceAuthorizationFrom(
        { device_code: DEVICE_CODE, user_code: 'FJ7K', verification_uri: 'https://microsoft.com/devicelogin', expires_in: 900, message: 'To sign in, use a web browser…' },
        7,
      );
      expect(authorization.message).toBe('To sign in, use a web browser…');
      expect('intervalSeconds' in authorization).toBe(false);
    });

    test('when expires_in is not numeric, it is kept as sent for the poller to check', () => {
      const authorization = deviceAuthorizationFrom({ device_code: DEVICE_CODE, user_code: 'U', verification_uri: 'https://x.test/d', expires_in: 'soon' }, 0);
      expect(authorization.expiresInSeconds).toBe('soon');
    });
  });

  describe('should refuse an answer without the required members', () => {
    test('when every required member is missing, each is named and no value is echoed', () => {
      // Act
      const act = (): unknown => deviceAuthorizationFrom({ device_code: DEVICE_CODE, verification_uri: '  ' }, 0);
      // Assert
      expect(act).toThrow(InvalidResponseError);
      expect(act).toThrow('lacks user_code, verification_uri, expires_in');
      try {
        act();
      } catch (error) {
        expect(JSON.stringify(error)).not.toContain(DEVICE_CODE);
        expect(String(error)).not.toContain(DEVICE_CODE);
      }
    });
  });

  describe('should encode client credentials as RFC 6749 §2.3.1 says', () => {
    test('when id and secret hold special characters, each is form-urlencoded before base64', () => {
      // Arrange
      const clientId = 'my client+id:1';
      const clientSecret = "p@ss:w%rd/ü~*!'() &=";
      // Act
      const header = basicAuthorization(clientId, clientSecret);
      // Assert
      expect(header.startsWith('Basic ')).toBe(true);
      const decoded = atob(header.slice(6));
      expect(decoded).toBe('my+client%2Bid%3A1:p%40ss%3Aw%25rd%2F%C3%BC%7E*%21%27%28%29+%26%3D');
      const [id, secret] = decoded.split(':') as [string, string];
      expect(new URLSearchParams(`a=${id}`).get('a')).toBe(clientId);
      expect(new URLSearchParams(`a=${secret}`).get('a')).toBe(clientSecret);
    });

    test('when encoding a value, only *-._ and alphanumerics stay as they are', () => {
      expect(formUrlEncode('aZ09*-._ ~!')).toBe('aZ09*-._+%7E%21');
    });
  });

  describe('should require HTTPS except on loopback', () => {
    test.each(['http://auth.example.com/token', 'http://10.0.0.1/token', 'ftp://127.0.0.1/token', 'not a url'])('when the token endpoint is %s', (url) => {
      expect(() => tokenTransport({ tokenEndpoint: url, clientId: 'c', deviceCode: DEVICE_CODE })).toThrow(ConfigurationError);
    });

    test.each(['http://127.0.0.1:8080/token', 'http://localhost/token', 'http://[::1]:9/token', 'https://auth.example.com/token'])('when the token endpoint is %s, it is accepted', (url) => {
      expect(typeof tokenTransport({ tokenEndpoint: url, clientId: 'c', deviceCode: DEVICE_CODE })).toBe('function');
    });

    test('when discovery, the device authorization request or a refresh is given plain http', async () => {
      await expect(discover('http://auth.example.com')).rejects.toThrow(ConfigurationError);
      await expect(requestDeviceAuthorization({ deviceAuthorizationEndpoint: 'http://auth.example.com/device', clientId: 'c' })).rejects.toThrow(ConfigurationError);
      await expect(refreshToken({ tokenEndpoint: 'http://auth.example.com/token', clientId: 'c', refreshToken: 'rt' })).rejects.toThrow(ConfigurationError);
    });

    test('when a login is given plain http, it throws at once', () => {
      expect(() => loginWithDeviceFlow({ issuer: 'http://auth.example.com', clientId: 'c' })).toThrow(ConfigurationError);
      expect(() =>
        loginWithDeviceFlow({ deviceAuthorizationEndpoint: 'https://a.test/device', tokenEndpoint: 'http://a.test/token', clientId: 'c' }),
      ).toThrow(/tokenEndpoint/);
    });
  });

  describe('should refuse inconsistent options without echoing secrets', () => {
    test.each([
      [{ clientId: 'c', clientAuthentication: 'client_secret_basic' as const }, 'clientSecret: required for client_secret_basic'],
      [{ clientId: 'c', clientAuthentication: 'client_secret_post' as const }, 'clientSecret: required for client_secret_post'],
      [{ clientId: 'c', clientSecret: SECRET, clientAuthentication: 'none' as const }, "clientAuthentication: is 'none'"],
      [{ clientId: '' }, 'clientId: expected a non-empty string'],
      [{ clientId: 'c', parameters: { device_code: 'other' } }, 'parameters: device_code is set by tokenpoll'],
      [{ clientId: 'c', parameters: { client_secret: 'x' } }, 'parameters: client_secret is set by tokenpoll'],
    ])('when given %o', (options, message) => {
      const act = (): unknown => tokenTransport({ tokenEndpoint: 'https://a.test/token', deviceCode: DEVICE_CODE, ...options });
      expect(act).toThrow(ConfigurationError);
      expect(act).toThrow(message);
      try {
        act();
      } catch (error) {
        expect(String(error)).not.toContain(SECRET);
        expect(String(error)).not.toContain(DEVICE_CODE);
      }
    });

    test('when only one endpoint is given', () => {
      expect(() => loginWithDeviceFlow({ deviceAuthorizationEndpoint: 'https://a.test/device', clientId: 'c' } as never)).toThrow(ConfigurationError);
    });
  });

  describe('should build both metadata URLs', () => {
    test.each([
      ['https://auth.example.com', 'https://auth.example.com/.well-known/oauth-authorization-server', 'https://auth.example.com/.well-known/openid-configuration'],
      ['https://auth.example.com/', 'https://auth.example.com/.well-known/oauth-authorization-server', 'https://auth.example.com/.well-known/openid-configuration'],
      ['https://a.test/tenant/v2.0', 'https://a.test/.well-known/oauth-authorization-server/tenant/v2.0', 'https://a.test/tenant/v2.0/.well-known/openid-configuration'],
    ])('when the issuer is %s', (issuer, oauth, openid) => {
      const [first, second] = wellKnownUrls(issuer);
      expect([first.href, second.href]).toEqual([oauth, openid]);
    });
  });
});
