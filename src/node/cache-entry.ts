import type { AwsSsoToken } from '../flows/aws-login.js';
import { toCacheTime, type SsoTokenCacheEntry } from './sso-cache.js';

/**
 * The cache entry for a token from `loginWithAwsSso`, as the AWS CLI v2
 * writes it: the token, its expiry, the client registration (id, secret,
 * expiry) and the refresh token, so that a token source can refresh it.
 * @param wallNowMs - The time the token was issued, when it carries no `expiresAt`. @defaultValue Date.now()
 * @example
 * ```ts
 * import { loginWithAwsSso } from 'tokenpoll';
 * import { ssoCacheEntryFromToken, ssoCachePath, writeSsoTokenCache } from 'tokenpoll/node';
 * const token = await loginWithAwsSso({ startUrl, region: 'eu-west-1', scopes: ['sso:account:access'] }).result;
 * await writeSsoTokenCache(ssoCachePath({ startUrl }), ssoCacheEntryFromToken(token));
 * ```
 * @group AWS token cache
 */
export function ssoCacheEntryFromToken(token: AwsSsoToken, wallNowMs: number = Date.now()): SsoTokenCacheEntry {
  const expiresAt = token.expiresAt ?? wallNowMs + (token.expiresInSeconds ?? 3600) * 1000;
  return {
    startUrl: token.startUrl,
    region: token.region,
    accessToken: token.accessToken,
    expiresAt: toCacheTime(expiresAt),
    clientId: token.registration.clientId,
    clientSecret: token.registration.clientSecret,
    registrationExpiresAt: toCacheTime(token.registration.registrationExpiresAt),
    ...(token.refreshToken === undefined ? {} : { refreshToken: token.refreshToken }),
  };
}
