import { LoginRequiredError, type LoginRequiredReason } from '../aws/errors.js';
import type { AwsAccessTokenRequest, AwsSsoAccessTokenProvider } from '../aws/portal-types.js';
import { ConfigurationError, PollCancelledError } from '../errors/failures.js';
import type { TokenNotSavedError } from '../errors/token-not-saved.js';
import { resolveAwsClient, type AwsSsoOidcClientOptions } from '../transports/aws/client.js';
import { checkStartUrl } from '../transports/aws/device-authorization.js';
import type { FileLockOptions } from './file-lock.js';
import { parseCacheTime, ssoCachePath, type SsoTokenCacheEntry } from './sso-cache.js';
import { isEntry, loginRequiredFor, refreshEntry } from './token-refresh.js';
import { saveIssuedEntry, ssoTokenFileStorage, type SsoTokenStorage } from './token-storage.js';

/**
 * Options for {@link createSsoTokenSource}. The shared AWS options (`region`,
 * `endpoint`, `fetch`, `clock`, `requestTimeoutMs`, `maxBodyBytes`, `retry`)
 * are those of the SSO OIDC API, which refreshes the token.
 * @group AWS token cache
 */
export interface SsoTokenSourceOptions extends AwsSsoOidcClientOptions {
  /** The AWS access portal URL; it names the cache file when there is no `sessionName`. */
  readonly startUrl: string;
  /** The `sso-session` name, which names the cache file, as in the AWS CLI. */
  readonly sessionName?: string | undefined;
  /** The cache folder; the refresh records go to `tokenpoll` beside it (see {@link ssoTokenFileStorage}). @defaultValue `~/.aws/sso/cache` */
  readonly cacheDir?: string | undefined;
  /** Where the token lives, instead of the cache file. @defaultValue {@link ssoTokenFileStorage} on {@link ssoCachePath}'s file */
  readonly storage?: SsoTokenStorage | undefined;
  /**
   * How the cache file's lock waits (not used with `storage`), and
   * `lock.onWait`, called once when another process has held it for
   * `lock.onWaitAfterMs` (2 s), timed on `clock` unless `lock.clock` says otherwise.
   * @defaultValue `{}`: waits up to 45 s, silently (see {@link FileLockOptions})
   */
  readonly lock?: FileLockOptions | undefined;
  /** A token with less than this left is refreshed. @defaultValue 300000 (5 min) */
  readonly refreshWindowMs?: number | undefined;
  /** A refresh is never tried sooner than this after the previous try, on `clock`. @defaultValue 30000 */
  readonly minRefreshIntervalMs?: number | undefined;
  /**
   * Called when a new login is needed, instead of throwing the
   * {@link tokenpoll!LoginRequiredError}: an interactive caller logs in and returns the
   * new entry (see `ssoCacheEntryFromToken`), which is stored and used. Leave
   * it out in a non-interactive caller, which then gets the error.
   */
  readonly onLoginRequired?: ((error: LoginRequiredError) => Promise<SsoTokenCacheEntry>) | undefined;
  /**
   * Called when a token the server issued (a refresh, or `onLoginRequired`'s
   * new login) could not be saved, after 3 tries: the call still resolves
   * with that token, and this says it was not saved. A `credential_process`
   * caller prints its credentials, then exits non-zero with the error's
   * message. What it throws is ignored.
   * @defaultValue emits the error as a Node process warning (`process.emitWarning`), which prints it on stderr
   */
  readonly onTokenNotSaved?: ((error: TokenNotSavedError) => void) | undefined;
}

/**
 * A source of valid IAM Identity Center access tokens, made by
 * {@link createSsoTokenSource}. Pass it as `awsSsoPortal`'s `token`.
 * @group AWS token cache
 */
export interface SsoTokenSource extends AwsSsoAccessTokenProvider {
  /** The start URL. */
  readonly startUrl: string;
  /** The cache file, when the storage is one. */
  readonly path: string | undefined;
  /** The current cache entry, refreshed first when needed. It holds secrets. */
  getToken(request?: AwsAccessTokenRequest): Promise<SsoTokenCacheEntry>;
  /** The current access token (a secret), refreshed first when needed. */
  getAccessToken(request?: AwsAccessTokenRequest): Promise<string>;
}

