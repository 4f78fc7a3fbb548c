import type { TokenSet } from '../../core/outcome.js';
import { ConfigurationError } from '../../errors/failures.js';
import { checkSecureUrl } from '../secure-url.js';
import { callOnce, readRefreshedToken } from '../one-shot.js';
import { authenticate, CLIENT_FIELDS, formHeaders, formWith, resolveClient } from './client-auth.js';
import { findEndpoints } from './discovery.js';
import type { ClientOptions, OneShotOptions } from './options.js';

/**
 * Where to send a refresh: the token endpoint, or an issuer to discover it from.
 * @group Flows
 */
export type TokenEndpointLocation =
  | {
      /** The token endpoint. */
      readonly tokenEndpoint: string | URL;
      /** For the record only. */
      readonly issuer?: string | URL | undefined;
    }
  | {
      /** The issuer; its token endpoint is found with {@link discover}. */
      readonly issuer: string | URL;
      /** Not set: found by discovery. */
      readonly tokenEndpoint?: undefined;
    };

/** Everything {@link refreshToken} takes besides where the server is. @group Flows */
export interface RefreshTokenSettings extends ClientOptions, OneShotOptions {
  /** The refresh token (a secret). */
  readonly refreshToken: string;
  /** A narrower scope to ask for (RFC 6749 §6). @defaultValue the scope originally granted */
  readonly scope?: string | readonly string[] | undefined;
  /** Extra form parameters (`resource`…); they cannot replace the grant's own fields. */
  readonly parameters?: Readonly<Record<string, string>> | undefined;
}

/** Options for {@link refreshToken}. @group Flows */
export type RefreshTokenOptions = TokenEndpointLocation & RefreshTokenSettings;

/**
 * Exchanges a refresh token for a new token set (RFC 6749 §6), retrying
 * transient faults (network, timeout, 5xx, 429) with {@link retry}. When the
 * server issues no new refresh token, the one given is kept in the result,
 * so it can be used again.
 *
 * @example
 * ```ts
 * import { refreshToken } from 'tokenpoll';
 * const next = await refreshToken({ tokenEndpoint, clientId: 'my-cli', refreshToken: token.refreshToken! });
 * ```
 * @throws {@link OAuthError} when the server refuses, such as `invalid_grant` for a revoked or expired refresh token.
 * @throws {@link LostGrantError} when a success answer cannot be read (a rotated refresh token may be lost).
 * @throws {@link RetriesExhaustedError} when transient faults outlast the retries.
 * @throws {@link ConfigurationError} for bad options or an endpoint that is not HTTPS (loopback excepted).
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749#section-6 | RFC 6749 §6}
 * @group Flows
 */
export async function refreshToken(options: RefreshTokenOptions): Promise<TokenSet> {
  if (typeof options.refreshToken !== 'string' || options.refreshToken === '') throw new ConfigurationError('refreshToken', 'expected a non-empty string');
  const client = resolveClient(options);
  const scope = typeof options.scope === 'string' ? options.scope : options.scope?.join(' ');
  const fixed: Record<string, string> = { grant_type: 'refresh_token', refresh_token: options.refreshToken };
  if (scope !== undefined) fixed['scope'] = scope;
  const form = formWith(fixed, options.parameters, 'parameters', CLIENT_FIELDS);
  const headers = formHeaders();
  authenticate(client, form, headers);
  const url =
    options.tokenEndpoint === undefined
      ? (await findEndpoints(options.issuer, pick(options))).tokenEndpoint
      : checkSecureUrl(options.tokenEndpoint, 'tokenEndpoint');
  const operation = 'the token endpoint';
  // A grant: an unreadable 2xx may hold a rotated refresh token, so it is a LostGrantError, never resent.
  const request = { url, method: 'POST', headers, body: form.toString() } as const;
  return callOnce({ operation, request, grant: true, read: readRefreshedToken(options.refreshToken, { operation }) }, options);
}

/** The one-shot options alone, so discovery never sees the secrets. */
function pick(options: OneShotOptions): OneShotOptions {
  const { fetch, clock, requestTimeoutMs, maxBodyBytes, userAgent, signal, retries, backoff, random, onRetry } = options;
  return { fetch, clock, requestTimeoutMs, maxBodyBytes, userAgent, signal, retries, backoff, random, onRetry };
}
