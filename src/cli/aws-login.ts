import type { LoginHandle } from '../flows/device-login.js';
import type { OneShotRetryEvent } from '../retry/retry.js';
import { parseCacheTime, readSsoTokenCache, ssoCachePath, type SsoTokenCacheEntry } from '../node/sso-cache.js';
import { ssoTokenFileStorage } from '../node/token-storage.js';
import { loginWithAwsSso, type AwsSsoToken } from '../flows/aws-login.js';
import type { AwsClientRegistration, AwsRegistrationCache } from '../transports/aws/registration-cache.js';

/** What the CLI knows of an IAM Identity Center session. @internal */
export interface AwsSessionFlags {
  readonly startUrl: string;
  readonly region: string;
  readonly sessionName?: string | undefined;
  /** The SSO OIDC endpoint, when not AWS's. */
  readonly endpoint?: string | undefined;
  /** Scopes asked for; with a session name and none given, `sso:account:access` (as the AWS CLI does). */
  readonly scopes?: readonly string[] | undefined;
}

/** The cache file of a session: the SHA-1 of the session name, or of the start URL. @internal */
export function sessionCachePath(session: AwsSessionFlags): string {
  return ssoCachePath({ startUrl: session.startUrl, sessionName: session.sessionName });
}

/**
 * Starts a device login for a session, reusing the client registration kept
 * in its cache file (as the AWS CLI does) unless `reuseRegistration` is false.
 * @internal
 */
export function startAwsLogin(session: AwsSessionFlags, signal: AbortSignal, reuseRegistration = true, onRetry?: (event: OneShotRetryEvent) => void): LoginHandle<AwsSsoToken> {
  const scopes = session.scopes ?? (session.sessionName === undefined ? undefined : ['sso:account:access']);
  return loginWithAwsSso({
    startUrl: session.startUrl,
    region: session.region,
    signal,
    clientName: 'tokenpoll',
    ...(onRetry === undefined ? {} : { retry: { onRetry } }),
    ...(session.endpoint === undefined ? {} : { endpoint: session.endpoint }),
    ...(scopes === undefined ? {} : { scopes }),
    ...(reuseRegistration ? { cache: registrationFromCacheFile(sessionCachePath(session), session.startUrl, session.region) } : {}),
  });
}

/** The `tokenpoll login --aws …` command line for a session, each word quoted for a POSIX shell where needed. @internal */
export function loginCommand(session: AwsSessionFlags): string {
  const words = ['tokenpoll', 'login', '--aws', '--start-url', session.startUrl, '--region', session.region];
  if (session.sessionName !== undefined) words.push('--session-name', session.sessionName);
  if (session.endpoint !== undefined) words.push('--endpoint', session.endpoint);
  return words.map(shellQuote).join(' ');
}

function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * Reuses the client registration kept in the token cache file, so each login
 * does not register a new client. Writing happens with the token, after the
 * login. A registration is reused only for the same start URL and region.
 */
function registrationFromCacheFile(path: string, startUrl: string, region: string): AwsRegistrationCache {
  return {
    async get(): Promise<AwsClientRegistration | undefined> {
      const entry = await readSsoTokenCache(path).catch(() => undefined);
      if (entry?.clientId === undefined || entry.clientSecret === undefined || entry.registrationExpiresAt === undefined) return undefined;
      if (entry.startUrl !== startUrl || entry.region !== region) return undefined;
      const registrationExpiresAt = parseCacheTime(entry.registrationExpiresAt);
      if (Number.isNaN(registrationExpiresAt)) return undefined;
      return { clientId: entry.clientId, clientSecret: entry.clientSecret, registrationExpiresAt, clientSecretExpiresAt: Math.floor(registrationExpiresAt / 1000) };
    },
    set(): void {},
    // AWS rejected the registration this file keeps, and no new one was made: drop it from the file (under
    // the cache's lock), so the next login registers anew. The token, if any, stays.
    async delete(): Promise<void> {
      const storage = ssoTokenFileStorage(path);
      await storage.exclusive(async () => {
        const entry = await storage.read();
        if (entry?.clientId === undefined) return;
        const kept: { -readonly [K in keyof SsoTokenCacheEntry]?: SsoTokenCacheEntry[K] } = { ...entry };
        delete kept.clientId;
        delete kept.clientSecret;
        delete kept.registrationExpiresAt;
        await storage.write(kept as SsoTokenCacheEntry);
      });
    },
  };
}