/**
 * A token source over the AWS CLI v2 SSO cache: each call reads the cache and
 * returns its token, refreshing it first (CreateToken, `refresh_token` grant)
 * once less than `refreshWindowMs` is left, or when the caller says the portal
 * refused it (`rejected`).
 *
 * - **Throttle.** A refresh is tried at most once per `minRefreshIntervalMs`
 *   per source. When it fails and the token has not expired yet (nor been
 *   refused), the token is returned as it is, as botocore does; once it has
 *   expired, calls within the interval get the last refresh's error again.
 *   The storage records each attempt (in `<parent>/tokenpoll`, beside the
 *   cache folder; see {@link ssoTokenFileStorage}), so
 *   that while the token still works, other sources and processes do not try
 *   again within the interval either (on `clock`'s wall time).
 * - **Other processes.** The refresh runs under the storage's lock (a lock
 *   file next to the cache file), and the cache is read again under it: when
 *   another process already refreshed, its token is used and nothing is sent.
 *   The new entry is written atomically, mode 0600, keeping the client id,
 *   secret and `registrationExpiresAt`, and the new refresh token when AWS
 *   rotated it. Calls on one source run one at a time.
 * - **Login required.** No cache entry, no refresh token or client
 *   registration, an expired `registrationExpiresAt`, or CreateToken answering
 *   `InvalidGrantException` or `InvalidClientException`/`UnauthorizedClientException`
 *   give a {@link tokenpoll!LoginRequiredError} (or call `onLoginRequired`).
 * - **Rotated refresh tokens.** Transient faults are retried (`retry`), also
 *   after a timeout or reset that may have reached AWS. With rotation and
 *   reuse detection such a retry could present a spent token, but the token
 *   that would replace it never arrived, so nothing newer is lost: the worst
 *   case is `InvalidGrantException`, that is, a new login. What the lock
 *   prevents is the real hazard, two processes presenting one refresh token.
 *   A success answer that cannot be read is a {@link tokenpoll!LostGrantError}, never
 *   resent within the call (the throttle spaces out the next try).
 * - **A token that cannot be saved is still used.** When writing a refreshed
 *   token (or a new login's) fails 3 times, 200 ms apart (a full disk, a
 *   read-only folder), the call still resolves with it, `onTokenNotSaved` is
 *   told ({@link TokenNotSavedError}), and this source keeps using it (and
 *   its new refresh token) for as long as the storage holds the entry it
 *   replaced, rather than present the spent refresh token again.
 *
 * @example
 * ```ts
 * import { awsSsoPortal } from 'tokenpoll';
 * import { createSsoTokenSource } from 'tokenpoll/node';
 * const source = createSsoTokenSource({ startUrl: 'https://d-1234567890.awsapps.com/start', region: 'eu-west-1' });
 * const portal = awsSsoPortal({ region: 'eu-west-1', token: source });
 * ```
 * @throws {@link tokenpoll!ConfigurationError} for a bad option; calls reject with
 * {@link tokenpoll!LoginRequiredError}, {@link SsoCacheError}, {@link tokenpoll!RetriesExhaustedError},
 * {@link tokenpoll!LostGrantError}, {@link tokenpoll!AwsSsoOidcError} or {@link tokenpoll!PollCancelledError}.
 * @group AWS token cache
 */
