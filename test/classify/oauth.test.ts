import { describe, expect } from 'vitest';
import { test } from '@fast-check/vitest';
import fc from 'fast-check';
import { AWS_SSO_OIDC_EXCEPTIONS, outcomeFromOAuthError, tokenSetFrom, type OAuthErrorDetail, type TokenOutcome } from '../../src/index.js';

describe('AWS_SSO_OIDC_EXCEPTIONS', () => {
  describe('should list the CreateToken exceptions of the AWS SSO OIDC API', () => {
    test('when read in full', () => {
      // Arrange
      const expected = {
        AuthorizationPendingException: { error: 'authorization_pending', status: 400 },
        SlowDownException: { error: 'slow_down', status: 400 },
        AccessDeniedException: { error: 'access_denied', status: 400 },
        ExpiredTokenException: { error: 'expired_token', status: 400 },
        InternalServerException: { error: 'server_error', status: 500 },
        InvalidClientException: { error: 'invalid_client', status: 401 },
        InvalidGrantException: { error: 'invalid_grant', status: 400 },
        InvalidRequestException: { error: 'invalid_request', status: 400 },
        InvalidScopeException: { error: 'invalid_scope', status: 400 },
        UnauthorizedClientException: { error: 'unauthorized_client', status: 400 },
        UnsupportedGrantTypeException: { error: 'unsupported_grant_type', status: 400 },
      };

      // Act
      const table = { ...AWS_SSO_OIDC_EXCEPTIONS };

      // Assert
      expect(table).toEqual(expected);
    });

    test('when someone tries to change it', () => {
      // Arrange
      const table = AWS_SSO_OIDC_EXCEPTIONS as Record<string, unknown>;

      // Act
      const change = (): void => {
        table['NewException'] = { error: 'new', status: 400 };
      };

      // Assert
      expect(change).toThrow(TypeError);
      expect(Object.isFrozen(AWS_SSO_OIDC_EXCEPTIONS)).toBe(true);
    });
  });
});

describe('outcomeFromOAuthError', () => {
  describe('should map RFC 8628 §3.5 codes to their own outcomes', () => {
    test.each([
      { detail: { code: 'authorization_pending', description: 'wait' }, expected: { type: 'authorization_pending' } },
      { detail: { code: 'slow_down' }, expected: { type: 'slow_down' } },
      { detail: { code: 'access_denied', reason: 'KMS_AccessDeniedException' }, expected: { type: 'access_denied', error: { code: 'access_denied', reason: 'KMS_AccessDeniedException' } } },
      { detail: { code: 'expired_token', status: 400 }, expected: { type: 'expired_token', error: { code: 'expired_token', status: 400 } } },
    ] satisfies ReadonlyArray<{ detail: OAuthErrorDetail; expected: TokenOutcome }>)('when the code is $detail.code', ({ detail, expected }) => {
      // Arrange
      const given = detail;

      // Act
      const outcome = outcomeFromOAuthError(given);

      // Assert
      expect(outcome).toEqual(expected);
    });

    test('when the error detail is kept by reference on terminal outcomes', () => {
      // Arrange
      const detail: OAuthErrorDetail = { code: 'access_denied', description: 'no' };

      // Act
      const outcome = outcomeFromOAuthError(detail);

      // Assert
      expect(outcome.type === 'access_denied' && outcome.error).toBe(detail);
    });
  });

  describe('should carry the interval of a slow_down unsanitised', () => {
    test.each([10, '10', 'soon', -1, 0])('when the interval is %j', (interval) => {
      // Arrange
      const detail: OAuthErrorDetail = { code: 'slow_down' };

      // Act
      const outcome = outcomeFromOAuthError(detail, interval);

      // Assert
      expect(outcome).toEqual({ type: 'slow_down', interval });
    });

    test('when the interval is undefined, there is no interval member', () => {
      // Arrange
      const detail: OAuthErrorDetail = { code: 'slow_down' };

      // Act
      const outcome = outcomeFromOAuthError(detail, undefined);

      // Assert
      expect(outcome).toStrictEqual({ type: 'slow_down' });
    });

    test('when the code is not slow_down, the interval is ignored', () => {
      // Arrange
      const detail: OAuthErrorDetail = { code: 'authorization_pending' };

      // Act
      const outcome = outcomeFromOAuthError(detail, 10);

      // Assert
      expect(outcome).toStrictEqual({ type: 'authorization_pending' });
    });
  });

  describe('should end the flow as an oauth_error for every other code', () => {
    test.each(['invalid_request', 'invalid_client', 'invalid_grant', 'unauthorized_client', 'unsupported_grant_type', 'invalid_scope', 'device_flow_disabled', 'incorrect_device_code', 'server_error', ''])(
      'when the code is %j',
      (code) => {
        // Arrange
        const detail: OAuthErrorDetail = { code, status: 400 };

        // Act
        const outcome = outcomeFromOAuthError(detail);

        // Assert
        expect(outcome).toEqual({ type: 'oauth_error', error: { code, status: 400 } });
      },
    );

    test.prop([fc.string().filter((code) => !['authorization_pending', 'slow_down', 'access_denied', 'expired_token'].includes(code))])(
      'when the code is any other string',
      (code) => {
        // Arrange
        const detail: OAuthErrorDetail = { code };

        // Act
        const outcome = outcomeFromOAuthError(detail);

        // Assert
        expect(outcome).toEqual({ type: 'oauth_error', error: { code } });
      },
    );
  });
});

