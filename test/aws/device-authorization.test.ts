import { describe, expect, test } from 'vitest';
import { AwsSsoOidcError, ConfigurationError, InvalidResponseError, RetriesExhaustedError, startAwsDeviceAuthorization, type RetryEvent } from '../../src/index.js';
import { awsDeviceAuthorizationFrom } from '../../src/transports/aws/device-authorization.js';
import { ManualClock, seededRandom } from '../../src/testing.js';
import { DEVICE_CODE, SECRET, awsError, deviceAuthorization, fakeFetch, type FakeAnswer } from './helpers/fake-fetch.js';
import { catchError } from '../helpers/catch-error.js';

const registration = { clientId: 'client-1', clientSecret: SECRET };
const startUrl = 'https://d-1234567890.awsapps.com/start';

describe('startAwsDeviceAuthorization', () => {
  describe('should normalise the answer', () => {
    test('when AWS answers, the camelCase fields map onto DeviceAuthorization and issuedAt is the arrival time', async () => {
      const clock = new ManualClock({ now: 1234 });
      const fake = fakeFetch(() => deviceAuthorization);
      const result = await startAwsDeviceAuthorization({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9/aws', fetch: fake.fetch, clock, registration, startUrl });
      expect(fake.calls[0]).toMatchObject({ path: '/aws/device_authorization', body: { clientId: 'client-1', clientSecret: SECRET, startUrl } });
      expect(result).toEqual({
        deviceCode: DEVICE_CODE,
        userCode: 'ABCD-EFGH',
        verificationUri: 'https://device.sso.us-east-1.amazonaws.com/',
        verificationUriComplete: 'https://device.sso.us-east-1.amazonaws.com/?user_code=ABCD-EFGH',
        expiresInSeconds: 600,
        intervalSeconds: 1,
        issuedAt: 1234,
      });
    });

    test('when interval and verificationUriComplete are missing and expiresIn is a numeric string, it becomes a number, as on the RFC 8628 wire', () => {
      const json = { deviceCode: 'd', userCode: 'u', verificationUri: 'https://v', expiresIn: '600' };
      expect(awsDeviceAuthorizationFrom(json, 5)).toEqual({ deviceCode: 'd', userCode: 'u', verificationUri: 'https://v', expiresInSeconds: 600, issuedAt: 5 });
    });

    test('when the seconds are strings, numeric ones become numbers and others pass through for the poller to check', () => {
      const json = { deviceCode: 'd', userCode: 'u', verificationUri: 'https://v', expiresIn: ' 0.5 ', interval: 'soon' };
      expect(awsDeviceAuthorizationFrom(json, 5)).toMatchObject({ expiresInSeconds: 0.5, intervalSeconds: 'soon' });
    });

    test('when required members are missing, InvalidResponseError names them without the device code', () => {
      const error = catchError(() => awsDeviceAuthorizationFrom({ deviceCode: DEVICE_CODE, verificationUri: 'https://v' }, 0));
      expect(error).toBeInstanceOf(InvalidResponseError);
      expect((error as Error).message).toBe('StartDeviceAuthorization answered without userCode, expiresIn');
    });
  });

  describe('should retry SlowDown and InternalServer with retry()', () => {
    test('when AWS answers SlowDownException, the retry waits at least 5 s on the injected clock', async () => {
      const { run, fake, events, clock } = start([awsError('SlowDownException', 400, 'slow_down'), deviceAuthorization]);
      const result = await clock.runUntilSettled(run);
      expect(result.status).toBe('fulfilled');
      expect(fake.calls).toHaveLength(2);
      expect(events).toEqual([expect.objectContaining({ fault: expect.objectContaining({ type: 'slow_down' }), attempt: 1 })]);
      expect(events[0]!.delayMs).toBeGreaterThanOrEqual(5000);
      expect(clock.now()).toBeGreaterThanOrEqual(5000);
    });

    test('when AWS answers InternalServerException and then an HTML 502, both are retried with the backoff', async () => {
      const { run, fake, events, clock } = start([
        awsError('InternalServerException', 500, 'server_error'),
        { status: 502, body: '<html>Bad Gateway</html>', headers: { 'content-type': 'text/html' } },
        deviceAuthorization,
      ]);
      expect((await clock.runUntilSettled(run)).status).toBe('fulfilled');
      expect(fake.calls).toHaveLength(3);
      expect(events.map((e) => [e.fault.type, e.delayMs])).toEqual([['server_error', 100], ['server_error', 200]]);
    });

    test('when the faults persist, RetriesExhaustedError ends the call after the budget', async () => {
      const { run, fake, clock } = start([awsError('InternalServerException', 500, 'server_error')], { retries: 2 });
      const result = await clock.runUntilSettled(run);
      expect(result).toMatchObject({ status: 'rejected', reason: expect.any(RetriesExhaustedError) });
      expect(fake.calls).toHaveLength(3);
    });
  });

  describe('should not retry errors that retrying cannot fix', () => {
    test.each([
      ['InvalidClientException', 401, 'invalid_client', true],
      ['UnauthorizedClientException', 400, 'unauthorized_client', false],
      ['InvalidRequestException', 400, 'invalid_request', false],
    ])('when AWS answers %s, AwsSsoOidcError says which call failed, without secrets', async (exception, status, code, reregister) => {
      const { run, fake, clock } = start([awsError(exception, status, code, 'refused', { reason: 'SOME_REASON' })]);
      const result = await clock.runUntilSettled(run);
      expect(fake.calls).toHaveLength(1);
      const error = (result as PromiseRejectedResult).reason as AwsSsoOidcError;
      expect(error).toBeInstanceOf(AwsSsoOidcError);
      expect(error).toMatchObject({ operation: 'StartDeviceAuthorization', code: 'ERR_OAUTH_ERROR', reregisterClient: reregister });
      expect(error.error).toMatchObject({ code, exception, reason: 'SOME_REASON', status });
      expect(error.message).toBe(`StartDeviceAuthorization answered ${code} (${exception}): refused [reason: SOME_REASON]`);
      expect(JSON.stringify(error) + String(error)).not.toMatch(/SECRET|DEVICE/);
    });

    test('when the registration or start URL is missing, ConfigurationError says so without the secret', async () => {
      await expect(startAwsDeviceAuthorization({ region: 'us-east-1', registration: { clientId: 'a', clientSecret: '' }, startUrl })).rejects.toBeInstanceOf(ConfigurationError);
      await expect(startAwsDeviceAuthorization({ region: 'us-east-1', registration, startUrl: '' })).rejects.toMatchObject({ option: 'startUrl' });
    });
  });
});

// Helpers

function start(script: FakeAnswer[], retry: { retries?: number } = {}) {
  const clock = new ManualClock();
  const fake = fakeFetch((_path, _body, call) => script[Math.min(call, script.length) - 1]!);
  const events: RetryEvent[] = [];
  const run = startAwsDeviceAuthorization({
    region: 'us-east-1',
    endpoint: 'http://127.0.0.1:9/aws',
    fetch: fake.fetch,
    clock,
    registration,
    startUrl,
    retry: { backoff: ({ attempt }) => attempt * 100, random: seededRandom(1), onRetry: (e) => events.push(e), ...retry },
  });
  return { run, fake, events, clock };
}
