import { describe, expect } from 'vitest';
import { test } from '@fast-check/vitest';
import fc from 'fast-check';
import {
  classifyHttpResponse,
  classifyTokenResponse,
  isTransientOutcome,
  type ClassifyContext,
  type HttpTokenResponse,
  type TokenOutcome,
  type TokenSet,
} from '../../src/index.js';

describe('classifyTokenResponse', () => {
  describe('should map every AWS SSO OIDC CreateToken exception thrown by the AWS SDK v3', () => {
    test.each(awsCases())('when the SDK throws $exception (HTTP $status)', ({ exception, status, fault, error, description, reason, expected }) => {
      // Arrange
      const thrown = awsSdkError(exception, { status, fault, error, description, reason });

      // Act
      const outcome = classifyTokenResponse({ ok: false, error: thrown }, context());

      // Assert
      expect(outcome).toEqual(expected);
    });

    test('when the SDK message is a real message and there is no error_description', () => {
      // Arrange
      const thrown = awsSdkError('AccessDeniedException', { status: 400, fault: 'client', error: 'access_denied', message: 'The user denied the request' });

      // Act
      const outcome = classifyTokenResponse({ ok: false, error: thrown }, context());

      // Assert
      expect(outcome).toEqual({
        type: 'access_denied',
        error: { code: 'access_denied', description: 'The user denied the request', status: 400, exception: 'AccessDeniedException' },
      });
    });

    test('when the SDK message is "UnknownError" and there is no error_description', () => {
      // Arrange
      const thrown = awsSdkError('InvalidGrantException', { status: 400, fault: 'client', error: 'invalid_grant' });

      // Act
      const outcome = classifyTokenResponse({ ok: false, error: thrown }, context());

      // Assert
      expect(outcome).toEqual({ type: 'oauth_error', error: { code: 'invalid_grant', status: 400, exception: 'InvalidGrantException' } });
    });

    test('when the SDK message only repeats the exception name', () => {
      // Arrange
      const thrown = awsSdkError('ExpiredTokenException', { status: 400, fault: 'client', error: 'expired_token', message: 'ExpiredTokenException' });

      // Act
      const outcome = classifyTokenResponse({ ok: false, error: thrown }, context());

      // Assert
      expect(outcome).toEqual({ type: 'expired_token', error: { code: 'expired_token', status: 400, exception: 'ExpiredTokenException' } });
    });

    test('when $metadata carries no status, the table status is used', () => {
      // Arrange
      const thrown = Object.assign(new Error('UnknownError'), {
        name: 'InvalidClientException',
        $metadata: {},
        $fault: 'client',
        error: 'invalid_client',
      });

      // Act
      const outcome = classifyTokenResponse({ ok: false, error: thrown }, context());

      // Assert
      expect(outcome).toEqual({
        type: 'oauth_error',
        error: { code: 'invalid_client', status: 401, exception: 'InvalidClientException', reregisterClient: true },
      });
    });

    test('when InternalServerException has no description, the exception name is the message', () => {
      // Arrange
      const thrown = awsSdkError('InternalServerException', { status: 500, fault: 'server', error: 'server_error' });

      // Act
      const outcome = classifyTokenResponse({ ok: false, error: thrown }, context());

      // Assert
      expect(outcome).toEqual({ type: 'server_error', status: 500, message: 'InternalServerException' });
      expect(isTransientOutcome(outcome)).toBe(true);
    });
  });

  describe('should map every AWS SSO OIDC CreateToken exception in wire form', () => {
    test.each(awsCases())('when x-amzn-ErrorType names $exception (HTTP $status)', ({ exception, status, error, description, reason, expected }) => {
      // Arrange
      const response = awsWireResponse(exception, status, { error, error_description: description, reason });

      // Act
      const outcome = classifyTokenResponse({ ok: true, value: response }, context());

      // Assert
      expect(outcome).toEqual(expected);
    });

    test.each([
      { label: 'lower case', headers: { 'x-amzn-errortype': `AccessDeniedException${AWS_TYPE_SUFFIX}` } },
      { label: 'canonical case', headers: { 'X-Amzn-ErrorType': `AccessDeniedException${AWS_TYPE_SUFFIX}` } },
      { label: 'upper case', headers: { 'X-AMZN-ERRORTYPE': `AccessDeniedException${AWS_TYPE_SUFFIX}` } },
      { label: 'an array value', headers: { 'x-amzn-errortype': [`AccessDeniedException${AWS_TYPE_SUFFIX}`] } },
      { label: 'a Headers instance', headers: new Headers({ 'X-Amzn-ErrorType': `AccessDeniedException${AWS_TYPE_SUFFIX}` }) },
      { label: 'a bare name without the namespace', headers: { 'x-amzn-ErrorType': 'AccessDeniedException' } },
      { label: 'a comma-separated suffix', headers: { 'x-amzn-ErrorType': 'AccessDeniedException,extra' } },
    ])('when the header is given in $label', ({ headers }) => {
      // Arrange
      const response: HttpTokenResponse = {
        status: 400,
        headers,
        body: JSON.stringify({ error: 'access_denied', error_description: 'denied', reason: 'KMS_AccessDeniedException' }),
      };

      // Act
      const outcome = classifyTokenResponse({ ok: true, value: response }, context());

      // Assert
      expect(outcome).toEqual({
        type: 'access_denied',
        error: { code: 'access_denied', description: 'denied', reason: 'KMS_AccessDeniedException', status: 400, exception: 'AccessDeniedException' },
      });
    });

    test.each([
      { label: '__type with a namespace suffix', body: { __type: `SlowDownException${AWS_TYPE_SUFFIX}` }, expected: { type: 'slow_down' } },
      { label: '__type', body: { __type: 'AuthorizationPendingException' }, expected: { type: 'authorization_pending' } },
      {
        label: 'code',
        body: { code: 'ExpiredTokenException', error_description: 'Device code expired' },
        expected: {
          type: 'expired_token',
          error: { code: 'expired_token', description: 'Device code expired', status: 400, exception: 'ExpiredTokenException' },
        },
      },
      {
        label: 'code with a message instead of error_description',
        body: { code: 'InvalidRequestException', message: 'Invalid device code', reason: 'KMS_InvalidKeyUsageException' },
        expected: {
          type: 'oauth_error',
          error: {
            code: 'invalid_request',
            description: 'Invalid device code',
            reason: 'KMS_InvalidKeyUsageException',
            status: 400,
            exception: 'InvalidRequestException',
          },
        },
      },
      {
        label: 'code taking precedence over __type',
        body: { code: 'AccessDeniedException', __type: 'AuthorizationPendingException' },
        expected: { type: 'access_denied', error: { code: 'access_denied', status: 400, exception: 'AccessDeniedException' } },
      },
    ] satisfies ReadonlyArray<{ label: string; body: Record<string, unknown>; expected: TokenOutcome }>)(
      'when only the body names the exception, by $label',
      ({ body, expected }) => {
        // Arrange
        const response: HttpTokenResponse = { status: 400, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };

        // Act
        const outcome = classifyTokenResponse({ ok: true, value: response }, context());

        // Assert
        expect(outcome).toEqual(expected);
      },
    );

    test('when the header and the body disagree, the header names the exception', () => {
      // Arrange
      const response = awsWireResponse('ExpiredTokenException', 400, { error: 'authorization_pending', code: 'AuthorizationPendingException' });

      // Act
      const outcome = classifyTokenResponse({ ok: true, value: response }, context());

      // Assert
      expect(outcome).toEqual({ type: 'expired_token', error: { code: 'expired_token', status: 400, exception: 'ExpiredTokenException' } });
    });

    test('when the header names an exception at a status other than its usual one, the real status is kept', () => {
      // Arrange
      const response = awsWireResponse('InvalidClientException', 400, { error: 'invalid_client' });

      // Act
      const outcome = classifyTokenResponse({ ok: true, value: response }, context());

      // Assert
      expect(outcome).toEqual({
        type: 'oauth_error',
        error: { code: 'invalid_client', status: 400, exception: 'InvalidClientException', reregisterClient: true },
      });
    });

    test('when InternalServerException carries a Retry-After header', () => {
      // Arrange
      const response: HttpTokenResponse = {
        status: 500,
        headers: { 'x-amzn-ErrorType': `InternalServerException${AWS_TYPE_SUFFIX}`, 'Retry-After': '3' },
        body: JSON.stringify({ error: 'server_error', error_description: 'Something broke' }),
      };

      // Act
      const outcome = classifyTokenResponse({ ok: true, value: response }, context());

      // Assert
      expect(outcome).toEqual({ type: 'server_error', status: 500, message: 'Something broke', retryAfterMs: 3000 });
    });

    test('when the header names an exception outside the table and the body has an OAuth error, the body decides', () => {
      // Arrange
      const response = awsWireResponse('ValidationException', 400, { error: 'invalid_request', error_description: 'bad' });

      // Act
      const outcome = classifyTokenResponse({ ok: true, value: response }, context());

      // Assert
      expect(outcome).toEqual({ type: 'oauth_error', error: { code: 'invalid_request', description: 'bad', status: 400 } });
    });

    test.each(['toString', '__proto__'])(
      'when the header names %s, inherited from Object.prototype, it is treated as an unknown exception',
      (name) => {
        // Arrange
        const response: HttpTokenResponse = { status: 400, headers: { 'x-amzn-ErrorType': name }, body: '' };

        // Act
        const outcome = classifyTokenResponse({ ok: true, value: response }, context());

        // Assert
        expect(outcome).toEqual({ type: 'invalid_response', status: 400, message: 'HTTP 400 without an OAuth error body' });
      },
    );

    test('when the header names an exception outside the table and the body has no OAuth error', () => {
      // Arrange
      const response = awsWireResponse('ValidationException', 400, { message: 'bad' });

      // Act
      const outcome = classifyTokenResponse({ ok: true, value: response }, context());

      // Assert
      expect(outcome).toEqual({ type: 'invalid_response', status: 400, message: 'HTTP 400 without an OAuth error body' });
    });
  });

  describe('should map every RFC 6749 §5.2 and RFC 8628 §3.5 error code in a JSON body', () => {
    test.each([
      { code: 'authorization_pending', expected: { type: 'authorization_pending' } },
      { code: 'slow_down', expected: { type: 'slow_down' } },
      { code: 'access_denied', expected: { type: 'access_denied', error: { code: 'access_denied', description: 'described', status: 400 } } },
      { code: 'expired_token', expected: { type: 'expired_token', error: { code: 'expired_token', description: 'described', status: 400 } } },
      { code: 'invalid_request', expected: { type: 'oauth_error', error: { code: 'invalid_request', description: 'described', status: 400 } } },
      { code: 'invalid_client', expected: { type: 'oauth_error', error: { code: 'invalid_client', description: 'described', status: 400 } } },
      { code: 'invalid_grant', expected: { type: 'oauth_error', error: { code: 'invalid_grant', description: 'described', status: 400 } } },
      { code: 'unauthorized_client', expected: { type: 'oauth_error', error: { code: 'unauthorized_client', description: 'described', status: 400 } } },
      {
        code: 'unsupported_grant_type',
        expected: { type: 'oauth_error', error: { code: 'unsupported_grant_type', description: 'described', status: 400 } },
      },
      { code: 'invalid_scope', expected: { type: 'oauth_error', error: { code: 'invalid_scope', description: 'described', status: 400 } } },
    ] satisfies ReadonlyArray<{ code: string; expected: TokenOutcome }>)('when HTTP 400 carries $code', ({ code, expected }) => {
      // Arrange
      const response: HttpTokenResponse = {
        status: 400,
        headers: { 'Content-Type': 'application/json;charset=UTF-8' },
        body: JSON.stringify({ error: code, error_description: 'described' }),
      };

      // Act
      const outcome = classifyTokenResponse({ ok: true, value: response }, context());

      // Assert
      expect(outcome).toEqual(expected);
    });

    test('when invalid_client arrives at HTTP 401 without an AWS exception', () => {
      // Arrange
      const response: HttpTokenResponse = { status: 401, headers: { 'www-authenticate': 'Basic' }, body: '{"error":"invalid_client"}' };

      // Act
      const outcome = classifyTokenResponse({ ok: true, value: response }, context());

      // Assert
      expect(outcome).toEqual({ type: 'oauth_error', error: { code: 'invalid_client', status: 401 } });
    });

    test('when the body is an already-parsed object', () => {
      // Arrange
      const response: HttpTokenResponse = { status: 400, body: { error: 'expired_token', error_description: 'gone', error_uri: 'https://x' } };

      // Act
      const outcome = classifyTokenResponse({ ok: true, value: response }, context());

      // Assert
      expect(outcome).toEqual({ type: 'expired_token', error: { code: 'expired_token', description: 'gone', status: 400 } });
    });

    test('when the description and reason are not strings, they are left out', () => {
      // Arrange
      const response: HttpTokenResponse = { status: 400, body: JSON.stringify({ error: 'access_denied', error_description: 42, reason: null }) };

      // Act
      const outcome = classifyTokenResponse({ ok: true, value: response }, context());

      // Assert
      expect(outcome).toEqual({ type: 'access_denied', error: { code: 'access_denied', status: 400 } });
    });
  });

  describe("should follow GitHub's HTTP 200 error answers", () => {
    test.each([
      {
        label: 'JSON authorization_pending',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify({ error: 'authorization_pending', error_description: 'The authorization request is still pending.', error_uri: 'https://docs.github.com' }),
        expected: { type: 'authorization_pending' },
      },
      {
        label: 'JSON slow_down with an interval',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ error: 'slow_down', error_description: 'Too many requests have been made in the same timeframe.', interval: 10 }),
        expected: { type: 'slow_down', interval: 10 },
      },
      {
        label: 'form-encoded authorization_pending',
        headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
        body: 'error=authorization_pending&error_description=The+authorization+request+is+still+pending.&error_uri=https%3A%2F%2Fdocs.github.com',
        expected: { type: 'authorization_pending' },
      },
      {
        label: 'form-encoded slow_down with an interval',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'error=slow_down&error_description=Too+many+requests.&interval=10',
        expected: { type: 'slow_down', interval: '10' },
      },
      {
        label: 'form-encoded slow_down without a content type',
        headers: {},
        body: 'error=slow_down&interval=15',
        expected: { type: 'slow_down', interval: '15' },
      },
      {
        label: 'form-encoded expired_token',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'error=expired_token&error_description=The+device_code+has+expired.',
        expected: { type: 'expired_token', error: { code: 'expired_token', description: 'The device_code has expired.', status: 200 } },
      },
      {
        label: 'JSON access_denied',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ error: 'access_denied', error_description: 'The authorization request was denied.' }),
        expected: { type: 'access_denied', error: { code: 'access_denied', description: 'The authorization request was denied.', status: 200 } },
      },
      {
        label: 'JSON device_flow_disabled',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ error: 'device_flow_disabled', error_description: 'Device flow is not enabled for this app.' }),
        expected: { type: 'oauth_error', error: { code: 'device_flow_disabled', description: 'Device flow is not enabled for this app.', status: 200 } },
      },
      {
        label: 'form-encoded incorrect_device_code',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'error=incorrect_device_code&error_description=The+device_code+provided+is+not+valid.',
        expected: { type: 'oauth_error', error: { code: 'incorrect_device_code', description: 'The device_code provided is not valid.', status: 200 } },
      },
    ] satisfies ReadonlyArray<{ label: string; headers: Record<string, string>; body: string; expected: TokenOutcome }>)(
      'when the 200 carries $label',
      ({ headers, body, expected }) => {
        // Arrange
        const response: HttpTokenResponse = { status: 200, headers, body };

        // Act
        const outcome = classifyTokenResponse({ ok: true, value: response }, context());

        // Assert
        expect(outcome).toEqual(expected);
      },
    );

    test('when the 200 carries a form-encoded token', () => {
      // Arrange
      const response: HttpTokenResponse = {
        status: 200,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'access_token=gho_16C7e42F292c6912E7710c838347Ae178B4a&token_type=bearer&scope=repo%2Cgist',
      };

      // Act
      const outcome = classifyTokenResponse({ ok: true, value: response }, context());

      // Assert
      expect(outcome).toEqual({
        type: 'success',
        token: {
          accessToken: 'gho_16C7e42F292c6912E7710c838347Ae178B4a',
          tokenType: 'bearer',
          scope: 'repo,gist',
          raw: { access_token: 'gho_16C7e42F292c6912E7710c838347Ae178B4a', token_type: 'bearer', scope: 'repo,gist' },
        },
      });
    });
  });

  describe('should classify transport faults by status', () => {
    test.each([500, 502, 503, 504])('when HTTP %i comes with an HTML body', (status) => {
      // Arrange
      const response: HttpTokenResponse = {
        status,
        headers: { 'content-type': 'text/html' },
        body: `<html><head><title>${status}</title></head><body><h1>${status} Bad Gateway</h1></body></html>`,
      };

      // Act
      const outcome = classifyTokenResponse({ ok: true, value: response }, context());

      // Assert
      expect(outcome).toEqual({ type: 'server_error', status, message: `HTTP ${status}` });
      expect(isTransientOutcome(outcome)).toBe(true);
    });

    test('when HTTP 503 carries Retry-After seconds', () => {
      // Arrange
      const response: HttpTokenResponse = { status: 503, headers: { 'Retry-After': '30' }, body: 'Service Unavailable' };

      // Act
      const outcome = classifyTokenResponse({ ok: true, value: response }, context());

      // Assert
      expect(outcome).toEqual({ type: 'server_error', status: 503, message: 'HTTP 503', retryAfterMs: 30_000 });
    });

    test('when HTTP 503 carries an OAuth error body, the status still wins', () => {
      // Arrange
      const response: HttpTokenResponse = { status: 503, body: JSON.stringify({ error: 'temporarily_unavailable' }) };

      // Act
      const outcome = classifyTokenResponse({ ok: true, value: response }, context());

      // Assert
      expect(outcome).toEqual({ type: 'server_error', status: 503, message: 'HTTP 503' });
    });

    test('when HTTP 502 has a body that failed to read', () => {
      // Arrange
      const response: HttpTokenResponse = { status: 502, headers: {}, bodyError: new Error('terminated') };

      // Act
      const outcome = classifyTokenResponse({ ok: true, value: response }, context());

      // Assert
      expect(outcome).toEqual({ type: 'server_error', status: 502, message: 'HTTP 502' });
    });

    test('when HTTP 429 has no body', () => {
      // Arrange
      const response: HttpTokenResponse = { status: 429, headers: {} };

      // Act
      const outcome = classifyTokenResponse({ ok: true, value: response }, context());

      // Assert
      expect(outcome).toEqual({ type: 'rate_limited', status: 429, message: 'HTTP 429 Too Many Requests' });
      expect(isTransientOutcome(outcome)).toBe(true);
    });

    test('when HTTP 429 has neither a body nor headers', () => {
      // Arrange
      const response: HttpTokenResponse = { status: 429 };

      // Act
      const outcome = classifyTokenResponse({ ok: true, value: response }, context());

      // Assert
      expect(outcome).toEqual({ type: 'rate_limited', status: 429, message: 'HTTP 429 Too Many Requests' });
    });

    test('when HTTP 503 has neither a body nor headers', () => {
      // Arrange
      const response: HttpTokenResponse = { status: 503 };

      // Act
      const outcome = classifyTokenResponse({ ok: true, value: response }, context());

      // Assert
      expect(outcome).toEqual({ type: 'server_error', status: 503, message: 'HTTP 503' });
    });

    test('when HTTP 429 carries Retry-After seconds', () => {
      // Arrange
      const response: HttpTokenResponse = { status: 429, headers: { 'Retry-After': '7' }, body: '' };

      // Act
      const outcome = classifyTokenResponse({ ok: true, value: response }, context());

      // Assert
      expect(outcome).toEqual({ type: 'rate_limited', status: 429, message: 'HTTP 429 Too Many Requests', retryAfterMs: 7000 });
    });

    test('when HTTP 429 carries a Retry-After HTTP-date, measured against context.wallNow', () => {
      // Arrange
      const response: HttpTokenResponse = { status: 429, headers: new Headers({ 'Retry-After': 'Wed, 21 Oct 2015 07:28:00 GMT' }) };
      const wallNow = Date.parse('Wed, 21 Oct 2015 07:27:00 GMT');

      // Act
      const outcome = classifyTokenResponse({ ok: true, value: response }, { wallNow });

      // Assert
      expect(outcome).toEqual({ type: 'rate_limited', status: 429, message: 'HTTP 429 Too Many Requests', retryAfterMs: 60_000 });
    });

    test('when HTTP 429 carries a Retry-After HTTP-date already past', () => {
      // Arrange
      const response: HttpTokenResponse = { status: 429, headers: { 'retry-after': 'Wed, 21 Oct 2015 07:28:00 GMT' } };
      const wallNow = Date.parse('Wed, 21 Oct 2015 07:30:00 GMT');

      // Act
      const outcome = classifyTokenResponse({ ok: true, value: response }, { wallNow });

      // Assert
      expect(outcome).toEqual({ type: 'rate_limited', status: 429, message: 'HTTP 429 Too Many Requests', retryAfterMs: 0 });
    });

    test('when HTTP 429 has an HTML body', () => {
      // Arrange
      const response: HttpTokenResponse = { status: 429, headers: { 'content-type': 'text/html' }, body: '<html><body>Too Many Requests</body></html>' };

      // Act
      const outcome = classifyTokenResponse({ ok: true, value: response }, context());

      // Assert
      expect(outcome).toEqual({ type: 'rate_limited', status: 429, message: 'HTTP 429 Too Many Requests' });
    });

    test('when HTTP 429 has a JSON body without an OAuth error', () => {
      // Arrange
      const response: HttpTokenResponse = { status: 429, body: JSON.stringify({ message: 'Rate limit exceeded' }) };

      // Act
      const outcome = classifyTokenResponse({ ok: true, value: response }, context());

      // Assert
      expect(outcome).toEqual({ type: 'rate_limited', status: 429, message: 'HTTP 429 Too Many Requests' });
    });

    test('when HTTP 429 carries a slow_down body, the body is followed', () => {
      // Arrange
      const response: HttpTokenResponse = { status: 429, headers: { 'Retry-After': '10' }, body: JSON.stringify({ error: 'slow_down', interval: 15 }) };

      // Act
      const outcome = classifyTokenResponse({ ok: true, value: response }, context());

      // Assert
      expect(outcome).toEqual({ type: 'slow_down', interval: 15 });
    });

    test('when HTTP 429 carries an authorization_pending body, the body is followed', () => {
      // Arrange
      const response: HttpTokenResponse = { status: 429, body: JSON.stringify({ error: 'authorization_pending' }) };

      // Act
      const outcome = classifyTokenResponse({ ok: true, value: response }, context());

      // Assert
      expect(outcome).toEqual({ type: 'authorization_pending' });
    });

    test('when HTTP 408 arrives', () => {
      // Arrange
      const response: HttpTokenResponse = { status: 408, headers: { 'content-type': 'text/html' }, body: '<html>Request Timeout</html>' };

      // Act
      const outcome = classifyTokenResponse({ ok: true, value: response }, context());

      // Assert
      expect(outcome).toEqual({ type: 'timeout', message: 'HTTP 408 Request Timeout' });
      expect(isTransientOutcome(outcome)).toBe(true);
    });

    test.each([
      { status: 404, body: '<!DOCTYPE html><html><body>Not Found</body></html>' },
      { status: 400, body: '<html><body>Bad Request</body></html>' },
      { status: 403, body: '' },
      { status: 302, body: 'Found' },
    ])('when HTTP $status has no OAuth error body', ({ status, body }) => {
      // Arrange
      const response: HttpTokenResponse = { status, headers: { 'content-type': 'text/html' }, body };

      // Act
      const outcome = classifyTokenResponse({ ok: true, value: response }, context());

      // Assert
      expect(outcome).toEqual({ type: 'invalid_response', status, message: `HTTP ${status} without an OAuth error body` });
      expect(isTransientOutcome(outcome)).toBe(false);
    });
  });

  describe('should normalise successful token answers', () => {
    test('when a 200 carries a snake_case JSON token', () => {
      // Arrange
      const raw = {
        access_token: 'at-1',
        token_type: 'Bearer',
        expires_in: 3600,
        refresh_token: 'rt-1',
        id_token: 'id-1',
        scope: 'openid profile',
      };
      const response: HttpTokenResponse = { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(raw) };

      // Act
      const outcome = classifyTokenResponse({ ok: true, value: response }, context());

      // Assert
      expect(outcome).toEqual({
        type: 'success',
        token: { accessToken: 'at-1', tokenType: 'Bearer', expiresInSeconds: 3600, refreshToken: 'rt-1', idToken: 'id-1', scope: 'openid profile', raw },
      });
    });

    test('when the AWS SDK returns a camelCase CreateToken output', () => {
      // Arrange
      const output = {
        $metadata: { httpStatusCode: 200, requestId: 'req-1', attempts: 1, totalRetryDelay: 0 },
        accessToken: 'aoa-token',
        tokenType: 'Bearer',
        expiresIn: 28_800,
        refreshToken: 'aor-token',
        idToken: 'id-token',
      };

      // Act
      const outcome = classifyTokenResponse({ ok: true, value: output }, context());

      // Assert
      expect(outcome).toEqual({
        type: 'success',
        token: { accessToken: 'aoa-token', tokenType: 'Bearer', expiresInSeconds: 28_800, refreshToken: 'aor-token', idToken: 'id-token', raw: output },
      });
      expect(outcome.type === 'success' && outcome.token.raw).toBe(output);
    });

    test('when an AWS wire answer carries camelCase fields and a string expiresIn', () => {
      // Arrange
      const response: HttpTokenResponse = {
        status: 200,
        headers: { 'Content-Type': 'application/json' },
        body: '{"accessToken":"aoa","tokenType":"Bearer","expiresIn":"28800"}',
      };

      // Act
      const outcome = classifyTokenResponse({ ok: true, value: response }, context());

      // Assert
      expect(outcome).toEqual({
        type: 'success',
        token: { accessToken: 'aoa', tokenType: 'Bearer', expiresInSeconds: 28_800, raw: { accessToken: 'aoa', tokenType: 'Bearer', expiresIn: '28800' } },
      });
    });

    test('when a 201 carries a token', () => {
      // Arrange
      const response: HttpTokenResponse = { status: 201, body: { access_token: 'at-201' } };

      // Act
      const outcome = classifyTokenResponse({ ok: true, value: response }, context());

      // Assert
      expect(outcome).toEqual({ type: 'success', token: { accessToken: 'at-201', raw: { access_token: 'at-201' } } });
    });
  });

  describe('should never retry a success whose body cannot be read (lost grant)', () => {
    test.each([
      { label: 'an HTML body', body: '<html><body>OK</body></html>', message: 'the body is not JSON or a form' },
      { label: 'truncated JSON', body: '{"access_token":"gho_abc","token_ty', message: 'the body is not JSON or a form' },
      { label: 'an empty body', body: '', message: 'the body is not JSON or a form' },
      { label: 'a JSON array', body: '[{"access_token":"a"}]', message: 'the body is not JSON or a form' },
      { label: 'the JSON literal null', body: 'null', message: 'the body is not JSON or a form' },
      { label: 'an empty JSON object', body: '{}', message: 'the body holds no access token' },
      { label: 'an empty access_token', body: '{"access_token":""}', message: 'the body holds no access token' },
      { label: 'a numeric access_token', body: '{"access_token":123}', message: 'the body holds no access token' },
    ])('when a 200 carries $label', ({ body, message }) => {
      // Arrange
      const response: HttpTokenResponse = { status: 200, headers: { 'content-type': 'application/json' }, body };

      // Act
      const outcome = classifyTokenResponse({ ok: true, value: response }, context());

      // Assert
      expect(outcome).toEqual({ type: 'unreadable_success', status: 200, message });
      expect(isTransientOutcome(outcome)).toBe(false);
    });

    test('when a 200 has bodyError set, even with a readable body', () => {
      // Arrange
      const cause = new TypeError('terminated');
      const response: HttpTokenResponse = { status: 200, headers: {}, body: '{"access_token":"at"}', bodyError: cause };

      // Act
      const outcome = classifyTokenResponse({ ok: true, value: response }, context());

      // Assert
      expect(outcome).toEqual({ type: 'unreadable_success', status: 200, message: 'reading the body failed', cause });
      expect(isTransientOutcome(outcome)).toBe(false);
    });

    test('when a 200 has only bodyError', () => {
      // Arrange
      const cause = Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
      const response: HttpTokenResponse = { status: 200, bodyError: cause };

      // Act
      const outcome = classifyTokenResponse({ ok: true, value: response }, context());

      // Assert
      expect(outcome).toEqual({ type: 'unreadable_success', status: 200, message: 'reading the body failed', cause });
    });

    test('when a plain answer object holds neither a token nor an error', () => {
      // Arrange
      const value = { foo: 'bar' };

      // Act
      const outcome = classifyTokenResponse({ ok: true, value }, context());

      // Assert
      expect(outcome).toEqual({ type: 'unreadable_success', message: 'the answer holds neither an access token nor an OAuth error' });
    });
  });

  describe('should read OAuth error objects returned directly', () => {
    test.each([
      { value: { error: 'authorization_pending' }, expected: { type: 'authorization_pending' } },
      { value: { error: 'slow_down', interval: 10 }, expected: { type: 'slow_down', interval: 10 } },
      {
        value: { error: 'access_denied', error_description: 'no', reason: 'KMS_AccessDeniedException' },
        expected: { type: 'access_denied', error: { code: 'access_denied', description: 'no', reason: 'KMS_AccessDeniedException' } },
      },
      { value: { error: 'expired_token' }, expected: { type: 'expired_token', error: { code: 'expired_token' } } },
      { value: { error: 'invalid_grant', error_description: '' }, expected: { type: 'oauth_error', error: { code: 'invalid_grant' } } },
    ] satisfies ReadonlyArray<{ value: Record<string, unknown>; expected: TokenOutcome }>)('when the value is $value.error', ({ value, expected }) => {
      // Arrange
      const answer = { ok: true, value } as const;

      // Act
      const outcome = classifyTokenResponse(answer, context());

      // Assert
      expect(outcome).toEqual(expected);
    });

    test('when the error member is empty, the value is read as a token answer', () => {
      // Arrange
      const value = { error: '', access_token: 'at' };

      // Act
      const outcome = classifyTokenResponse({ ok: true, value }, context());

      // Assert
      expect(outcome).toEqual({ type: 'success', token: { accessToken: 'at', raw: value } });
    });
  });

  describe('should pass already-classified outcomes through', () => {
    test.each([
      { type: 'success', token: { accessToken: 'a', raw: {} } },
      { type: 'authorization_pending' },
      { type: 'slow_down', interval: 7 },
      { type: 'access_denied', error: { code: 'access_denied' } },
      { type: 'expired_token', error: { code: 'expired_token' } },
      { type: 'oauth_error', error: { code: 'invalid_grant' } },
      { type: 'unreadable_success', message: 'x' },
      { type: 'invalid_response', message: 'x' },
      { type: 'transport_error', message: 'x' },
      { type: 'network_error', message: 'x' },
      { type: 'timeout', message: 'x' },
      { type: 'server_error', status: 503, message: 'x' },
      { type: 'rate_limited', status: 429, message: 'x', retryAfterMs: 1000 },
    ] satisfies ReadonlyArray<TokenOutcome>)('when the transport returns a $type outcome', (given) => {
      // Arrange
      const answer = { ok: true, value: given } as const;

      // Act
      const outcome = classifyTokenResponse(answer, context());

      // Assert
      expect(outcome).toBe(given);
    });

    test('when the type is not a known outcome, the value is not passed through', () => {
      // Arrange
      const value = { type: 'granted', access_token: 'at' };

      // Act
      const outcome = classifyTokenResponse({ ok: true, value }, context());

      // Assert
      expect(outcome).toEqual({ type: 'success', token: { accessToken: 'at', raw: value } });
    });
  });

  describe('should reject non-object values as invalid responses', () => {
    test.each([
      { value: null, message: 'the transport returned null' },
      { value: undefined, message: 'the transport returned undefined' },
      { value: 42, message: 'the transport returned number' },
      { value: 'access_token=abc', message: 'the transport returned string' },
      { value: true, message: 'the transport returned boolean' },
      { value: 10n, message: 'the transport returned bigint' },
      { value: Symbol('s'), message: 'the transport returned symbol' },
      { value: () => 'x', message: 'the transport returned function' },
    ])('when the transport returns $message', ({ value, message }) => {
      // Arrange
      const answer = { ok: true, value } as const;

      // Act
      const outcome = classifyTokenResponse(answer, context());

      // Assert
      expect(outcome).toEqual({ type: 'invalid_response', message });
    });
  });

  describe('should delegate thrown values to classifyThrown', () => {
    test('when the transport threw a network error', () => {
      // Arrange
      const error = new TypeError('Failed to fetch');

      // Act
      const outcome = classifyTokenResponse({ ok: false, error }, context());

      // Assert
      expect(outcome).toEqual({ type: 'network_error', message: 'Failed to fetch', cause: error });
    });
  });

  describe('should never throw and always return a known outcome', () => {
    test.prop([anythingArbitrary()], { numRuns: 300 })('when the transport returns any JSON-ish value', (value) => {
      // Arrange
      const answer = { ok: true, value } as const;

      // Act
      const outcome = classifyTokenResponse(answer, context());

      // Assert
      expect(OUTCOME_TYPES).toContain(outcome.type);
    });

    test.prop([anythingArbitrary()], { numRuns: 300 })('when the transport throws any JSON-ish value', (error) => {
      // Arrange
      const answer = { ok: false, error } as const;

      // Act
      const outcome = classifyTokenResponse(answer, context());

      // Assert
      expect(OUTCOME_TYPES).toContain(outcome.type);
    });

    test.prop([httpResponseArbitrary(), fc.integer({ min: 0, max: 4_102_444_800_000 })])(
      'when the transport returns any HTTP answer with string headers',
      (response, wallNow) => {
        // Arrange
        const answer = { ok: true, value: response } as const;

        // Act
        const outcome = classifyTokenResponse(answer, { wallNow });

        // Assert
        expect(OUTCOME_TYPES).toContain(outcome.type);
      },
    );
  });

  describe('should keep the lost-grant and transient rules for any body', () => {
    test.prop([fc.integer({ min: 200, max: 299 }), fc.string()])('when a 2xx carries any text, it is never transient', (status, body) => {
      // Arrange
      const response: HttpTokenResponse = { status, headers: {}, body };

      // Act
      const outcome = classifyHttpResponse(response, 0);

      // Assert
      expect(isTransientOutcome(outcome)).toBe(false);
      expect(['success', 'unreadable_success', 'authorization_pending', 'slow_down', 'access_denied', 'expired_token', 'oauth_error']).toContain(
        outcome.type,
      );
    });

    test.prop([fc.integer({ min: 500, max: 599 }), fc.oneof(fc.string(), fc.json())])(
      'when a 5xx carries any body without an AWS exception name, it is a server_error with that status',
      (status, body) => {
        // Arrange
        const response: HttpTokenResponse = { status, headers: { 'content-type': 'text/html' }, body };

        // Act
        const outcome = classifyHttpResponse(response, 0);

        // Assert
        expect(outcome).toEqual({ type: 'server_error', status, message: `HTTP ${status}` });
      },
    );
  });
});

