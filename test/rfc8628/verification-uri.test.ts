import { describe, expect, test } from 'vitest';
import { deviceAuthorizationFrom, InvalidResponseError, requestDeviceAuthorization, startAwsDeviceAuthorization, startDeviceLogin } from '../../src/index.js';
import { ManualClock } from '../../src/testing.js';
import { awsDeviceAuthorizationFrom } from '../../src/transports/aws/device-authorization.js';
import { catchError } from '../helpers/catch-error.js';
import { fakeFetch } from '../aws/helpers/fake-fetch.js';

const DEVICE_CODE = 'dc-secret-value';
const rfcAnswer = (uri: Record<string, string>): Record<string, unknown> => ({ device_code: DEVICE_CODE, user_code: 'ABCD-EFGH', expires_in: 600, interval: 5, verification_uri: 'https://id.example.com/device', ...uri });
const awsAnswer = (uri: Record<string, string>): Record<string, unknown> => ({ deviceCode: DEVICE_CODE, userCode: 'ABCD-EFGH', expiresIn: 600, interval: 1, verificationUri: 'https://device.sso.us-east-1.amazonaws.com/', ...uri });

// Verification URIs a server must not get shown to a user, or opened for them.
const HOSTILE: readonly (readonly [string, string])[] = [
  ['javascript:', 'javascript:alert(document.cookie)'],
  ['file:', 'file:///etc/passwd'],
  ['data:', 'data:text/html,<script>alert(1)</script>'],
  ['an option', '--remote-debugging-port=9222'],
  ['a bare path', '/device'],
  ['plain http: on the network', 'http://id.example.com/device'],
  ['a user name before the host', 'https://id.example.com@evil.example/device'],
  ['an escape sequence', 'https://id.example.com/device\u001B]52;c;ZXZpbA==\u0007'],
  ['a C1 control', 'https://id.example.com/\u009B2J'],
  ['a space', 'https://id.example.com/device now'],
];

describe('verification URIs from a device authorization answer', () => {
  describe('RFC 8628 (deviceAuthorizationFrom)', () => {
    test.each(HOSTILE)('should refuse %s as verification_uri with InvalidResponseError, without the device code', (_, uri) => {
      const error = catchError(() => deviceAuthorizationFrom(rfcAnswer({ verification_uri: uri }), 0));
      expect(error).toBeInstanceOf(InvalidResponseError);
      expect((error as InvalidResponseError).code).toBe('ERR_INVALID_RESPONSE');
      expect((error as Error).message).toMatch(/^the device authorization answer has a verification_uri /);
      expect((error as Error).message).not.toContain(DEVICE_CODE);
      // The message never repeats the hostile text.
      expect((error as Error).message).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    });

    test.each(HOSTILE)('should refuse %s as verification_uri_complete too', (_, uri) => {
      const error = catchError(() => deviceAuthorizationFrom(rfcAnswer({ verification_uri_complete: uri }), 0));
      expect(error).toBeInstanceOf(InvalidResponseError);
      expect((error as Error).message).toMatch(/verification_uri_complete/);
    });

    test("should name the scheme it refused (Google's verification_url included)", () => {
      const error = catchError(() => deviceAuthorizationFrom({ ...rfcAnswer({}), verification_uri: undefined, verification_url: 'javascript:alert(1)' }, 0));
      expect((error as Error).message).toContain('(javascript:)');
    });

    test.each([
      ['https:', 'https://id.example.com/device'],
      ['http: on 127.0.0.1', 'http://127.0.0.1:8080/device'],
      ['http: on localhost', 'http://localhost/device'],
      ['http: on [::1]', 'http://[::1]:9/device'],
      ['a non-ASCII host', 'https://bücher.example/device'],
    ])('should keep %s as sent', (_, uri) => {
      const authorization = deviceAuthorizationFrom(rfcAnswer({ verification_uri: uri, verification_uri_complete: `${uri}?user_code=ABCD-EFGH` }), 0);
      expect(authorization.verificationUri).toBe(uri);
      expect(authorization.verificationUriComplete).toBe(`${uri}?user_code=ABCD-EFGH`);
    });

    test('should reject the answer at once, without asking again (requestDeviceAuthorization)', async () => {
      let calls = 0;
      const fetch = (async () => {
        calls++;
        return new Response(JSON.stringify(rfcAnswer({ verification_uri: 'javascript:alert(1)' })), { status: 200, headers: { 'content-type': 'application/json' } });
      }) as typeof globalThis.fetch;
      const failure = requestDeviceAuthorization({ deviceAuthorizationEndpoint: 'https://id.example.com/device_authorization', clientId: 'app', fetch });
      await expect(failure).rejects.toBeInstanceOf(InvalidResponseError);
      expect(calls).toBe(1);
    });
  });

  describe('AWS SSO OIDC (StartDeviceAuthorization)', () => {
    test.each(HOSTILE)('should refuse %s as verificationUri with InvalidResponseError', (_, uri) => {
      const error = catchError(() => awsDeviceAuthorizationFrom(awsAnswer({ verificationUri: uri }), 0));
      expect(error).toBeInstanceOf(InvalidResponseError);
      expect((error as Error).message).toMatch(/^the StartDeviceAuthorization answer has a verificationUri /);
      expect((error as Error).message).not.toContain(DEVICE_CODE);
    });

    test.each(HOSTILE)('should refuse %s as verificationUriComplete', (_, uri) => {
      const error = catchError(() => awsDeviceAuthorizationFrom(awsAnswer({ verificationUriComplete: uri }), 0));
      expect(error).toBeInstanceOf(InvalidResponseError);
      expect((error as Error).message).toMatch(/verificationUriComplete/);
    });

    test('should reject the answer at once, without asking again (startAwsDeviceAuthorization)', async () => {
      const fake = fakeFetch(() => ({ status: 200, body: awsAnswer({ verificationUriComplete: 'file:///etc/passwd' }) }));
      const failure = startAwsDeviceAuthorization({
        region: 'us-east-1',
        endpoint: 'http://127.0.0.1:9/aws',
        fetch: fake.fetch,
        registration: { clientId: 'client-1', clientSecret: 'secret' },
        startUrl: 'https://d-1234567890.awsapps.com/start',
      });
      await expect(failure).rejects.toBeInstanceOf(InvalidResponseError);
      expect(fake.calls).toHaveLength(1);
    });
  });
});

describe('startDeviceLogin with a provider of your own', () => {
  test.each(HOSTILE)('should show no code and poll nothing when authorize returns a verification URI that is %s', async (_kind, uri) => {
    // Arrange
    const clock = new ManualClock();
    let polls = 0;
    const login = startDeviceLogin({
      clock,
      authorize: async () => ({ deviceCode: DEVICE_CODE, userCode: 'ABCD-EFGH', verificationUri: uri, expiresInSeconds: 600, intervalSeconds: 5, issuedAt: clock.now() }),
      transportFor: () => async () => {
        polls += 1;
        return { type: 'authorization_pending' };
      },
    });
    const codes: unknown[] = [];
    login.on('code', (code) => codes.push(code));
    // Act
    const result = await clock.runUntilSettled(login.result);
    // Assert
    expect(result.status).toBe('rejected');
    expect((result as PromiseRejectedResult).reason).toBeInstanceOf(InvalidResponseError);
    expect(codes).toEqual([]);
    expect(polls).toBe(0);
  });
});
