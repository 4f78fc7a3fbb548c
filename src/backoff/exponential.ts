import { nonNegative, withMaxDelay, type BackoffContext, type BackoffStrategy } from './types.js';

/**
 * How to spread retries of many clients apart.
 * - `none`: the bare exponential.
 * - `full`: uniform in [0, exponential]. The default: AWS's simulation of 100
 *   contending clients finished soonest with the fewest calls with it.
 * - `equal`: half the exponential plus a uniform half.
 * - `decorrelated`: uniform in [initial, 3 × previous delay], capped.
 * @group Backoff
 */
export type Jitter = 'none' | 'full' | 'equal' | 'decorrelated';

/** Options for {@link exponentialBackoff}. @group Backoff */
export interface ExponentialBackoffOptions {
  /** The base delay of the first retry. @defaultValue 1000 */
  readonly initialDelayMs?: number;
  /** The growth factor per attempt. @defaultValue 2 */
  readonly factor?: number;
  /** The largest delay. @defaultValue 60000 */
  readonly maxDelayMs?: number;
  /** The jitter. @defaultValue 'full' */
  readonly jitter?: Jitter;
}

/**
 * Exponential backoff with jitter: the exponential is
 * `initialDelayMs × factor^(attempt − 1)`, capped at `maxDelayMs`, then jittered.
 * The strategy carries its `maxDelayMs`.
 *
 * @example
 * Full jitter, replayable with a fixed random value.
 * ```ts
 * import { exponentialBackoff } from 'tokenpoll';
 * const backoff = exponentialBackoff({ initialDelayMs: 100, jitter: 'full' });
 * backoff({ attempt: 4, previousDelayMs: 0, random: 0.5 }); // 400
 * ```
 * @see {@link https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/ | Exponential backoff and jitter}
 * @throws `RangeError` when an option is negative or NaN, or `factor` is below 1.
 * @group Backoff
 */
export function exponentialBackoff(options: ExponentialBackoffOptions = {}): BackoffStrategy {
  const initial = nonNegative('initialDelayMs', options.initialDelayMs ?? 1000);
  const factor = nonNegative('factor', options.factor ?? 2);
  if (factor < 1) throw new RangeError(`factor must be at least 1, got ${factor}`);
  const max = nonNegative('maxDelayMs', options.maxDelayMs ?? 60_000);
  const jitter = options.jitter ?? 'full';
  // initial × factor^n overflows to Infinity for large n; 0 × Infinity would be NaN, so 0 stays 0.
  const exponential = (attempt: number): number =>
    initial === 0 ? 0 : Math.min(max, initial * factor ** Math.max(0, attempt - 1));
  return withMaxDelay(jittered(jitter, initial, max, exponential), max);
}

function jittered(jitter: Jitter, initial: number, max: number, exponential: (attempt: number) => number): (context: BackoffContext) => number {
  switch (jitter) {
    case 'none':
      return ({ attempt }) => exponential(attempt);
    case 'full':
      return ({ attempt, random }) => random * exponential(attempt);
    case 'equal':
      return ({ attempt, random }) => {
        const half = exponential(attempt) / 2;
        return half + random * half;
      };
    case 'decorrelated':
      return ({ previousDelayMs, random }) => {
        const upper = Math.max(initial, previousDelayMs * 3);
        return Math.min(max, initial + random * (upper - initial));
      };
    default: {
      const unknown: never = jitter;
      throw new RangeError(`unknown jitter ${String(unknown)}`);
    }
  }
}
