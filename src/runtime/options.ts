import type { BackoffStrategy } from '../backoff/types.js';
import type { Classifier } from '../classify/classify.js';
import type { Clock } from '../clock/clock.js';
import { createConfig, type PollConfig } from '../core/config.js';
import type { TokenSet } from '../core/outcome.js';
import { ConfigurationError } from '../errors/failures.js';
import type { TokenTransport } from '../transports/types.js';

/**
 * Options for {@link pollToken}. Only `transport` and `expiresInSeconds` are
 * required; every other member has a documented default.
 * @see {@link https://www.rfc-editor.org/rfc/rfc8628#section-3.2 | RFC 8628 §3.2} (`interval` and `expires_in`)
 * @see {@link https://www.rfc-editor.org/rfc/rfc8628#section-3.5 | RFC 8628 §3.5} (polling)
 * @group Poller
 */
export interface PollTokenOptions<TToken = TokenSet> {
  /** Sends one token request. See {@link TokenTransport}. */
  readonly transport: TokenTransport;
  /**
   * The device authorization answer's `expires_in`, in seconds, as the server
   * sent it (a numeric string is fine). Counted on the monotonic clock from
   * `issuedAt`. 0, negative or unreadable values fall back to 15 minutes with a
   * `warning` event.
   */
  readonly expiresInSeconds: number | string;
  /** The device authorization answer's `interval`, in seconds, as sent. @defaultValue 5 (RFC 8628 §3.2) */
  readonly intervalSeconds?: number | string | undefined;
  /** When the device authorization answer arrived, as `clock.now()`. @defaultValue when polling starts */
  readonly issuedAt?: number | undefined;
  /** Maps the transport's answers to outcomes. @defaultValue {@link classifyTokenResponse} */
  readonly classify?: Classifier<TToken> | undefined;
  /** Time and timers. @defaultValue {@link systemClock} */
  readonly clock?: Clock | undefined;
  /** A source of numbers in [0, 1) for jitter. @defaultValue Math.random */
  readonly random?: (() => number) | undefined;
  /** Cancels the poll when aborted; the result rejects with {@link PollCancelledError}. */
  readonly signal?: AbortSignal | undefined;
  /** The caller's own limit on the whole poll, in ms; the flow then settles `expired` with source `timeout`. @defaultValue none */
  readonly timeoutMs?: number | undefined;
  /** How long one request may take before it is aborted and counted as a timeout; finite, so a hung request cannot outlive the deadline. @defaultValue 30000 */
  readonly requestTimeoutMs?: number | undefined;
  /** Send the first poll at once, or one interval after `issuedAt`. @defaultValue 'after-interval' */
  readonly firstPoll?: 'immediate' | 'after-interval' | undefined;
  /** Count the interval from the previous response, or from the previous request. @defaultValue 'response' */
  readonly intervalFrom?: 'response' | 'request' | undefined;
  /** Ceiling for an `interval` the server sends; larger ones are clamped with a warning. @defaultValue 60000 */
  readonly maxIntervalMs?: number | undefined;
  /** Ceiling for `expires_in`; larger ones are clamped with a warning. @defaultValue 3600000 */
  readonly maxLifetimeMs?: number | undefined;
  /**
   * Backoff for transient faults; the wait is the largest of this, the
   * interval floor and `Retry-After`. After a request timeout the wait at
   * least doubles (RFC 8628 §3.5), up to the strategy's `maxDelayMs` (60 s for
   * a strategy without one) but never below the floor.
   * @defaultValue exponential from 1 s, factor 2, capped at 60 s, full jitter
   */
  readonly backoff?: BackoffStrategy | undefined;
  /** Consecutive transient faults retried before the flow fails. @defaultValue 10 */
  readonly transientRetries?: number | undefined;
  /** Consecutive compliant `slow_down` answers before a `clock-drift-suspected` warning; the first request counts from `issuedAt`. @defaultValue 2 */
  readonly driftThreshold?: number | undefined;
  /**
   * Error codes of your provider's that mean "keep polling" for a while:
   * such an answer is waited out like `authorization_pending` (a `pending`
   * event carrying the `error`), for at most `maxPendingErrors` answers in a
   * row; the next one ends the flow as any other OAuth error does
   * ({@link OAuthError}). `authorization_pending` and `slow_down` reset the
   * count. The RFC 8628 codes (`authorization_pending`, `slow_down`,
   * `access_denied`, `expired_token`) cannot be listed. List only codes your
   * provider documents as transient: GitHub, for one, documents
   * `incorrect_device_code` as "The device_code provided is not valid",
   * which polling on with the same device code cannot mend.
   * @defaultValue none
   */
  readonly pendingErrorCodes?: readonly string[] | undefined;
  /** How many answers in a row with a code from `pendingErrorCodes` are waited out. @defaultValue 3 */
  readonly maxPendingErrors?: number | undefined;
  /** Let the process exit while the poll waits (Node's `unref` on its timer). @defaultValue false */
  readonly unref?: boolean | undefined;
}

/**
 * Checks the caller's options and builds the flow's config.
 * @throws {@link ConfigurationError} for a missing or invalid option.
 * @internal
 */