// Helpers

const AWS_TYPE_SUFFIX = ':http://internal.amazon.com/coral/com.amazonaws.sso.oidc/';

const OUTCOME_TYPES: readonly string[] = [
  'success',
  'authorization_pending',
  'slow_down',
  'access_denied',
  'expired_token',
  'oauth_error',
  'unreadable_success',
  'invalid_response',
  'transport_error',
  'network_error',
  'timeout',
  'server_error',
  'rate_limited',
];

function context(): ClassifyContext {
  return { wallNow: Date.parse('2025-01-15T12:00:00Z') };
}

interface AwsCase {
  readonly exception: string;
  readonly status: number;
  readonly fault: 'client' | 'server';
  readonly error: string;
  readonly description: string;
  readonly reason?: string;
  readonly expected: TokenOutcome<TokenSet>;
}

/** The CreateToken table of the spec, with the outcome each exception must give. */
function awsCases(): readonly AwsCase[] {
  const terminal = (
    type: 'access_denied' | 'expired_token' | 'oauth_error',
    code: string,
    exception: string,
    status: number,
    description: string,
    extra: { reason?: string; reregisterClient?: boolean } = {},
  ): TokenOutcome<TokenSet> => ({ type, error: { code, description, status, exception, ...extra } });
  return [
    {
      exception: 'AuthorizationPendingException',
      status: 400,
      fault: 'client',
      error: 'authorization_pending',
      description: 'Authorization is still pending',
      expected: { type: 'authorization_pending' },
    },
    { exception: 'SlowDownException', status: 400, fault: 'client', error: 'slow_down', description: 'Polling too fast', expected: { type: 'slow_down' } },
    {
      exception: 'AccessDeniedException',
      status: 400,
      fault: 'client',
      error: 'access_denied',
      description: 'You do not have access',
      reason: 'KMS_AccessDeniedException',
      expected: terminal('access_denied', 'access_denied', 'AccessDeniedException', 400, 'You do not have access', { reason: 'KMS_AccessDeniedException' }),
    },
    {
      exception: 'ExpiredTokenException',
      status: 400,
      fault: 'client',
      error: 'expired_token',
      description: 'Device code has expired',
      expected: terminal('expired_token', 'expired_token', 'ExpiredTokenException', 400, 'Device code has expired'),
    },
    {
      exception: 'InternalServerException',
      status: 500,
      fault: 'server',
      error: 'server_error',
      description: 'An unexpected error occurred',
      expected: { type: 'server_error', status: 500, message: 'An unexpected error occurred' },
    },
    {
      exception: 'InvalidClientException',
      status: 401,
      fault: 'client',
      error: 'invalid_client',
      description: 'Client registration has expired',
      expected: terminal('oauth_error', 'invalid_client', 'InvalidClientException', 401, 'Client registration has expired', { reregisterClient: true }),
    },
    {
      exception: 'InvalidGrantException',
      status: 400,
      fault: 'client',
      error: 'invalid_grant',
      description: 'Invalid grant provided',
      expected: terminal('oauth_error', 'invalid_grant', 'InvalidGrantException', 400, 'Invalid grant provided'),
    },
    {
      exception: 'InvalidRequestException',
      status: 400,
      fault: 'client',
      error: 'invalid_request',
      description: 'Invalid request',
      reason: 'KMS_InvalidKeyUsageException',
      expected: terminal('oauth_error', 'invalid_request', 'InvalidRequestException', 400, 'Invalid request', { reason: 'KMS_InvalidKeyUsageException' }),
    },
    {
      exception: 'InvalidScopeException',
      status: 400,
      fault: 'client',
      error: 'invalid_scope',
      description: 'Invalid scope',
      expected: terminal('oauth_error', 'invalid_scope', 'InvalidScopeException', 400, 'Invalid scope'),
    },
    {
      exception: 'UnauthorizedClientException',
      status: 400,
      fault: 'client',
      error: 'unauthorized_client',
      description: 'Unauthorized client',
      expected: terminal('oauth_error', 'unauthorized_client', 'UnauthorizedClientException', 400, 'Unauthorized client'),
    },
    {
      exception: 'UnsupportedGrantTypeException',
      status: 400,
      fault: 'client',
      error: 'unsupported_grant_type',
      description: 'Unsupported grant type',
      expected: terminal('oauth_error', 'unsupported_grant_type', 'UnsupportedGrantTypeException', 400, 'Unsupported grant type'),
    },
  ];
}

