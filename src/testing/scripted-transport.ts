import type { Clock } from '../clock/clock.js';
import type { TokenOutcome } from '../core/outcome.js';
import type { TokenRequestContext, TokenRequestFunction } from '../transports/types.js';

/**
 * One scripted answer:
 * - a {@link TokenOutcome}, returned as it is;
 * - `{ reply }`: return this raw value (an `HttpTokenResponse`, an SDK output…);
 * - `{ fail }`: throw this (a network error, an AWS SDK exception…);
 * - `{ hang: true }`: never answer, until the request is aborted.
 *
 * `latencyMs` delays the answer on the transport's clock.
 * @group Testing
 */
export type ScriptStep =
  | TokenOutcome<unknown>
  | {
      /** The raw value to return. */
      readonly reply: unknown;
      /** How long (ms) to wait before answering, on the transport's clock. */
      readonly latencyMs?: number;
    }
  | {
      /** The value to throw (reject with). */
      readonly fail: unknown;
      /** How long (ms) to wait before failing, on the transport's clock. */
      readonly latencyMs?: number;
    }
  | {
      /** Never answer, until the request is aborted. */
      readonly hang: true;
    };

/** One request the scripted transport received. @group Testing */
export interface RecordedRequest {
  /** The request's number from the driver (1 for the first request of the flow). */
  readonly attempt: number;
  /** When it was sent, on the transport's clock. */
  readonly at: number;
  /** The parameters it "sent": the `params` given to {@link scriptedTransport}. */
  readonly params: Readonly<Record<string, string>>;
  /** When its answer was delivered, if it was. */
  answeredAt?: number;
  /** When its signal aborted, if it did. */
  abortedAt?: number;
}

/** Options for {@link scriptedTransport}. @group Testing */
export interface ScriptedTransportOptions {
  /** The clock for timestamps and latency; required for `latencyMs`. */
  readonly clock?: Clock;
  /** The request parameters each request records, such as a `device_code`. */
  readonly params?: Readonly<Record<string, string>>;
  /** What to do once the script runs out: throw a `ScriptExhaustedError`, or repeat the last step. @defaultValue 'throw' */
  readonly whenExhausted?: 'throw' | 'repeat-last';
}

/** A transport that replays a script, with what it saw. @group Testing */
export interface ScriptedTransport extends TokenRequestFunction {
  /** Every request received, in order. */
  readonly requests: readonly RecordedRequest[];
  /** The most requests ever in flight at once (1 for a well-behaved driver). */
  readonly maxConcurrent: number;
  /** Requests in flight now. */
  readonly inFlight: number;
}

/**
 * Thrown by a scripted transport asked for more answers than its script holds.
 * @group Testing
 */
export class ScriptExhaustedError extends Error {
  /** Always `'ScriptExhaustedError'`. */
  override readonly name = 'ScriptExhaustedError';
}

/**
 * A transport that replays a list of answers and faults, and records each
 * request's time and parameters, for tests on the virtual clock.
 *
 * @example
 * ```ts
 * import type { TokenSet } from 'tokenpoll';
 * import { ManualClock, scriptedTransport } from 'tokenpoll/testing';
 * const token: TokenSet = { accessToken: 'at', raw: {} };
 * const clock = new ManualClock();
 * const transport = scriptedTransport(
 *   [{ type: 'authorization_pending' }, { fail: Object.assign(new Error('reset'), { code: 'ECONNRESET' }) }, { type: 'success', token }],
 *   { clock, params: { device_code: 'secret' } },
 * );
 * ```
 * @group Testing
 */
export function scriptedTransport(steps: readonly ScriptStep[], options: ScriptedTransportOptions = {}): ScriptedTransport {
  const requests: RecordedRequest[] = [];
  const params = Object.freeze({ ...options.params });
  let inFlight = 0;
  let maxConcurrent = 0;
  const next = (index: number): ScriptStep | undefined =>
    index < steps.length ? steps[index] : options.whenExhausted === 'repeat-last' ? steps.at(-1) : undefined;

  const transport = ({ signal, attempt }: TokenRequestContext): Promise<unknown> => {
    const record: RecordedRequest = { attempt, at: options.clock?.now() ?? 0, params };
    const step = next(requests.length);
    requests.push(record);
    inFlight++;
    maxConcurrent = Math.max(maxConcurrent, inFlight);
    return new Promise<unknown>((resolve, reject) => {
      let timer: unknown;
      const done = (): void => {
        inFlight--;
        signal.removeEventListener('abort', onAbort);
      };
      const onAbort = (): void => {
        if (timer !== undefined) options.clock?.clearTimeout(timer);
        record.abortedAt = options.clock?.now() ?? 0;
        done();
        reject(signal.reason);
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort);
      if (step === undefined) {
        done();
        return reject(new ScriptExhaustedError(`the script has ${steps.length} steps; request ${requests.length} has none`));
      }
      if ('hang' in step) return;
      const answer = (): void => {
        record.answeredAt = options.clock?.now() ?? 0;
        done();
        if ('fail' in step) reject(step.fail);
        else resolve('reply' in step ? step.reply : step);
      };
      const latencyMs = 'latencyMs' in step ? (step.latencyMs ?? 0) : 0;
      if (latencyMs > 0) {
        if (!options.clock) throw new TypeError('scriptedTransport: latencyMs needs a clock');
        timer = options.clock.setTimeout(answer, latencyMs);
      } else answer();
    });
  };
  return Object.defineProperties(transport, {
    requests: { get: () => requests },
    maxConcurrent: { get: () => maxConcurrent },
    inFlight: { get: () => inFlight },
  }) as ScriptedTransport;
}
