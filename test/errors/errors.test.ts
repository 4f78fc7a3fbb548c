import { describe, expect, test } from 'vitest';
import {
  AccessDeniedError,
  ConfigurationError,
  ErrorCode,
  ExpiredTokenError,
  LostGrantError,
  OAuthError,
  PollCancelledError,
  RetriesExhaustedError,
  TokenPollError,
  TransportError,
  errorFromState,
  isTokenPollError,
} from '../../src/index.js';

describe('errors', () => {
  describe('should describe the outcome without secrets', () => {
    test('when an OAuth error is turned into a message and JSON', () => {
      const error = new OAuthError({ code: 'invalid_grant', description: 'code reused', exception: 'InvalidGrantException', status: 400 });
      expect(error.message).toBe('the server answered invalid_grant (InvalidGrantException): code reused');
      expect(error.toJSON()).toEqual({
        name: 'OAuthError',
        code: ErrorCode.OAUTH_ERROR,
        message: error.message,
        error: 'invalid_grant',
        description: 'code reused',
        exception: 'InvalidGrantException',
        status: 400,
      });
      expect(String(error)).toBe(`OAuthError: ${error.message}`);
    });

    test('when an error has a cause that holds a secret, JSON leaves it out', () => {
      const cause = Object.assign(new Error('x'), { body: 'client_secret=SECRET' });
      expect(JSON.stringify(new TransportError('transport failed', cause))).not.toContain('SECRET');
      expect(JSON.stringify(new LostGrantError('truncated', 200, cause))).not.toContain('SECRET');
      expect(JSON.stringify(new PollCancelledError(cause))).not.toContain('SECRET');
    });
  });

  describe('should be recognisable', () => {
    test.each([
      new AccessDeniedError({ code: 'access_denied' }),
      new ExpiredTokenError('deadline'),
      new RetriesExhaustedError({ type: 'timeout', message: 't' }, 3),
      new ConfigurationError('transport', 'missing'),
    ])('when it is a %s', (error) => {
      expect(isTokenPollError(error)).toBe(true);
      expect(error).toBeInstanceOf(TokenPollError);
      expect(error).toBeInstanceOf(Error);
      expect(error.name).toBe(error.constructor.name);
    });

    test('when it is anything else', () => {
      expect(isTokenPollError(new Error('x'))).toBe(false);
      expect(isTokenPollError({ code: ErrorCode.CANCELLED })).toBe(false);
      expect(isTokenPollError(null)).toBe(false);
    });
  });

  describe('should map every terminal state', () => {
    test.each([
      [{ status: 'denied', error: { code: 'access_denied' }, attempt: 1, at: 0 }, 'AccessDeniedError', ErrorCode.ACCESS_DENIED],
      [{ status: 'expired', source: 'server', attempt: 1, at: 0 }, 'ExpiredTokenError', ErrorCode.EXPIRED_TOKEN],
      [{ status: 'expired', source: 'deadline', attempt: 1, at: 0 }, 'ExpiredTokenError', ErrorCode.DEADLINE_REACHED],
      [{ status: 'expired', source: 'timeout', attempt: 1, at: 0 }, 'PollTimeoutError', ErrorCode.POLL_TIMEOUT],
      [{ status: 'cancelled', reason: 'r', attempt: 1, at: 0 }, 'PollCancelledError', ErrorCode.CANCELLED],
      [{ status: 'failed', failure: { kind: 'oauth_error', error: { code: 'invalid_scope' } }, attempt: 1, at: 0 }, 'OAuthError', ErrorCode.OAUTH_ERROR],
      [{ status: 'failed', failure: { kind: 'retries_exhausted', fault: { type: 'timeout', message: 't' }, faults: 2 }, attempt: 1, at: 0 }, 'RetriesExhaustedError', ErrorCode.RETRIES_EXHAUSTED],
      [{ status: 'failed', failure: { kind: 'lost_grant', message: 'm' }, attempt: 1, at: 0 }, 'LostGrantError', ErrorCode.LOST_GRANT],
      [{ status: 'failed', failure: { kind: 'invalid_response', message: 'm' }, attempt: 1, at: 0 }, 'InvalidResponseError', ErrorCode.INVALID_RESPONSE],
      [{ status: 'failed', failure: { kind: 'transport_error', message: 'm' }, attempt: 1, at: 0 }, 'TransportError', ErrorCode.TRANSPORT_ERROR],
    ] as const)('when the state is %o', (state, name, code) => {
      const error = errorFromState(state, 1000);
      expect(error.name).toBe(name);
      expect(error.code).toBe(code);
    });
  });
});