export function resolveOptions<TToken>(options: PollTokenOptions<TToken>): PollConfig {
  if (typeof options !== 'object' || options === null) throw new ConfigurationError('options', 'expected an options object');
  const { transport } = options;
  if (typeof transport !== 'function' && typeof (transport as { request?: unknown } | undefined)?.request !== 'function') {
    throw new ConfigurationError('transport', 'expected a function or an object with a request() method');
  }
  const operation: unknown = (transport as { operation?: unknown }).operation;
  if (operation !== undefined && typeof operation !== 'string') throw new ConfigurationError('transport', 'its operation, when set, must be a string naming the poll');
  if (options.expiresInSeconds === undefined || options.expiresInSeconds === null || options.expiresInSeconds === '') {
    throw new ConfigurationError('expiresInSeconds', "required: pass the device authorization answer's expires_in (RFC 8628 §3.2 makes it REQUIRED)");
  }
  if (!['number', 'string'].includes(typeof options.expiresInSeconds)) throw new ConfigurationError('expiresInSeconds', 'expected a number of seconds');
  if (options.intervalSeconds !== undefined && !['number', 'string'].includes(typeof options.intervalSeconds)) {
    throw new ConfigurationError('intervalSeconds', 'expected a number of seconds');
  }
  optionalFunction(options, 'classify');
  optionalFunction(options, 'random');
  optionalFunction(options, 'backoff');
  const clock = options.clock;
  if (clock !== undefined && (['now', 'wallNow', 'setTimeout', 'clearTimeout'] as const).some((method) => typeof clock[method] !== 'function')) {
    throw new ConfigurationError('clock', 'expected now(), wallNow(), setTimeout() and clearTimeout()');
  }
  const signal = options.signal;
  if (signal !== undefined && (typeof signal !== 'object' || signal === null || typeof signal.addEventListener !== 'function')) {
    throw new ConfigurationError('signal', 'expected an AbortSignal');
  }
  number(options.issuedAt, 'issuedAt', Number.NEGATIVE_INFINITY);
  number(options.timeoutMs, 'timeoutMs', 0, true);
  number(options.requestTimeoutMs, 'requestTimeoutMs', 1);
  number(options.maxIntervalMs, 'maxIntervalMs', 1);
  number(options.maxLifetimeMs, 'maxLifetimeMs', 1);
  number(options.transientRetries, 'transientRetries', 0, true);
  number(options.driftThreshold, 'driftThreshold', 1, true);
  number(options.maxPendingErrors, 'maxPendingErrors', 0);
  pendingErrorCodes(options.pendingErrorCodes);
  oneOf(options.firstPoll, 'firstPoll', ['immediate', 'after-interval']);
  oneOf(options.intervalFrom, 'intervalFrom', ['response', 'request']);
  return createConfig({
    interval: options.intervalSeconds,
    expiresIn: options.expiresInSeconds,
    issuedAt: options.issuedAt,
    timeoutMs: options.timeoutMs,
    requestTimeoutMs: options.requestTimeoutMs,
    firstPoll: options.firstPoll,
    intervalFrom: options.intervalFrom,
    maxIntervalMs: options.maxIntervalMs,
    maxLifetimeMs: options.maxLifetimeMs,
    backoff: options.backoff,
    transientRetries: options.transientRetries,
    driftThreshold: options.driftThreshold,
    pendingErrorCodes: options.pendingErrorCodes,
    maxPendingErrors: options.maxPendingErrors,
  });
}

function number(value: unknown, name: string, min: number, allowInfinity = false): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || Number.isNaN(value) || value < min || (!allowInfinity && !Number.isFinite(value))) {
    throw new ConfigurationError(name, `expected a number${min > Number.NEGATIVE_INFINITY ? ` of at least ${min}` : ''}, got ${String(value)}`);
  }
}

/** The codes the state machine reads itself, which `pendingErrorCodes` cannot redefine. */
const RFC_8628_CODES: readonly string[] = ['authorization_pending', 'slow_down', 'access_denied', 'expired_token'];

function pendingErrorCodes(value: unknown): void {
  if (value === undefined) return;
  if (!Array.isArray(value)) throw new ConfigurationError('pendingErrorCodes', 'expected an array of error codes');
  for (const code of value as unknown[]) {
    if (typeof code !== 'string' || code === '') throw new ConfigurationError('pendingErrorCodes', 'expected non-empty strings');
    if (RFC_8628_CODES.includes(code)) throw new ConfigurationError('pendingErrorCodes', `${code} is an RFC 8628 code, handled as the RFC says; list only your provider's own codes`);
  }
}

function optionalFunction(options: object, name: string): void {
  const value = (options as Record<string, unknown>)[name];
  if (value !== undefined && typeof value !== 'function') throw new ConfigurationError(name, 'expected a function');
}

function oneOf(value: unknown, name: string, allowed: readonly string[]): void {
  if (value !== undefined && !allowed.includes(value as string)) {
    throw new ConfigurationError(name, `expected one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${String(value)}`);
  }
}