/** An exception shaped the way @aws-sdk/client-sso-oidc throws it. */
function awsSdkError(
  name: string,
  fields: {
    readonly status: number;
    readonly fault: 'client' | 'server';
    readonly error?: string;
    readonly description?: string | undefined;
    readonly reason?: string | undefined;
    readonly message?: string;
  },
): Error {
  const error = new Error(fields.message ?? 'UnknownError');
  error.name = name;
  const members: Record<string, unknown> = {
    $metadata: { httpStatusCode: fields.status, requestId: 'f6b1c2d3-0000-4000-8000-000000000000', attempts: 1, totalRetryDelay: 0 },
    $fault: fields.fault,
  };
  if (fields.error !== undefined) members['error'] = fields.error;
  if (fields.description !== undefined) members['error_description'] = fields.description;
  if (fields.reason !== undefined) members['reason'] = fields.reason;
  return Object.assign(error, members);
}

/** A CreateToken error as it comes over the wire. */
function awsWireResponse(exception: string, status: number, body: Record<string, unknown>): HttpTokenResponse {
  return {
    status,
    headers: {
      'Content-Type': 'application/json',
      'x-amzn-RequestId': 'f6b1c2d3-0000-4000-8000-000000000000',
      'x-amzn-ErrorType': `${exception}${AWS_TYPE_SUFFIX}`,
    },
    body: JSON.stringify(body),
  };
}