export function createSsoTokenSource(options: SsoTokenSourceOptions): SsoTokenSource {
  const client = resolveAwsClient(options);
  const startUrl = checkStartUrl(options.startUrl);
  const windowMs = atLeastZero(options.refreshWindowMs, 300_000, 'refreshWindowMs');
  const intervalMs = atLeastZero(options.minRefreshIntervalMs, 30_000, 'minRefreshIntervalMs');
  const { onLoginRequired, onTokenNotSaved } = options;
  if (onLoginRequired !== undefined && typeof onLoginRequired !== 'function') throw new ConfigurationError('onLoginRequired', 'expected a function');
  if (onTokenNotSaved !== undefined && typeof onTokenNotSaved !== 'function') throw new ConfigurationError('onTokenNotSaved', 'expected a function');
  const storage = options.storage ?? ssoTokenFileStorage(ssoCachePath({ startUrl, sessionName: options.sessionName, cacheDir: options.cacheDir }), { clock: client.clock, ...options.lock });
  let lastTryAt: number | undefined;
  let lastFailure: unknown;
  let queue: Promise<unknown> = Promise.resolve();
  // A token the server issued that the storage would not take, and the access token of the entry it replaced.
  let unsaved: { readonly entry: SsoTokenCacheEntry; readonly replaced: string | undefined } | undefined;

  /** The stored entry, or the unsaved one while the storage still holds what it replaced (or nothing, or cannot be read). */
  const readCurrent = async (): Promise<SsoTokenCacheEntry | undefined> => {
    let stored: SsoTokenCacheEntry | undefined;
    try {
      stored = await storage.read();
    } catch (error) {
      if (unsaved) return unsaved.entry;
      throw error;
    }
    if (!unsaved) return stored;
    if (stored === undefined || stored.accessToken === unsaved.replaced) return unsaved.entry;
    unsaved = undefined; // something newer was stored since: a new login, or another process
    return stored;
  };

  /** Saves what the server issued; when that fails, keeps it in memory and tells the caller. */
  const save = async (entry: SsoTokenCacheEntry, replaced: SsoTokenCacheEntry | undefined, kind: 'refreshed' | 'login', locked: boolean, signal: AbortSignal | undefined): Promise<void> => {
    const failure = await saveIssuedEntry(storage, entry, { kind, clock: client.clock, locked, signal });
    if (failure === undefined) {
      unsaved = undefined;
      return;
    }
    // When what it replaced was itself unsaved, the storage still holds the older entry that one replaced.
    unsaved = { entry, replaced: unsaved !== undefined && replaced === unsaved.entry ? unsaved.replaced : replaced?.accessToken };
    try {
      if (onTokenNotSaved) onTokenNotSaved(failure);
      else process.emitWarning(failure);
    } catch {
      // The token goes to the caller whatever the hook does.
    }
  };

  const required = (reason: LoginRequiredReason, cause?: unknown): LoginRequiredError => new LoginRequiredError(reason, { startUrl, cause });
  const judge = (entry: SsoTokenCacheEntry, rejected: string | undefined): Judgement => {
    const wallNow = client.clock.wallNow();
    const expiresAt = parseCacheTime(entry.expiresAt);
    const refused = rejected !== undefined && entry.accessToken === rejected;
    const usable = !refused && expiresAt > wallNow;
    const registrationExpiresAt = entry.registrationExpiresAt === undefined ? Infinity : parseCacheTime(entry.registrationExpiresAt);
    const blocker: LoginRequiredReason | undefined = !entry.refreshToken || !entry.clientId || !entry.clientSecret ? 'no-refresh-token' : registrationExpiresAt <= wallNow ? 'registration-expired' : undefined;
    return { fresh: usable && expiresAt - windowMs > wallNow, usable, blocker };
  };

  const triedElsewhere = async (): Promise<boolean> => {
    const at = await storage.lastRefreshAttempt?.();
    if (at === undefined) return false;
    const sinceMs = client.clock.wallNow() - at;
    return sinceMs >= 0 && sinceMs < intervalMs;
  };

  const refreshUnderLock = (seen: SsoTokenCacheEntry, rejected: string | undefined, signal: AbortSignal | undefined): Promise<SsoTokenCacheEntry> =>
    storage.exclusive(async () => {
      const entry = await readCurrent();
      if (!entry) throw required('no-token');
      const judgement = judge(entry, rejected);
      // Another process refreshed (or logged in) while this one waited for the lock.
      if (entry.accessToken !== seen.accessToken && judgement.fresh) return entry;
      if (judgement.blocker) {
        if (judgement.usable) return entry;
        throw required(judgement.blocker);
      }
      // Another process (credential_process runs one per AWS call) tried a moment ago: the token still works, so no new try.
      if (judgement.usable && (await triedElsewhere())) return entry;
      lastTryAt = client.clock.now();
      await storage.recordRefreshAttempt?.(client.clock.wallNow());
      let next: SsoTokenCacheEntry;
      try {
        next = await refreshEntry(client, entry, signal);
      } catch (error) {
        lastFailure = loginRequiredFor(error, required) ?? error;
        // As botocore does: a token that still works is used while the refresh keeps failing.
        if (judgement.usable && !signal?.aborted) return entry;
        throw lastFailure;
      }
      lastFailure = undefined;
      // The refresh succeeded: AWS may have rotated the refresh token, so the new entry is never dropped, saved or not.
      await save(next, entry, 'refreshed', true, signal);
      return next;
    }, signal);

  const obtain = async ({ signal, rejected }: AwsAccessTokenRequest): Promise<SsoTokenCacheEntry> => {
    if (signal?.aborted) throw new PollCancelledError(signal.reason);
    const entry = await readCurrent();
    if (!entry) throw required('no-token');
    const judgement = judge(entry, rejected);
    if (judgement.fresh) return entry;
    if (judgement.blocker) {
      if (judgement.usable) return entry;
      throw required(judgement.blocker);
    }
    if (lastTryAt !== undefined && client.clock.now() - lastTryAt < intervalMs) {
      if (judgement.usable || lastFailure === undefined) return entry;
      throw lastFailure;
    }
    return refreshUnderLock(entry, rejected, signal);
  };

  const getToken = (request: AwsAccessTokenRequest = {}): Promise<SsoTokenCacheEntry> => {
    const run = queue.then(() => obtain(request)).catch(async (error: unknown) => {
      if (!(error instanceof LoginRequiredError) || !onLoginRequired) throw error;
      const entry = await onLoginRequired(error);
      if (!isEntry(entry)) throw new ConfigurationError('onLoginRequired', 'expected it to resolve with a cache entry (startUrl, region, accessToken, expiresAt)');
      await save(entry, await storage.read().catch(() => undefined), 'login', false, request.signal);
      lastTryAt = undefined;
      lastFailure = undefined;
      return entry;
    });
    queue = run.catch(() => undefined);
    return run;
  };

  return Object.freeze({
    startUrl,
    path: storage.path,
    getToken,
    getAccessToken: async (request?: AwsAccessTokenRequest) => (await getToken(request)).accessToken,
  });
}

interface Judgement {
  /** Valid, not refused, and not yet within the refresh window. */
  readonly fresh: boolean;
  /** Valid and not refused (it may be within the window). */
  readonly usable: boolean;
  /** Why it cannot be refreshed, if it cannot. */
  readonly blocker: LoginRequiredReason | undefined;
}

function atLeastZero(value: number | undefined, fallback: number, name: string): number {
  const result = value ?? fallback;
  if (typeof result !== 'number' || !(result >= 0) || !Number.isFinite(result)) throw new ConfigurationError(name, `expected a finite number, 0 or more, got ${String(value)}`);
  return result;
}

