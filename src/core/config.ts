import { DEFAULT_BACKOFF, type BackoffStrategy } from './backoff-strategy.js';
import { DEFAULT_INTERVAL_MS, parseSeconds } from './interval.js';
import type { WarningCode } from './events.js';

/**
 * The lifetime used when the server's `expires_in` is 0, negative or
 * unreadable: 15 minutes (GitHub's and Entra's value).
 * @group Lifecycle
 */
export const DEFAULT_EXPIRES_IN_MS = 900_000;

/**
 * The settings of one flow, as the state machine reads them. Build one with
 * {@link createConfig}; `pollToken` does that for you.
 * @group Lifecycle
 */
export interface PollConfig {
  /** The starting interval floor, sanitised. */
  readonly intervalMs: number;
  /** The device code's lifetime, sanitised. */
  readonly lifetimeMs: number;
  /** When the device authorization answer arrived (monotonic); `undefined` means at `start`. */
  readonly issuedAt: number | undefined;
  /** The caller's own limit from `start` (`Infinity` for none). */
  readonly timeoutMs: number;
  /** How long one request may take before it counts as a timeout. */
  readonly requestTimeoutMs: number;
  /** Whether the first poll is sent at once or one interval after the device authorization answer. */
  readonly firstPoll: 'immediate' | 'after-interval';
  /** Whether the interval counts from the previous response or the previous request. */
  readonly intervalFrom: 'response' | 'request';
  /** The ceiling for any interval the server sends. */
  readonly maxIntervalMs: number;
  /** The backoff for transient faults. */
  readonly backoff: BackoffStrategy;
  /** Consecutive transient faults retried before the flow fails. */
  readonly transientRetries: number;
  /** Consecutive compliant `slow_down` answers before `clock-drift-suspected`. */
  readonly driftThreshold: number;
  /**
   * Provider error codes waited out like `authorization_pending` (`codes`), and
   * how many such answers in a row (`max`); the next one ends the flow as any
   * OAuth error does. One object, shared by every flow that lists no code.
   */
  readonly pendingErrors: {
    /** The provider's codes that mean "keep polling". */
    readonly codes: ReadonlySet<string>;
    /** How many answers in a row with one of them are waited out. */
    readonly max: number;
  };
  /** Problems found while sanitising, emitted as `warning` events at `start`. */
  readonly warnings: readonly ConfigWarning[];
}

/** A problem found while sanitising the server's numbers. @group Lifecycle */
export interface ConfigWarning {
  /** Which kind of warning it is, as in {@link WarningEvent}. */
  readonly code: WarningCode;
  /** A human-readable description. */
  readonly message: string;
  /** The offending value, as received. */
  readonly value: unknown;
}

/**
 * What {@link createConfig} takes: the server's raw numbers and the caller's
 * settings. Every member but `expiresIn` has a default.
 * @group Lifecycle
 */
export interface ConfigInput {
  /** The server's `interval` in seconds, as sent (number or numeric string). @defaultValue 5 s */
  readonly interval?: unknown;
  /** The server's `expires_in` in seconds, as sent. */
  readonly expiresIn: unknown;
  /** When the device authorization answer arrived on the monotonic clock. @defaultValue the `start` time */
  readonly issuedAt?: number | undefined;
  /** @defaultValue Infinity */
  readonly timeoutMs?: number | undefined;
  /** @defaultValue 30000 */
  readonly requestTimeoutMs?: number | undefined;
  /** @defaultValue 'after-interval' */
  readonly firstPoll?: 'immediate' | 'after-interval' | undefined;
  /** @defaultValue 'response' */
  readonly intervalFrom?: 'response' | 'request' | undefined;
  /** @defaultValue 60000 */
  readonly maxIntervalMs?: number | undefined;
  /** @defaultValue 3600000 (one hour) */
  readonly maxLifetimeMs?: number | undefined;
  /** @defaultValue exponential from 1 s, factor 2, capped at 60 s, full jitter */
  readonly backoff?: BackoffStrategy | undefined;
  /** @defaultValue 10 */
  readonly transientRetries?: number | undefined;
  /** @defaultValue 2 */
  readonly driftThreshold?: number | undefined;
  /** @defaultValue none */
  readonly pendingErrorCodes?: readonly string[] | ReadonlySet<string> | undefined;
  /** @defaultValue 3 */
  readonly maxPendingErrors?: number | undefined;
}

