import type { LoginRequiredError, LoginRequiredReason } from '../aws/errors.js';
import { OAuthError } from '../errors/outcomes.js';
import type { AwsClient } from '../transports/aws/client.js';
import { refreshAwsToken } from '../transports/aws/refresh.js';
import { parseCacheTime, toCacheTime, type SsoTokenCacheEntry } from './sso-cache.js';

/** Sends the refresh grant and builds the new entry, keeping what the answer does not replace. @internal */
export async function refreshEntry(client: AwsClient, entry: SsoTokenCacheEntry, signal: AbortSignal | undefined): Promise<SsoTokenCacheEntry> {
  const token = await refreshAwsToken({
    region: client.region,
    endpoint: client.endpoint,
    fetch: client.fetch,
    clock: client.clock,
    requestTimeoutMs: client.requestTimeoutMs,
    maxBodyBytes: client.maxBodyBytes,
    userAgent: client.userAgent,
    retry: client.retry,
    registration: { clientId: entry.clientId!, clientSecret: entry.clientSecret! },
    refreshToken: entry.refreshToken!,
    signal,
  });
  const expiresAt = client.clock.wallNow() + (token.expiresInSeconds ?? 3600) * 1000;
  return { ...entry, accessToken: token.accessToken, expiresAt: toCacheTime(expiresAt), refreshToken: token.refreshToken ?? entry.refreshToken };
}

/** The login-required error for a refused refresh, or `undefined` for any other failure. @internal */
export function loginRequiredFor(error: unknown, required: (reason: LoginRequiredReason, cause?: unknown) => LoginRequiredError): LoginRequiredError | undefined {
  if (!(error instanceof OAuthError)) return undefined;
  const { code } = error.error;
  if (code === 'invalid_grant') return required('refresh-rejected', error);
  if (code === 'invalid_client' || code === 'unauthorized_client') return required('registration-invalid', error);
  return undefined;
}

/** Whether a value can be stored as a cache entry (what `onLoginRequired` resolves with). @internal */
export function isEntry(value: unknown): value is SsoTokenCacheEntry {
  if (typeof value !== 'object' || value === null) return false;
  const entry = value as Partial<Record<keyof SsoTokenCacheEntry, unknown>>;
  const filled = (field: unknown): boolean => typeof field === 'string' && field !== '';
  return filled(entry.startUrl) && filled(entry.region) && filled(entry.accessToken) && filled(entry.expiresAt) && !Number.isNaN(parseCacheTime(entry.expiresAt as string));
}
