import { describe, expect, test } from 'vitest';
import { classifyHttpResponse, classifyThrown, parseRetryAfter, tokenSetFrom } from '../../src/index.js';

describe('classify quirks', () => {
  describe('should read Retry-After strictly', () => {
    test.each(['soon 2', 'tomorrow', '2015-10-21', 'Wed, 21 Oct 2015'])('when the value %j is not an HTTP-date or seconds', (value) => {
      expect(parseRetryAfter(value, 0)).toBeUndefined();
    });

    test('when delay-seconds is too large to represent', () => {
      expect(parseRetryAfter('9'.repeat(400), 0)).toBeUndefined();
    });

    test.each([
      ['Wed, 21 Oct 2015 07:28:30 GMT'],
      ['Wednesday, 21-Oct-15 07:28:30 GMT'],
      ['Wed Oct 21 07:28:30 2015'],
    ])('when the date %j is in one of the three HTTP-date forms', (value) => {
      expect(parseRetryAfter(value, Date.UTC(2015, 9, 21, 7, 28, 0))).toBe(30_000);
    });
  });

  describe('should read AWS error types the way the SDK does', () => {
    test('when __type is written namespace#Name', () => {
      const outcome = classifyHttpResponse({ status: 400, body: JSON.stringify({ __type: 'com.amazonaws.ssooidc#AccessDeniedException', message: 'denied' }) }, 0);
      expect(outcome).toMatchObject({ type: 'access_denied', error: { code: 'access_denied', exception: 'AccessDeniedException', description: 'denied' } });
    });
  });

  describe('should treat every 429 as throttling', () => {
    test.each(['too_many_requests', 'rate_limit_exceeded', 'invalid_request'])('when its body says %s', (error) => {
      const outcome = classifyHttpResponse({ status: 429, headers: { 'retry-after': '7' }, body: JSON.stringify({ error }) }, 0);
      expect(outcome).toEqual({ type: 'rate_limited', status: 429, message: 'HTTP 429 Too Many Requests', retryAfterMs: 7000 });
    });

    test('when its body says slow_down, it is a slow_down', () => {
      expect(classifyHttpResponse({ status: 429, body: '{"error":"slow_down"}' }, 0)).toEqual({ type: 'slow_down' });
    });
  });

  describe('should treat an AWS SDK error on a 2xx as a lost grant', () => {
    test('when the SDK could not parse a 200, the message does not quote the body', () => {
      const error = Object.assign(new SyntaxError('Unexpected token \'x\', "x{"accessToken":"at-SECRET"... is not valid JSON'), { $metadata: { httpStatusCode: 200 } });
      const outcome = classifyThrown(error);
      expect(outcome).toMatchObject({ type: 'unreadable_success', status: 200 });
      expect(JSON.stringify({ ...outcome, cause: undefined })).not.toContain('SECRET');
    });
  });

  describe('should read error codes before error names', () => {
    test('when the AWS SDK names a reset connection TimeoutError but codes it ECONNRESET', () => {
      const error = Object.assign(new Error('socket hang up'), { name: 'TimeoutError', code: 'ECONNRESET' });
      expect(classifyThrown(error).type).toBe('network_error');
    });

    test('when a TimeoutError has no code, it is a timeout', () => {
      expect(classifyThrown(new DOMException('timed out', 'TimeoutError')).type).toBe('timeout');
    });
  });

  describe('should only read numbers as expires_in', () => {
    test.each([true, '0x10', '1e3', [], {}])('when expires_in is %j', (value) => {
      expect(tokenSetFrom({ access_token: 'a', expires_in: value })?.expiresInSeconds).toBeUndefined();
    });

    test.each([[3600, 3600], ['3600', 3600], [' 90 ', 90]])('when expires_in is %j', (value, seconds) => {
      expect(tokenSetFrom({ access_token: 'a', expires_in: value })?.expiresInSeconds).toBe(seconds);
    });
  });
});