describe('tokenSetFrom', () => {
  describe('should normalise snake_case answers (RFC 6749 §5.1)', () => {
    test('when every member is present', () => {
      // Arrange
      const body = { access_token: 'at', token_type: 'Bearer', expires_in: 3600, refresh_token: 'rt', id_token: 'idt', scope: 'openid email' };

      // Act
      const token = tokenSetFrom(body);

      // Assert
      expect(token).toEqual({
        accessToken: 'at',
        tokenType: 'Bearer',
        expiresInSeconds: 3600,
        refreshToken: 'rt',
        idToken: 'idt',
        scope: 'openid email',
        raw: body,
      });
      expect(token?.raw).toBe(body);
    });

    test('when only the access token is present', () => {
      // Arrange
      const body = { access_token: 'at' };

      // Act
      const token = tokenSetFrom(body);

      // Assert
      expect(token).toStrictEqual({ accessToken: 'at', raw: body });
    });
  });

  describe('should normalise camelCase answers (AWS SSO OIDC)', () => {
    test('when every member is present', () => {
      // Arrange
      const body = { accessToken: 'aoa', tokenType: 'Bearer', expiresIn: 28_800, refreshToken: 'aor', idToken: 'idt' };

      // Act
      const token = tokenSetFrom(body);

      // Assert
      expect(token).toEqual({ accessToken: 'aoa', tokenType: 'Bearer', expiresInSeconds: 28_800, refreshToken: 'aor', idToken: 'idt', raw: body });
    });

    test('when both spellings are present, snake_case wins', () => {
      // Arrange
      const body = { access_token: 'snake', accessToken: 'camel', expires_in: 60, expiresIn: 120 };

      // Act
      const token = tokenSetFrom(body);

      // Assert
      expect(token).toEqual({ accessToken: 'snake', expiresInSeconds: 60, raw: body });
    });
  });

  describe('should read expires_in from a number or a numeric string', () => {
    test.each([
      { value: 3600, expected: 3600 },
      { value: '3600', expected: 3600 },
      { value: ' 900 ', expected: 900 },
      { value: 1.5, expected: 1.5 },
      { value: '28800', expected: 28_800 },
    ])('when expires_in is $value', ({ value, expected }) => {
      // Arrange
      const body = { access_token: 'at', expires_in: value };

      // Act
      const token = tokenSetFrom(body);

      // Assert
      expect(token?.expiresInSeconds).toBe(expected);
    });

    test.each([0, -5, '0', 'soon', '', null, Number.NaN, Number.POSITIVE_INFINITY])('when expires_in is %j, it is left out', (value) => {
      // Arrange
      const body = { access_token: 'at', expires_in: value };

      // Act
      const token = tokenSetFrom(body);

      // Assert
      expect(token).toStrictEqual({ accessToken: 'at', raw: body });
    });
  });

  describe('should leave out members that are not strings', () => {
    test('when token_type, refresh_token, id_token and scope are not strings', () => {
      // Arrange
      const body = { access_token: 'at', token_type: 1, refresh_token: null, id_token: {}, scope: ['a', 'b'] };

      // Act
      const token = tokenSetFrom(body);

      // Assert
      expect(token).toStrictEqual({ accessToken: 'at', raw: body });
    });
  });

  describe('should return undefined without an access token', () => {
    test.each([
      { label: 'an empty object', body: {} },
      { label: 'an empty access_token', body: { access_token: '' } },
      { label: 'a numeric access_token', body: { access_token: 123 } },
      { label: 'a null access_token with a camelCase fallback absent', body: { access_token: null } },
      { label: 'only a refresh token', body: { refresh_token: 'rt', token_type: 'Bearer' } },
      { label: 'an OAuth error', body: { error: 'authorization_pending' } },
    ])('when the body holds $label', ({ body }) => {
      // Arrange
      const given: Readonly<Record<string, unknown>> = body;

      // Act
      const token = tokenSetFrom(given);

      // Assert
      expect(token).toBeUndefined();
    });
  });

  describe('should keep the access token and raw body for any answer with a non-empty access token', () => {
    test.prop([fc.string({ minLength: 1 }), fc.dictionary(fc.string(), fc.jsonValue())])('when the body has extra members', (accessToken, extra) => {
      // Arrange
      const body = { ...extra, access_token: accessToken };

      // Act
      const token = tokenSetFrom(body);

      // Assert
      expect(token).toMatchObject({ accessToken });
      expect(token?.raw).toBe(body);
    });
  });
});
