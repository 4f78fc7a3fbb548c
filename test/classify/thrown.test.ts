import { describe, expect } from 'vitest';
import { test } from '@fast-check/vitest';
import fc from 'fast-check';
import { classifyThrown, isTransientOutcome, type TokenOutcome } from '../../src/index.js';

describe('classifyThrown', () => {
  describe('should classify connection failures as network_error', () => {
    test.each(['ECONNRESET', 'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'ENETUNREACH', 'UND_ERR_SOCKET'])(
      "when undici's fetch fails with a cause coded %s",
      (code) => {
        // Arrange
        const error = new TypeError('fetch failed', { cause: nodeError(`connect ${code} 10.0.0.1:443`, code) });

        // Act
        const outcome = classifyThrown(error);

        // Assert
        expect(outcome).toEqual({ type: 'network_error', message: `fetch failed (${code})`, cause: error });
        expect(isTransientOutcome(outcome)).toBe(true);
      },
    );

    test('when a bare Node error has a network code already in its message', () => {
      // Arrange
      const error = nodeError('read ECONNRESET', 'ECONNRESET');

      // Act
      const outcome = classifyThrown(error);

      // Assert
      expect(outcome).toEqual({ type: 'network_error', message: 'read ECONNRESET', cause: error });
    });

    test('when a bare Node error has a network code missing from its message', () => {
      // Arrange
      const error = nodeError('socket hang up', 'ECONNRESET');

      // Act
      const outcome = classifyThrown(error);

      // Assert
      expect(outcome).toEqual({ type: 'network_error', message: 'socket hang up (ECONNRESET)', cause: error });
    });

    test('when the network code is two causes deep', () => {
      // Arrange
      const error = new Error('request failed', { cause: new Error('wrapped', { cause: nodeError('getaddrinfo ENOTFOUND oidc.example', 'ENOTFOUND') }) });

      // Act
      const outcome = classifyThrown(error);

      // Assert
      expect(outcome).toEqual({ type: 'network_error', message: 'request failed (ENOTFOUND)', cause: error });
    });

    test.each(['Failed to fetch', 'NetworkError when attempting to fetch resource.', 'Load failed', 'fetch failed'])(
      'when a browser or runtime throws TypeError(%j)',
      (message) => {
        // Arrange
        const error = new TypeError(message);

        // Act
        const outcome = classifyThrown(error);

        // Assert
        expect(outcome).toEqual({ type: 'network_error', message, cause: error });
      },
    );

    test('when the AWS SDK rethrows a socket error with retry $metadata but no status', () => {
      // Arrange
      const error = Object.assign(nodeError('socket hang up', 'ECONNRESET'), { $metadata: { attempts: 3, totalRetryDelay: 312 } });

      // Act
      const outcome = classifyThrown(error);

      // Assert
      expect(outcome).toEqual({ type: 'network_error', message: 'socket hang up (ECONNRESET)', cause: error });
    });
  });

  describe('should classify timeouts as timeout', () => {
    test.each(['ETIMEDOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ESOCKETTIMEDOUT'])(
      'when a bare error is coded %s',
      (code) => {
        // Arrange
        const error = nodeError(`operation timed out`, code);

        // Act
        const outcome = classifyThrown(error);

        // Assert
        expect(outcome).toEqual({ type: 'timeout', message: `operation timed out (${code})`, cause: error });
        expect(isTransientOutcome(outcome)).toBe(true);
      },
    );

    test.each([
      { code: 'ETIMEDOUT', name: 'Error', message: 'connect ETIMEDOUT 10.0.0.1:443' },
      { code: 'UND_ERR_HEADERS_TIMEOUT', name: 'HeadersTimeoutError', message: 'Headers Timeout Error' },
      { code: 'UND_ERR_CONNECT_TIMEOUT', name: 'ConnectTimeoutError', message: 'Connect Timeout Error' },
    ])("when undici's fetch fails with a cause coded $code", ({ code, name, message }) => {
      // Arrange
      const cause = Object.assign(nodeError(message, code), { name });
      const error = new TypeError('fetch failed', { cause });

      // Act
      const outcome = classifyThrown(error);

      // Assert
      expect(outcome).toMatchObject({ type: 'timeout', cause: error });
    });

    test('when AbortSignal.timeout fires (DOMException TimeoutError)', () => {
      // Arrange
      const error = new DOMException('The operation was aborted due to timeout', 'TimeoutError');

      // Act
      const outcome = classifyThrown(error);

      // Assert
      expect(outcome).toEqual({ type: 'timeout', message: 'The operation was aborted due to timeout', cause: error });
    });

    test('when the request was aborted (DOMException AbortError)', () => {
      // Arrange
      const error = new DOMException('This operation was aborted', 'AbortError');

      // Act
      const outcome = classifyThrown(error);

      // Assert
      expect(outcome).toEqual({ type: 'timeout', message: 'This operation was aborted', cause: error });
    });

    test('when a TimeoutError is the cause of another error', () => {
      // Arrange
      const error = new Error('request aborted', { cause: new DOMException('signal timed out', 'TimeoutError') });

      // Act
      const outcome = classifyThrown(error);

      // Assert
      expect(outcome).toEqual({ type: 'timeout', message: 'request aborted', cause: error });
    });

    test("when the AWS SDK's request handler times out", () => {
      // Arrange
      const error = Object.assign(new Error('Connection timed out after 5000 ms'), { name: 'TimeoutError', $metadata: { attempts: 3 } });

      // Act
      const outcome = classifyThrown(error);

      // Assert
      expect(outcome).toEqual({ type: 'timeout', message: 'Connection timed out after 5000 ms', cause: error });
    });
  });

  describe('should classify unknown AWS SDK exceptions by status and fault', () => {
    test('when ThrottlingException arrives with HTTP 429', () => {
      // Arrange
      const error = awsError('ThrottlingException', 'Rate exceeded', { httpStatusCode: 429 }, 'client');

      // Act
      const outcome = classifyThrown(error);

      // Assert
      expect(outcome).toEqual({ type: 'rate_limited', status: 429, message: 'ThrottlingException: Rate exceeded' });
    });

    test('when a TooManyRequestsException has no status', () => {
      // Arrange
      const error = awsError('TooManyRequestsException', 'Slow down', {}, 'client');

      // Act
      const outcome = classifyThrown(error);

      // Assert
      expect(outcome).toEqual({ type: 'rate_limited', status: 429, message: 'TooManyRequestsException: Slow down' });
    });

    test("when an unknown exception has $fault 'server' and HTTP 503", () => {
      // Arrange
      const error = awsError('ServiceUnavailableException', 'Service Unavailable', { httpStatusCode: 503 }, 'server');

      // Act
      const outcome = classifyThrown(error);

      // Assert
      expect(outcome).toEqual({ type: 'server_error', status: 503, message: 'ServiceUnavailableException: Service Unavailable' });
      expect(isTransientOutcome(outcome)).toBe(true);
    });

    test("when an unknown exception has $fault 'server' and no status", () => {
      // Arrange
      const error = awsError('InternalFailure', 'oops', {}, 'server');

      // Act
      const outcome = classifyThrown(error);

      // Assert
      expect(outcome).toEqual({ type: 'server_error', status: 500, message: 'InternalFailure: oops' });
    });

    test('when an unknown client exception carries an OAuth error code', () => {
      // Arrange
      const error = Object.assign(awsError('ValidationException', 'UnknownError', { httpStatusCode: 400 }, 'client'), {
        error: 'invalid_request',
        error_description: 'deviceCode is required',
      });

      // Act
      const outcome = classifyThrown(error);

      // Assert
      expect(outcome).toEqual({
        type: 'oauth_error',
        error: { code: 'invalid_request', description: 'deviceCode is required', status: 400, exception: 'ValidationException' },
      });
    });

    test('when an unknown client exception carries no OAuth error code, its name is the code', () => {
      // Arrange
      const error = awsError('ResourceNotFoundException', 'No such thing', { httpStatusCode: 404 }, 'client');

      // Act
      const outcome = classifyThrown(error);

      // Assert
      expect(outcome).toEqual({
        type: 'oauth_error',
        error: { code: 'ResourceNotFoundException', description: 'No such thing', status: 404, exception: 'ResourceNotFoundException' },
      });
    });
  });

  describe('should treat exception names inherited from Object.prototype as unknown exceptions', () => {
    test.each(['constructor', '__proto__'])('when the SDK-shaped error is named %s', (name) => {
      // Arrange
      const error = awsError(name, 'UnknownError', { httpStatusCode: 400 }, 'client');

      // Act
      const outcome = classifyThrown(error);

      // Assert
      expect(outcome).toEqual({ type: 'oauth_error', error: { code: name, status: 400, exception: name } });
    });
  });

  describe('should classify anything else as transport_error', () => {
    test.each([
      { label: 'a RangeError', thrown: new RangeError('x'), message: 'the transport threw RangeError: x' },
      { label: 'a plain Error', thrown: new Error('boom'), message: 'the transport threw Error: boom' },
      { label: 'a string', thrown: 'boom', message: 'the transport threw string: boom' },
      { label: 'undefined', thrown: undefined, message: 'the transport threw undefined: undefined' },
      { label: 'null', thrown: null, message: 'the transport threw object: null' },
      { label: 'a number', thrown: 42, message: 'the transport threw number: 42' },
      { label: 'an Error with an unknown code', thrown: nodeError('nope', 'ERR_INVALID_ARG_TYPE'), message: 'the transport threw Error: nope' },
      { label: 'a thrown string that reads like a network message', thrown: 'fetch failed', message: 'the transport threw string: fetch failed' },
    ])('when the transport throws $label', ({ thrown, message }) => {
      // Arrange
      const expected: TokenOutcome = { type: 'transport_error', message, cause: thrown };

      // Act
      const outcome = classifyThrown(thrown);

      // Assert
      expect(outcome).toEqual(expected);
      expect(isTransientOutcome(outcome)).toBe(false);
    });

    test('when a null-prototype object without a message is thrown', () => {
      // Arrange
      const thrown: unknown = Object.create(null);

      // Act
      const outcome = classifyThrown(thrown);

      // Assert
      expect(outcome).toMatchObject({ type: 'transport_error', cause: thrown });
    });

    test('when an object whose toString is not a function is thrown', () => {
      // Arrange
      const thrown = { toString: false };

      // Act
      const outcome = classifyThrown(thrown);

      // Assert
      expect(outcome).toMatchObject({ type: 'transport_error', cause: thrown });
    });

    test('when the cause chain is a cycle, it stops looking', () => {
      // Arrange
      const error: Error & { cause?: unknown } = new Error('loop');
      error.cause = error;

      // Act
      const outcome = classifyThrown(error);

      // Assert
      expect(outcome).toEqual({ type: 'transport_error', message: 'the transport threw Error: loop', cause: error });
    });

    test('when the network code is deeper than four links, it is not found', () => {
      // Arrange
      const deep = new Error('l1', { cause: new Error('l2', { cause: new Error('l3', { cause: new Error('l4', { cause: nodeError('l5', 'ECONNRESET') }) }) }) });

      // Act
      const outcome = classifyThrown(deep);

      // Assert
      expect(outcome).toEqual({ type: 'transport_error', message: 'the transport threw Error: l1', cause: deep });
    });
  });

  describe('should never throw', () => {
    // Keys inherited from Object.prototype and null prototypes are covered by their own example tests above.
    test.prop([
      fc.anything({
        key: fc.string().filter((key) => !(key in Object.prototype)),
        withBigInt: true,
        withDate: true,
        withMap: true,
        withSet: true,
        withTypedArray: true,
        withBoxedValues: true,
      }),
    ])(
      'when anything with ordinary prototypes is thrown',
      (thrown) => {
        // Arrange
        const known = ['timeout', 'network_error', 'transport_error', 'server_error', 'rate_limited', 'authorization_pending', 'slow_down', 'access_denied', 'expired_token', 'oauth_error', 'unreadable_success'];

        // Act
        const outcome = classifyThrown(thrown);

        // Assert
        expect(known).toContain(outcome.type);
      },
    );

    test.prop([errorLikeArbitrary()])('when an error-like object with arbitrary AWS members is thrown', (thrown) => {
      // Arrange
      const known = ['timeout', 'network_error', 'transport_error', 'server_error', 'rate_limited', 'authorization_pending', 'slow_down', 'access_denied', 'expired_token', 'oauth_error', 'unreadable_success'];

      // Act
      const outcome = classifyThrown(thrown);

      // Assert
      expect(known).toContain(outcome.type);
      if ('error' in outcome) expect(typeof outcome.error.code).toBe('string');
    });
  });
});

// Helpers

function nodeError(message: string, code: string): Error & { code: string } {
  return Object.assign(new Error(message), { code });
}

function awsError(name: string, message: string, metadata: { httpStatusCode?: number }, fault: 'client' | 'server'): Error {
  return Object.assign(new Error(message), { name, $metadata: { ...metadata, attempts: 1, totalRetryDelay: 0 }, $fault: fault });
}

function errorLikeArbitrary(): fc.Arbitrary<Record<string, unknown>> {
  return fc.record(
    {
      // Names inherited from Object.prototype are covered by their own example test above.
      name: fc.oneof(
        fc.string().filter((name) => !(name in Object.prototype)),
        fc.constantFrom('AccessDeniedException', 'ThrottlingException', 'TimeoutError', 'AbortError', 'TypeError'),
      ),
      message: fc.oneof(fc.string(), fc.constantFrom('UnknownError', 'fetch failed')),
      code: fc.oneof(fc.string(), fc.constantFrom('ECONNRESET', 'ETIMEDOUT')),
      $metadata: fc.oneof(fc.constant(undefined), fc.constant(null), fc.record({ httpStatusCode: fc.oneof(fc.integer({ min: 100, max: 599 }), fc.anything()) })),
      $fault: fc.oneof(fc.constantFrom('client', 'server'), fc.anything()),
      error: fc.anything(),
      error_description: fc.anything(),
      reason: fc.anything(),
      cause: fc.anything(),
    },
    { requiredKeys: [], noNullPrototype: true },
  );
}
