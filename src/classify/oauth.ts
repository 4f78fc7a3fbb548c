import type { OAuthErrorDetail, TokenOutcome } from '../core/outcome.js';

/**
 * The CreateToken exceptions of the AWS SSO OIDC API, with the OAuth `error`
 * code each carries and its HTTP status.
 * @group Classification
 */
export const AWS_SSO_OIDC_EXCEPTIONS: Readonly<
  Record<
    string,
    {
      /** The OAuth `error` code the exception carries. */
      readonly error: string;
      /** The HTTP status AWS answers it with. */
      readonly status: number;
    }
  >
> = Object.freeze({
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
});

/**
 * Maps an OAuth error (RFC 6749 §5.2, RFC 8628 §3.5, or an AWS exception
 * reduced to its `error` code) to an outcome: `authorization_pending` and
 * `slow_down` continue, `access_denied` and `expired_token` end the flow
 * their own way, and every other code ends it as a failure.
 * @param interval - The `interval` a `slow_down` answer carried (GitHub sends one).
 * @example
 * ```ts
 * import { outcomeFromOAuthError } from 'tokenpoll';
 * outcomeFromOAuthError({ code: 'slow_down' }, 10); // { type: 'slow_down', interval: 10 }
 * outcomeFromOAuthError({ code: 'invalid_grant', description: 'bad device code' }); // { type: 'oauth_error', error: { code: 'invalid_grant', … } }
 * ```
 * @see {@link https://www.rfc-editor.org/rfc/rfc8628#section-3.5 | RFC 8628 §3.5}
 * @group Classification
 */
export function outcomeFromOAuthError(detail: OAuthErrorDetail, interval?: unknown): TokenOutcome<never> {
  switch (detail.code) {
    case 'authorization_pending':
      return { type: 'authorization_pending' };
    case 'slow_down':
      return interval === undefined ? { type: 'slow_down' } : { type: 'slow_down', interval };
    case 'access_denied':
      return { type: 'access_denied', error: detail };
    case 'expired_token':
      return { type: 'expired_token', error: detail };
    default:
      return { type: 'oauth_error', error: detail };
  }
}

/**
 * Builds an {@link OAuthErrorDetail}, keeping only string members and leaving
 * out undefined ones.
 * @internal
 */
export function oauthDetail(fields: {
  code: string;
  description?: unknown;
  reason?: unknown;
  status?: number | undefined;
  exception?: string | undefined;
}): OAuthErrorDetail {
  const detail: { -readonly [K in keyof OAuthErrorDetail]: OAuthErrorDetail[K] } = { code: fields.code };
  if (typeof fields.description === 'string' && fields.description !== '') detail.description = fields.description;
  if (typeof fields.reason === 'string' && fields.reason !== '') detail.reason = fields.reason;
  if (fields.status !== undefined) detail.status = fields.status;
  if (fields.exception !== undefined) {
    detail.exception = fields.exception;
    if (fields.exception === 'InvalidClientException') detail.reregisterClient = true;
  }
  return Object.freeze(detail);
}

/**
 * The outcome for a named AWS SSO OIDC exception, or `undefined` for a name
 * outside the CreateToken table.
 * @internal
 */
export function outcomeFromAwsException(
  name: string,
  fields: { description?: unknown; reason?: unknown; status?: number | undefined; retryAfterMs?: number | undefined },
): TokenOutcome<never> | undefined {
  const known = Object.hasOwn(AWS_SSO_OIDC_EXCEPTIONS, name) ? AWS_SSO_OIDC_EXCEPTIONS[name] : undefined;
  if (!known) return undefined;
  const status = fields.status ?? known.status;
  if (name === 'InternalServerException') {
    const message = typeof fields.description === 'string' && fields.description !== '' ? fields.description : 'InternalServerException';
    return fields.retryAfterMs === undefined
      ? { type: 'server_error', status, message }
      : { type: 'server_error', status, message, retryAfterMs: fields.retryAfterMs };
  }
  return outcomeFromOAuthError(oauthDetail({ code: known.error, description: fields.description, reason: fields.reason, status, exception: name }));
}
