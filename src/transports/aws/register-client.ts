import { readSeconds } from '../../core/interval.js';
import { ConfigurationError, InvalidResponseError } from '../../errors/failures.js';
import { callAws } from './call.js';
import { resolveAwsClient, stringField, type AwsClient, type AwsSsoOidcClientOptions } from './client.js';
import { isEpochMsInRange } from './epoch.js';
import {
  DEFAULT_REGISTRATION_MARGIN_MS,
  isRegistrationUsable,
  registrationCacheKey,
  type AwsClientRegistration,
  type AwsRegistrationCache,
} from './registration-cache.js';

/** Options for {@link registerAwsClient}. @group AWS SSO OIDC */
export interface RegisterAwsClientOptions extends AwsSsoOidcClientOptions {
  /** The client name IAM Identity Center shows. @defaultValue 'tokenpoll' */
  readonly clientName?: string | undefined;
  /** Scopes to register the client for, such as `sso:account:access`. @defaultValue none */
  readonly scopes?: readonly string[] | undefined;
  /** Cancels the call. */
  readonly signal?: AbortSignal | undefined;
}

/**
 * Registers a public client (AWS SSO OIDC `RegisterClient`, `POST
 * /client/register`), retrying transient faults. No cache: see
 * `loginWithAwsSso` for the cached path.
 * @example
 * ```ts
 * import { registerAwsClient, startAwsDeviceAuthorization } from 'tokenpoll';
 * const registration = await registerAwsClient({ region: 'eu-west-1', clientName: 'my-cli', scopes: ['sso:account:access'] });
 * // Keep it (clientId, clientSecret) until registrationExpiresAt, and reuse it for every login.
 * const authorization = await startAwsDeviceAuthorization({ region: 'eu-west-1', registration, startUrl: 'https://my-org.awsapps.com/start' });
 * ```
 * @throws {@link AwsSsoOidcError} for an AWS error, {@link RetriesExhaustedError}
 * when transient faults persist, {@link InvalidResponseError} for an unusable
 * answer, {@link PollCancelledError} when cancelled.
 * @see {@link https://docs.aws.amazon.com/singlesignon/latest/OIDCAPIReference/API_RegisterClient.html | RegisterClient in the IAM Identity Center OIDC API Reference}
 * @group AWS SSO OIDC
 */
export async function registerAwsClient(options: RegisterAwsClientOptions): Promise<AwsClientRegistration> {
  const client = resolveAwsClient(options);
  return register(client, checkClientName(options.clientName), checkScopes(options.scopes), options.signal);
}

/** Sends RegisterClient. @internal */
export function register(client: AwsClient, clientName: string, scopes: readonly string[] | undefined, signal: AbortSignal | undefined): Promise<AwsClientRegistration> {
  const body: Record<string, unknown> = { clientName, clientType: 'public' };
  if (scopes && scopes.length > 0) body['scopes'] = scopes;
  return callAws(client, { operation: 'RegisterClient', path: '/client/register', body, signal, read: (json) => registrationFrom(json, scopes) });
}

/**
 * Normalises a RegisterClient answer. `clientSecretExpiresAt` must be a time
 * no later than the year 9999 (it becomes the cache's `registrationExpiresAt`
 * date); a `clientIdIssuedAt` out of that range is dropped.
 * @throws {@link InvalidResponseError} when `clientId`, `clientSecret` or a positive `clientSecretExpiresAt` is missing,
 * or `clientSecretExpiresAt` is after the year 9999. Nothing is lost: no user has approved anything yet.
 * @internal
 */
export function registrationFrom(json: Readonly<Record<string, unknown>>, scopes?: readonly string[]): AwsClientRegistration {
  const clientId = stringField(json, 'clientId');
  const clientSecret = stringField(json, 'clientSecret');
  const expiresAt = epochSeconds(json['clientSecretExpiresAt']);
  const missing = [clientId ? '' : 'clientId', clientSecret ? '' : 'clientSecret', expiresAt ? '' : 'clientSecretExpiresAt'].filter(Boolean);
  if (!clientId || !clientSecret || !expiresAt || missing.length > 0) {
    throw new InvalidResponseError(`RegisterClient answered without a usable ${missing.join(', ')}`);
  }
  if (!isEpochMsInRange(expiresAt * 1000)) throw new InvalidResponseError(`RegisterClient answered a clientSecretExpiresAt (${expiresAt}) after the year 9999`);
  const registration: { -readonly [K in keyof AwsClientRegistration]: AwsClientRegistration[K] } = {
    clientId,
    clientSecret,
    clientSecretExpiresAt: expiresAt,
    registrationExpiresAt: expiresAt * 1000,
  };
  const issuedAt = epochSeconds(json['clientIdIssuedAt']);
  if (issuedAt !== undefined && isEpochMsInRange(issuedAt * 1000)) registration.clientIdIssuedAt = issuedAt;
  if (scopes && scopes.length > 0) registration.scopes = Object.freeze([...scopes]);
  return Object.freeze(registration);
}

/** What {@link obtainRegistration} needs. @internal */
export interface RegistrationRequest {
  readonly clientName: string;
  readonly scopes: readonly string[] | undefined;
  readonly cache: AwsRegistrationCache | undefined;
  readonly marginMs: number | undefined;
  readonly signal: AbortSignal | undefined;
}

/**
 * A usable registration: from the cache, or registered (and cached) now.
 * With `renew`, the cached one is dropped and a new client registered.
 * @internal
 */
export async function obtainRegistration(client: AwsClient, request: RegistrationRequest, renew: boolean): Promise<AwsClientRegistration> {
  const { cache } = request;
  const key = registrationCacheKey(client.endpoint, request.clientName, request.scopes);
  const marginMs = request.marginMs ?? DEFAULT_REGISTRATION_MARGIN_MS;
  if (cache && renew) await cache.delete?.(key);
  if (cache && !renew) {
    const cached = await cache.get(key);
    if (isRegistrationUsable(cached, client.clock.wallNow(), marginMs)) return cached;
  }
  const registration = await register(client, request.clientName, request.scopes, request.signal);
  if (cache && isRegistrationUsable(registration, client.clock.wallNow(), 0)) await cache.set(key, registration);
  return registration;
}

/**
 * Forgets the cached registration for this request, after AWS rejected it
 * (`InvalidClientException`) and no new one is made now, so the next login
 * registers anew instead of failing the same way. A cache that cannot forget
 * changes nothing: the login's own outcome stands.
 * @internal
 */
export async function forgetRegistration(client: AwsClient, request: RegistrationRequest): Promise<void> {
  if (!request.cache?.delete) return;
  try {
    await request.cache.delete(registrationCacheKey(client.endpoint, request.clientName, request.scopes));
  } catch {
    // The login ends with its own error either way.
  }
}

/** @internal */
export function checkClientName(clientName: unknown): string {
  if (clientName === undefined) return 'tokenpoll';
  if (typeof clientName !== 'string' || clientName.trim() === '') throw new ConfigurationError('clientName', 'expected a non-empty string');
  return clientName;
}

/** @internal */
export function checkScopes(scopes: unknown): readonly string[] | undefined {
  if (scopes === undefined) return undefined;
  if (!Array.isArray(scopes) || scopes.some((scope) => typeof scope !== 'string' || scope === '')) {
    throw new ConfigurationError('scopes', 'expected an array of non-empty strings');
  }
  return scopes as readonly string[];
}

function epochSeconds(value: unknown): number | undefined {
  const seconds = readSeconds(value);
  return seconds !== undefined && Number.isFinite(seconds) && seconds > 0 ? seconds : undefined;
}
