import { isEpochMsInRange } from './epoch.js';

/**
 * A client registration (the answer to AWS SSO OIDC `RegisterClient`). The
 * client secret is a secret: store it as carefully as a token.
 * @group AWS SSO OIDC
 */
export interface AwsClientRegistration {
  /** The client id. */
  readonly clientId: string;
  /** The client secret (a secret). */
  readonly clientSecret: string;
  /** When the client id was issued, in epoch seconds, as sent. */
  readonly clientIdIssuedAt?: number;
  /** When the client secret expires, in epoch seconds, as sent. */
  readonly clientSecretExpiresAt: number;
  /** The same expiry in epoch milliseconds: what the AWS CLI's cache calls `registrationExpiresAt` (write it as `new Date(ms).toISOString()`). */
  readonly registrationExpiresAt: number;
  /** The scopes the client was registered with, when any were asked for. */
  readonly scopes?: readonly string[];
}

/**
 * Where client registrations are kept between logins, so each login does not
 * register a new client. Both methods may be synchronous or return promises
 * (a file or a keychain, say). tokenpoll reads with `get`, and after
 * registering writes with `set`; it never writes an expired registration.
 * A registration that `get` returns is used only while it has more than
 * `registrationMarginMs` left.
 * @group AWS SSO OIDC
 */
export interface AwsRegistrationCache {
  /** The registration stored under `key`, or `undefined`. */
  get(key: string): AwsClientRegistration | undefined | PromiseLike<AwsClientRegistration | undefined>;
  /** Stores a registration under `key`, replacing any other. */
  set(key: string, registration: AwsClientRegistration): void | PromiseLike<void>;
  /** Forgets `key`: called when AWS rejected the registration (`InvalidClientException`). Optional. */
  delete?(key: string): void | PromiseLike<void>;
}

/**
 * How long before its expiry a cached registration stops being used: 15
 * minutes, as botocore does, so a login never outlives its client secret.
 * @group AWS SSO OIDC
 */
export const DEFAULT_REGISTRATION_MARGIN_MS: number = 15 * 60_000;

/**
 * An in-memory {@link AwsRegistrationCache}. It drops entries once they
 * expire, on the `wallNow` clock. `loginWithAwsSso` shares one such cache per
 * process unless given its own.
 * @param wallNow - The wall clock, epoch ms. @defaultValue Date.now
 * @example
 * One cache for several logins, so that they register the client once.
 * ```ts
 * import { loginWithAwsSso, memoryRegistrationCache } from 'tokenpoll';
 * const cache = memoryRegistrationCache();
 * const work = loginWithAwsSso({ startUrl: 'https://work.awsapps.com/start', region: 'eu-west-1', cache });
 * const lab = loginWithAwsSso({ startUrl: 'https://lab.awsapps.com/start', region: 'eu-west-1', cache });
 * ```
 * @group AWS SSO OIDC
 */
export function memoryRegistrationCache(wallNow: () => number = Date.now): AwsRegistrationCache {
  const entries = new Map<string, AwsClientRegistration>();
  return {
    get(key) {
      const registration = entries.get(key);
      if (registration && registration.registrationExpiresAt <= wallNow()) {
        entries.delete(key);
        return undefined;
      }
      return registration;
    },
    set(key, registration) {
      entries.set(key, registration);
    },
    delete(key) {
      entries.delete(key);
    },
  };
}

/** The process-wide default cache. @internal */
export const defaultRegistrationCache: AwsRegistrationCache = memoryRegistrationCache();

/**
 * Whether a registration can still be used: it is well formed and has more
 * than `marginMs` left before `registrationExpiresAt`, which must be a time
 * no later than the year 9999 (a cache filled before RegisterClient answers
 * were range-checked may hold `1e303`, which no cache file can write).
 * @param wallNowMs - The current wall-clock time, epoch ms.
 * @example
 * ```ts
 * import { isRegistrationUsable, registerAwsClient } from 'tokenpoll';
 * const registration = isRegistrationUsable(saved, Date.now()) ? saved : await registerAwsClient({ region: 'eu-west-1' });
 * ```
 * @group AWS SSO OIDC
 */
export function isRegistrationUsable(registration: unknown, wallNowMs: number, marginMs: number = DEFAULT_REGISTRATION_MARGIN_MS): registration is AwsClientRegistration {
  if (typeof registration !== 'object' || registration === null) return false;
  const { clientId, clientSecret, registrationExpiresAt } = registration as Partial<AwsClientRegistration>;
  return (
    typeof clientId === 'string' &&
    clientId !== '' &&
    typeof clientSecret === 'string' &&
    clientSecret !== '' &&
    isEpochMsInRange(registrationExpiresAt) &&
    registrationExpiresAt - marginMs > wallNowMs
  );
}

/**
 * The cache key of a registration: the endpoint, the client name and the
 * sorted scopes, as JSON. Registrations are not tied to a start URL.
 * @example
 * ```ts
 * import { registrationCacheKey } from 'tokenpoll';
 * registrationCacheKey('https://oidc.eu-west-1.amazonaws.com', 'my-cli', ['sso:account:access']);
 * // '["aws-sso-oidc","https://oidc.eu-west-1.amazonaws.com","my-cli",["sso:account:access"]]'
 * ```
 * @group AWS SSO OIDC
 */
export function registrationCacheKey(endpoint: string, clientName: string, scopes: readonly string[] = []): string {
  return JSON.stringify(['aws-sso-oidc', endpoint, clientName, [...scopes].sort()]);
}