/**
 * Builds a {@link PollConfig}, sanitising the server's `interval` and
 * `expires_in`: numeric strings are read; 0, negative, NaN and unreadable
 * values fall back to the RFC default (5 s) or {@link DEFAULT_EXPIRES_IN_MS};
 * values above the ceilings are clamped. Each such repair is kept as a warning.
 * Pure: it throws nothing and reads no clock.
 * @example
 * ```ts
 * import { createConfig } from 'tokenpoll';
 * const config = createConfig({ interval: '0', expiresIn: 600 });
 * config.intervalMs;      // 5000
 * config.warnings[0].code; // 'interval-invalid'
 * ```
 * @group Lifecycle
 */
export function createConfig(input: ConfigInput): PollConfig {
  const warnings: ConfigWarning[] = [];
  const maxIntervalMs = input.maxIntervalMs ?? 60_000;
  const interval = sanitizeSeconds(input.interval, 'interval', DEFAULT_INTERVAL_MS, maxIntervalMs, warnings, false);
  const lifetime = sanitizeSeconds(input.expiresIn, 'expires-in', DEFAULT_EXPIRES_IN_MS, input.maxLifetimeMs ?? 3_600_000, warnings, true);
  return {
    intervalMs: interval,
    lifetimeMs: lifetime,
    issuedAt: input.issuedAt,
    timeoutMs: input.timeoutMs ?? Number.POSITIVE_INFINITY,
    // A request must time out at some point, or a hung one would hold the flow past its deadline.
    requestTimeoutMs: input.requestTimeoutMs !== undefined && input.requestTimeoutMs > 0 && Number.isFinite(input.requestTimeoutMs) ? input.requestTimeoutMs : 30_000,
    firstPoll: input.firstPoll ?? 'after-interval',
    intervalFrom: input.intervalFrom ?? 'response',
    maxIntervalMs,
    backoff: input.backoff ?? DEFAULT_BACKOFF,
    transientRetries: input.transientRetries ?? 10,
    driftThreshold: input.driftThreshold ?? 2,
    pendingErrors:
      input.pendingErrorCodes === undefined && input.maxPendingErrors === undefined
        ? NO_PENDING_ERRORS
        : Object.freeze({ codes: new Set(input.pendingErrorCodes), max: input.maxPendingErrors ?? DEFAULT_MAX_PENDING_ERRORS }),
    warnings: warnings.length > 0 ? warnings : NO_WARNINGS,
  };
}

const NO_WARNINGS: readonly ConfigWarning[] = Object.freeze([]);
const DEFAULT_MAX_PENDING_ERRORS = 3;
const NO_PENDING_ERRORS: PollConfig['pendingErrors'] = Object.freeze({ codes: new Set<string>(), max: DEFAULT_MAX_PENDING_ERRORS });

/**
 * Reads a server-sent seconds value into milliseconds, with the default and
 * ceiling applied; records a warning for every repair.
 * @internal
 */
export function sanitizeSeconds(
  value: unknown,
  name: 'interval' | 'expires-in',
  defaultMs: number,
  maxMs: number,
  warnings: ConfigWarning[],
  warnWhenMissing: boolean,
): number {
  const parsed = parseSeconds(value);
  if (!parsed.ok) {
    if (parsed.problem === 'invalid' || warnWhenMissing) {
      warnings.push({
        code: `${name}-invalid`,
        message: `${name === 'interval' ? 'interval' : 'expires_in'} ${describe(value)} is not a positive number of seconds; using ${defaultMs / 1000} s`,
        value,
      });
    }
    return defaultMs;
  }
  if (parsed.ms > maxMs) {
    warnings.push({
      code: `${name}-clamped`,
      message: `${name === 'interval' ? 'interval' : 'expires_in'} of ${parsed.ms / 1000} s is above the ceiling; using ${maxMs / 1000} s`,
      value,
    });
    return maxMs;
  }
  return parsed.ms;
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value.slice(0, 32)) : String(value);
}
