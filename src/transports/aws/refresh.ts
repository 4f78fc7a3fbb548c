import type { TokenSet } from '../../core/outcome.js';
import { ConfigurationError } from '../../errors/failures.js';
import { readRefreshedToken } from '../one-shot.js';
import { callAws } from './call.js';
import { resolveAwsClient, type AwsSsoOidcClientOptions } from './client.js';
import { checkScopes } from './register-client.js';
import type { AwsClientRegistration } from './registration-cache.js';
import { checkRegistration } from './token-transport.js';

/** Options for {@link refreshAwsToken}. @group AWS SSO OIDC */
export interface RefreshAwsTokenOptions extends AwsSsoOidcClientOptions {
  /** The registered client the refresh token was issued to (a login's `registration`). */
  readonly registration: Pick<AwsClientRegistration, 'clientId' | 'clientSecret'>;
  /** The refresh token (a secret). */
  readonly refreshToken: string;
  /** Scopes to ask for, when narrower than the original grant's. @defaultValue the original grant's */
  readonly scopes?: readonly string[] | undefined;
  /** Cancels the call. */
  readonly signal?: AbortSignal | undefined;
}

/**
 * Refreshes an AWS IAM Identity Center token (`CreateToken` with `grantType:
 * 'refresh_token'`), retrying transient faults (network, timeout, 5xx,
 * `InternalServerException`, 429). When the answer carries no new refresh
 * token, the one sent is kept in the result (RFC 6749 §6: it stays valid).
 *
 * @example
 * ```ts
 * import { loginWithAwsSso, refreshAwsToken } from 'tokenpoll';
 * const token = await loginWithAwsSso({ startUrl, region: 'eu-west-1' }).result;
 * // Later, before token.expiresAt:
 * const fresh = await refreshAwsToken({ region: 'eu-west-1', registration: token.registration, refreshToken: token.refreshToken! });
 * ```
 * @throws {@link AwsSsoOidcError} when AWS refuses (`InvalidGrantException` for a
 * spent or expired refresh token: log in again), {@link RetriesExhaustedError},
 * {@link LostGrantError} when a success answer cannot be read (the refresh
 * token may have been spent), {@link PollCancelledError}, and
 * {@link ConfigurationError} for a bad option.
 * @see {@link https://docs.aws.amazon.com/singlesignon/latest/OIDCAPIReference/API_CreateToken.html | CreateToken in the IAM Identity Center OIDC API Reference}
 * @group Flows
 */
export async function refreshAwsToken(options: RefreshAwsTokenOptions): Promise<TokenSet> {
  const client = resolveAwsClient(options);
  checkRegistration(options.registration);
  const { refreshToken } = options;
  if (typeof refreshToken !== 'string' || refreshToken === '') throw new ConfigurationError('refreshToken', 'expected a non-empty string');
  const scopes = checkScopes(options.scopes);
  const body: Record<string, unknown> = {
    clientId: options.registration.clientId,
    clientSecret: options.registration.clientSecret,
    grantType: 'refresh_token',
    refreshToken,
  };
  if (scopes && scopes.length > 0) body['scope'] = scopes;
  return callAws(client, {
    operation: 'CreateToken',
    path: '/token',
    body,
    signal: options.signal,
    grant: true,
    read: readRefreshedToken(refreshToken, { operation: 'CreateToken' }),
  });
}