/**
 * fc.anything(), with keys biased toward the members classifiers read (and
 * those inherited from Object.prototype), so hostile shapes turn up every run.
 */
function anythingArbitrary(): fc.Arbitrary<unknown> {
  const key = fc.oneof(
    fc.string(),
    fc.constantFrom(
      'type', 'status', 'headers', 'body', 'bodyError', 'error', 'error_description', 'interval', 'access_token', 'accessToken',
      'expires_in', 'name', 'message', 'code', 'cause', '$metadata', '$fault', 'httpStatusCode', 'reason', 'toString', 'valueOf',
    ),
  );
  return fc.oneof(fc.anything(), fc.anything({ key, withNullPrototype: true, withBigInt: true, withBoxedValues: true, withDate: true }));
}

/** HTTP answers whose headers are strings, as the HttpTokenResponse type allows. */
function httpResponseArbitrary(): fc.Arbitrary<HttpTokenResponse> {
  const headerName = fc.constantFrom('content-type', 'Content-Type', 'retry-after', 'Retry-After', 'x-amzn-ErrorType', 'x-other');
  const headerValue = fc.oneof(
    fc.string(),
    fc.constantFrom('application/json', 'application/x-www-form-urlencoded', 'text/html', '120', 'Wed, 21 Oct 2015 07:28:00 GMT'),
    fc.constantFrom(...Object.keys(AWS_EXCEPTION_NAMES)).map((name) => `${name}${AWS_TYPE_SUFFIX}`),
  );
  const body = fc.oneof(
    fc.string(),
    fc.json(),
    fc.anything(),
    fc.dictionary(fc.constantFrom('error', 'error_description', 'interval', 'access_token', 'accessToken', 'expires_in', 'code', '__type', 'reason'), fc.jsonValue()),
  );
  return fc.record(
    {
      status: fc.integer({ min: 100, max: 599 }),
      headers: fc.dictionary(headerName, headerValue),
      body,
      bodyError: fc.anything(),
    },
    { requiredKeys: ['status', 'headers'] },
  );
}

const AWS_EXCEPTION_NAMES: Readonly<Record<string, true>> = {
  AuthorizationPendingException: true,
  SlowDownException: true,
  AccessDeniedException: true,
  InternalServerException: true,
  InvalidClientException: true,
};
