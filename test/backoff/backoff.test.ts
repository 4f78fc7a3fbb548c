import { describe, expect } from 'vitest';
import { test } from '@fast-check/vitest';
import fc from 'fast-check';
import {
  deviceFlowBackoff,
  DEFAULT_INTERVAL_MS,
  SLOW_DOWN_INCREMENT_MS,
  capBackoff,
  constantBackoff,
  exponentialBackoff,
  linearBackoff,
  parseSeconds,
  slowDownInterval,
  type BackoffContext,
  type ExponentialBackoffOptions,
  type Jitter,
  type LinearBackoffOptions,
} from '../../src/index.js';

describe('constantBackoff', () => {
  describe('should wait the same delay every time', () => {
    test.each([
      { delayMs: 1000, attempt: 1, previousDelayMs: 0, random: 0 },
      { delayMs: 1000, attempt: 3, previousDelayMs: 1000, random: 0.5 },
      { delayMs: 0, attempt: 7, previousDelayMs: 0, random: 0.99 },
      { delayMs: 250, attempt: 100, previousDelayMs: 99_999, random: 0.25 },
    ])('when the delay is $delayMs and the attempt is $attempt', ({ delayMs, attempt, previousDelayMs, random }) => {
      // Arrange
      const backoff = constantBackoff(delayMs);

      // Act
      const result = backoff({ attempt, previousDelayMs, random });

      // Assert
      expect(result).toBe(delayMs);
    });

    test.prop([fc.nat({ max: 3_600_000 }), contextArbitrary()])('when the context is anything', (delayMs, context) => {
      // Arrange
      const backoff = constantBackoff(delayMs);

      // Act
      const result = backoff(context);

      // Assert
      expect(result).toBe(delayMs);
    });
  });

  describe('should throw RangeError on an invalid delay', () => {
    test.each([-1, -0.5, Number.NaN, Number.NEGATIVE_INFINITY])('when the delay is %s', (delayMs) => {
      // Arrange
      const build = (): unknown => constantBackoff(delayMs);

      // Act + Assert
      expect(build).toThrow(RangeError);
      expect(build).toThrow(/delayMs must be a non-negative number/);
    });
  });
});

describe('linearBackoff', () => {
  describe('should grow by a fixed step, capped', () => {
    test.each([
      { options: {}, attempt: 1, expected: 1000 },
      { options: {}, attempt: 2, expected: 2000 },
      { options: {}, attempt: 60, expected: 60_000 },
      { options: {}, attempt: 61, expected: 60_000 },
      { options: {}, attempt: 0, expected: 1000 },
      { options: { initialDelayMs: 1000, incrementMs: 500 }, attempt: 3, expected: 2000 },
      { options: { initialDelayMs: 0, incrementMs: 250 }, attempt: 5, expected: 1000 },
      { options: { initialDelayMs: 2000, incrementMs: 0 }, attempt: 9, expected: 2000 },
      { options: { initialDelayMs: 1000, incrementMs: 1000, maxDelayMs: 2500 }, attempt: 3, expected: 2500 },
      { options: { initialDelayMs: 5000, maxDelayMs: 3000 }, attempt: 1, expected: 3000 },
    ] satisfies ReadonlyArray<{ options: LinearBackoffOptions; attempt: number; expected: number }>)(
      'when the options are $options and the attempt is $attempt',
      ({ options, attempt, expected }) => {
        // Arrange
        const backoff = linearBackoff(options);

        // Act
        const result = backoff({ attempt, previousDelayMs: 0, random: 0.5 });

        // Assert
        expect(result).toBe(expected);
      },
    );

    test.prop([linearOptionsArbitrary(), contextArbitrary()])('when the options and context are anything valid', (options, context) => {
      // Arrange
      const backoff = linearBackoff(options);
      const max = options.maxDelayMs ?? 60_000;

      // Act
      const result = backoff(context);

      // Assert
      expect(result).toBeGreaterThanOrEqual(0);
      expect(result).toBeLessThanOrEqual(max);
      expect(result).toBe(Math.min(max, (options.initialDelayMs ?? 1000) + Math.max(0, context.attempt - 1) * (options.incrementMs ?? 1000)));
    });

    test.prop([linearOptionsArbitrary(), fc.integer({ min: 1, max: 1000 }), fc.nat({ max: 1000 })])(
      'when the attempt grows, the delay never shrinks',
      (options, attempt, more) => {
        // Arrange
        const backoff = linearBackoff(options);

        // Act
        const earlier = backoff({ attempt, previousDelayMs: 0, random: 0 });
        const later = backoff({ attempt: attempt + more, previousDelayMs: 0, random: 0 });

        // Assert
        expect(later).toBeGreaterThanOrEqual(earlier);
      },
    );
  });

  describe('should throw RangeError on invalid options', () => {
    test.each([
      { options: { initialDelayMs: -1 }, name: 'initialDelayMs' },
      { options: { initialDelayMs: Number.NaN }, name: 'initialDelayMs' },
      { options: { incrementMs: -1 }, name: 'incrementMs' },
      { options: { incrementMs: Number.NaN }, name: 'incrementMs' },
      { options: { maxDelayMs: -1 }, name: 'maxDelayMs' },
      { options: { maxDelayMs: Number.NaN }, name: 'maxDelayMs' },
    ] satisfies ReadonlyArray<{ options: LinearBackoffOptions; name: string }>)('when $name is invalid ($options)', ({ options, name }) => {
      // Arrange
      const build = (): unknown => linearBackoff(options);

      // Act + Assert
      expect(build).toThrow(RangeError);
      expect(build).toThrow(`${name} must be a non-negative number`);
    });
  });
});

describe('exponentialBackoff', () => {
  describe('should compute the bare exponential without jitter', () => {
    test.each([
      { attempt: 0, expected: 1000 },
      { attempt: 1, expected: 1000 },
      { attempt: 2, expected: 2000 },
      { attempt: 3, expected: 4000 },
      { attempt: 6, expected: 32_000 },
      { attempt: 7, expected: 60_000 },
      { attempt: 50, expected: 60_000 },
      { attempt: 5000, expected: 60_000 },
    ])('when the defaults apply and the attempt is $attempt', ({ attempt, expected }) => {
      // Arrange
      const backoff = exponentialBackoff({ jitter: 'none' });

      // Act
      const result = backoff({ attempt, previousDelayMs: 0, random: 0.5 });

      // Assert
      expect(result).toBe(expected);
    });

    test.each([
      { options: { initialDelayMs: 100, factor: 3, maxDelayMs: 10_000 }, attempt: 3, expected: 900 },
      { options: { initialDelayMs: 100, factor: 3, maxDelayMs: 10_000 }, attempt: 6, expected: 10_000 },
      { options: { initialDelayMs: 500, factor: 1 }, attempt: 10, expected: 500 },
      { options: { initialDelayMs: 50, factor: 1.5, maxDelayMs: 1000 }, attempt: 3, expected: 112.5 },
      { options: { initialDelayMs: 0 }, attempt: 4, expected: 0 },
      { options: { initialDelayMs: 1000, maxDelayMs: 0 }, attempt: 1, expected: 0 },
    ] satisfies ReadonlyArray<{ options: ExponentialBackoffOptions; attempt: number; expected: number }>)(
      'when the options are $options and the attempt is $attempt',
      ({ options, attempt, expected }) => {
        // Arrange
        const backoff = exponentialBackoff({ ...options, jitter: 'none' });

        // Act
        const result = backoff({ attempt, previousDelayMs: 0, random: 0.5 });

        // Assert
        expect(result).toBe(expected);
      },
    );

    test('when the initial delay is 0 and the exponential overflows to Infinity', () => {
      // Arrange
      const backoff = exponentialBackoff({ initialDelayMs: 0, factor: 10, jitter: 'none' });

      // Act
      const result = backoff({ attempt: 400, previousDelayMs: 0, random: 0.5 });

      // Assert
      expect(result).toBe(0);
    });
  });

  describe('should spread full jitter uniformly over [0, exponential]', () => {
    test.each([
      { random: 0, expected: 0 },
      { random: 0.5, expected: 400 },
      { random: 0.25, expected: 200 },
      { random: 0.999, expected: 799.2 },
    ])('when attempt 4 of a 100 ms base draws $random', ({ random, expected }) => {
      // Arrange
      const backoff = exponentialBackoff({ initialDelayMs: 100, jitter: 'full' });

      // Act
      const result = backoff({ attempt: 4, previousDelayMs: 0, random });

      // Assert
      expect(result).toBeCloseTo(expected, 9);
    });

    test('when no jitter is given, full jitter is the default', () => {
      // Arrange
      const backoff = exponentialBackoff({ initialDelayMs: 100 });

      // Act
      const result = backoff({ attempt: 4, previousDelayMs: 0, random: 0.5 });

      // Assert
      expect(result).toBe(400);
    });

    test('when no options are given at all', () => {
      // Arrange
      const backoff = exponentialBackoff();

      // Act
      const result = backoff({ attempt: 10, previousDelayMs: 0, random: 0.5 });

      // Assert
      expect(result).toBe(30_000);
    });
  });

  describe('should put equal jitter in [exponential / 2, exponential]', () => {
    test.each([
      { random: 0, expected: 2000 },
      { random: 0.5, expected: 3000 },
      { random: 0.75, expected: 3500 },
    ])('when attempt 3 of the default base draws $random', ({ random, expected }) => {
      // Arrange
      const backoff = exponentialBackoff({ jitter: 'equal' });

      // Act
      const result = backoff({ attempt: 3, previousDelayMs: 0, random });

      // Assert
      expect(result).toBe(expected);
    });
  });

  describe('should put decorrelated jitter in [initial, 3 × previous], capped', () => {
    test.each([
      { previousDelayMs: 0, random: 0.5, expected: 1000 },
      { previousDelayMs: 0, random: 0.99, expected: 1000 },
      { previousDelayMs: 200, random: 0.7, expected: 1000 },
      { previousDelayMs: 1000, random: 0, expected: 1000 },
      { previousDelayMs: 1000, random: 0.5, expected: 2000 },
      { previousDelayMs: 2000, random: 0.5, expected: 3500 },
      { previousDelayMs: 50_000, random: 0.5, expected: 60_000 },
    ])('when the previous delay is $previousDelayMs and the draw is $random', ({ previousDelayMs, random, expected }) => {
      // Arrange
      const backoff = exponentialBackoff({ jitter: 'decorrelated' });

      // Act
      const result = backoff({ attempt: 5, previousDelayMs, random });

      // Assert
      expect(result).toBe(expected);
    });

    test('when the attempt changes, only the previous delay matters', () => {
      // Arrange
      const backoff = exponentialBackoff({ jitter: 'decorrelated' });

      // Act
      const first = backoff({ attempt: 1, previousDelayMs: 3000, random: 0.4 });
      const later = backoff({ attempt: 40, previousDelayMs: 3000, random: 0.4 });

      // Assert
      expect(first).toBe(4200);
      expect(later).toBe(4200);
    });
  });

  describe('should stay within the bounds of its jitter', () => {
    test.prop([exponentialOptionsArbitrary(), contextArbitrary()])('when there is no jitter, the delay is in [0, max]', (options, context) => {
      // Arrange
      const backoff = exponentialBackoff({ ...options, jitter: 'none' });

      // Act
      const result = backoff(context);

      // Assert
      expect(result).toBeGreaterThanOrEqual(0);
      expect(result).toBeLessThanOrEqual(options.maxDelayMs);
      expect(result).toBe(exponential(options, context.attempt));
    });

    test.prop([exponentialOptionsArbitrary(), contextArbitrary()])('when the jitter is full, the delay is in [0, exponential]', (options, context) => {
      // Arrange
      const backoff = exponentialBackoff({ ...options, jitter: 'full' });
      const upper = exponential(options, context.attempt);

      // Act
      const result = backoff(context);

      // Assert
      expect(result).toBeGreaterThanOrEqual(0);
      expect(result).toBeLessThanOrEqual(upper);
      expect(result).toBeLessThanOrEqual(options.maxDelayMs);
    });

    test.prop([exponentialOptionsArbitrary(), contextArbitrary()])(
      'when the jitter is equal, the delay is in [exponential / 2, exponential]',
      (options, context) => {
        // Arrange
        const backoff = exponentialBackoff({ ...options, jitter: 'equal' });
        const upper = exponential(options, context.attempt);

        // Act
        const result = backoff(context);

        // Assert
        expect(result).toBeGreaterThanOrEqual(upper / 2);
        expect(result).toBeLessThanOrEqual(upper);
        expect(result).toBeLessThanOrEqual(options.maxDelayMs);
      },
    );

    test.prop([exponentialOptionsArbitrary(), contextArbitrary()])(
      'when the jitter is decorrelated and the previous delay is at least the initial one, the delay is in [initial, min(max, 3 × previous)]',
      (options, context) => {
        // Arrange
        const previousDelayMs = options.initialDelayMs + context.previousDelayMs;
        const backoff = exponentialBackoff({ ...options, jitter: 'decorrelated' });

        // Act
        const result = backoff({ ...context, previousDelayMs });

        // Assert
        expect(result).toBeGreaterThanOrEqual(options.initialDelayMs);
        expect(result).toBeLessThanOrEqual(Math.min(options.maxDelayMs, 3 * previousDelayMs));
      },
    );

    test.prop([exponentialOptionsArbitrary(), contextArbitrary()])(
      'when the jitter is decorrelated and the previous delay is anything, the delay is in [initial, max]',
      (options, context) => {
        // Arrange
        const backoff = exponentialBackoff({ ...options, jitter: 'decorrelated' });

        // Act
        const result = backoff(context);

        // Assert
        expect(result).toBeGreaterThanOrEqual(options.initialDelayMs);
        expect(result).toBeLessThanOrEqual(options.maxDelayMs);
      },
    );

    test.prop([
      // An initial delay of 0 with an overflowing exponential has its own example test above.
      fc.record({
        initialDelayMs: fc.integer({ min: 1, max: 10_000 }),
        factor: fc.double({ min: 1, max: 10, noNaN: true }),
        maxDelayMs: fc.nat({ max: 3_600_000 }),
      }),
      jitterArbitrary(),
      fc.record({ attempt: fc.integer({ min: 0, max: 5000 }), previousDelayMs: fc.nat({ max: 10_000_000 }), random: randomArbitrary() }),
    ])('when the attempt is very large or the cap is below the initial delay, the delay is finite and in [0, max]', (options, jitter, context) => {
      // Arrange
      const backoff = exponentialBackoff({ ...options, jitter });

      // Act
      const result = backoff(context);

      // Assert
      expect(Number.isFinite(result)).toBe(true);
      expect(result).toBeGreaterThanOrEqual(0);
      expect(result).toBeLessThanOrEqual(options.maxDelayMs);
    });
  });

  describe('should be deterministic for the same context', () => {
    test.prop([exponentialOptionsArbitrary(), jitterArbitrary(), contextArbitrary()])('when called twice with the same context', (options, jitter, context) => {
      // Arrange
      const first = exponentialBackoff({ ...options, jitter });
      const second = exponentialBackoff({ ...options, jitter });

      // Act
      const a = first(context);
      const b = first({ ...context });
      const c = second(context);

      // Assert
      expect(b).toBe(a);
      expect(c).toBe(a);
    });
  });

  describe('should throw RangeError on invalid options', () => {
    test.each([
      { options: { initialDelayMs: -1 }, message: 'initialDelayMs must be a non-negative number, got -1' },
      { options: { initialDelayMs: Number.NaN }, message: 'initialDelayMs must be a non-negative number, got NaN' },
      { options: { factor: -2 }, message: 'factor must be a non-negative number, got -2' },
      { options: { factor: Number.NaN }, message: 'factor must be a non-negative number, got NaN' },
      { options: { factor: 0.5 }, message: 'factor must be at least 1, got 0.5' },
      { options: { factor: 0 }, message: 'factor must be at least 1, got 0' },
      { options: { maxDelayMs: -100 }, message: 'maxDelayMs must be a non-negative number, got -100' },
      { options: { maxDelayMs: Number.NaN }, message: 'maxDelayMs must be a non-negative number, got NaN' },
      { options: { jitter: 'random' as Jitter }, message: 'unknown jitter random' },
    ] satisfies ReadonlyArray<{ options: ExponentialBackoffOptions; message: string }>)('when the options are $options', ({ options, message }) => {
      // Arrange
      const build = (): unknown => exponentialBackoff(options);

      // Act + Assert
      expect(build).toThrow(RangeError);
      expect(build).toThrow(message);
    });
  });
});

describe('capBackoff', () => {
  describe('should cap any strategy', () => {
    test.each([
      { attempt: 1, expected: 1000 },
      { attempt: 2, expected: 11_000 },
      { attempt: 3, expected: 15_000 },
      { attempt: 10, expected: 15_000 },
    ])('when a 10 s linear step is capped at 15 s and the attempt is $attempt', ({ attempt, expected }) => {
      // Arrange
      const capped = capBackoff(linearBackoff({ incrementMs: 10_000, maxDelayMs: 1_000_000 }), 15_000);

      // Act
      const result = capped({ attempt, previousDelayMs: 0, random: 0 });

      // Assert
      expect(result).toBe(expected);
    });

    test('when the cap is 0', () => {
      // Arrange
      const capped = capBackoff(constantBackoff(5000), 0);

      // Act
      const result = capped({ attempt: 1, previousDelayMs: 0, random: 0.5 });

      // Assert
      expect(result).toBe(0);
    });

    test('when the inner strategy is a custom function, it gets the same context', () => {
      // Arrange
      const seen: BackoffContext[] = [];
      const capped = capBackoff((context) => {
        seen.push(context);
        return 99_000;
      }, 20_000);
      const context: BackoffContext = { attempt: 4, previousDelayMs: 1234, random: 0.3 };

      // Act
      const result = capped(context);

      // Assert
      expect(result).toBe(20_000);
      expect(seen).toEqual([context]);
    });

    test.prop([fc.nat({ max: 10_000_000 }), fc.nat({ max: 10_000_000 }), contextArbitrary()])(
      'when any constant is capped, the result is the smaller of the two',
      (delayMs, maxDelayMs, context) => {
        // Arrange
        const capped = capBackoff(constantBackoff(delayMs), maxDelayMs);

        // Act
        const result = capped(context);

        // Assert
        expect(result).toBe(Math.min(delayMs, maxDelayMs));
      },
    );
  });

  describe('should throw RangeError on an invalid cap', () => {
    test.each([-1, Number.NaN])('when the cap is %s', (maxDelayMs) => {
      // Arrange
      const build = (): unknown => capBackoff(constantBackoff(1000), maxDelayMs);

      // Act + Assert
      expect(build).toThrow(RangeError);
      expect(build).toThrow('maxDelayMs must be a non-negative number');
    });
  });
});

describe('slowDownInterval', () => {
  describe('should add 5 s or adopt a larger server interval', () => {
    test.each([
      { currentMs: 5000, serverIntervalMs: undefined, expected: 10_000 },
      { currentMs: 5000, serverIntervalMs: 30_000, expected: 30_000 },
      { currentMs: 20_000, serverIntervalMs: 1000, expected: 25_000 },
      { currentMs: 5000, serverIntervalMs: 10_000, expected: 10_000 },
      { currentMs: 5000, serverIntervalMs: 10_001, expected: 10_001 },
      { currentMs: 0, serverIntervalMs: undefined, expected: 5000 },
      { currentMs: 1000, serverIntervalMs: 0, expected: 6000 },
      { currentMs: 1000, serverIntervalMs: Number.NaN, expected: 6000 },
    ])('when the interval is $currentMs and the server sends $serverIntervalMs', ({ currentMs, serverIntervalMs, expected }) => {
      // Arrange
      const current = currentMs;

      // Act
      const result = serverIntervalMs === undefined ? slowDownInterval(current) : slowDownInterval(current, serverIntervalMs);

      // Assert
      expect(result).toBe(expected);
    });

    test('when the constants are read', () => {
      // Arrange
      const constants = { DEFAULT_INTERVAL_MS, SLOW_DOWN_INCREMENT_MS };

      // Act
      const values = { ...constants };

      // Assert
      expect(values).toEqual({ DEFAULT_INTERVAL_MS: 5000, SLOW_DOWN_INCREMENT_MS: 5000 });
    });
  });

  describe('should never lower the interval and always add at least 5 s', () => {
    test.prop([fc.nat({ max: 1_000_000_000 }), fc.option(fc.nat({ max: 2_000_000_000 }), { nil: undefined })])(
      'when the interval and the server interval are anything',
      (currentMs, serverIntervalMs) => {
        // Arrange
        const current = currentMs;

        // Act
        const result = slowDownInterval(current, serverIntervalMs);

        // Assert
        expect(result - current).toBeGreaterThanOrEqual(SLOW_DOWN_INCREMENT_MS);
        if (serverIntervalMs !== undefined) expect(result).toBeGreaterThanOrEqual(serverIntervalMs);
        expect(result).toBe(Math.max(current + SLOW_DOWN_INCREMENT_MS, serverIntervalMs ?? 0));
      },
    );

    test.prop([fc.nat({ max: 60_000 }), fc.array(fc.option(fc.nat({ max: 120_000 }), { nil: undefined }), { maxLength: 20 })])(
      'when slow_down repeats, the interval grows by at least 5 s each time',
      (startMs, serverIntervals) => {
        // Arrange
        let interval = startMs;

        // Act
        const steps = serverIntervals.map((server) => {
          const next = slowDownInterval(interval, server);
          const step = next - interval;
          interval = next;
          return step;
        });

        // Assert
        for (const step of steps) expect(step).toBeGreaterThanOrEqual(5000);
        expect(interval).toBeGreaterThanOrEqual(startMs + 5000 * serverIntervals.length);
      },
    );
  });
});

describe('parseSeconds', () => {
  describe('should accept positive numbers and numeric strings', () => {
    test.each([
      { value: 5, ms: 5000 },
      { value: '5', ms: 5000 },
      { value: ' 5 ', ms: 5000 },
      { value: '+5', ms: 5000 },
      { value: '1.5', ms: 1500 },
      { value: 0.25, ms: 250 },
      { value: '600', ms: 600_000 },
      { value: 1.0004, ms: 1000 },
      { value: '0.0015', ms: 2 },
    ])('when the value is $value', ({ value, ms }) => {
      // Arrange
      const input: unknown = value;

      // Act
      const result = parseSeconds(input);

      // Assert
      expect(result).toEqual({ ok: true, ms });
    });

    test.prop([fc.integer({ min: 1, max: 100_000_000 }), fc.boolean()])('when the value is any positive whole number, as a number or a string', (seconds, asString) => {
      // Arrange
      const value: unknown = asString ? String(seconds) : seconds;

      // Act
      const result = parseSeconds(value);

      // Assert
      expect(result).toEqual({ ok: true, ms: seconds * 1000 });
    });
  });

  describe('should report a missing value', () => {
    test.each([undefined, null, ''])('when the value is %j', (value) => {
      // Arrange
      const input: unknown = value;

      // Act
      const result = parseSeconds(input);

      // Assert
      expect(result).toEqual({ ok: false, problem: 'missing' });
    });
  });

  describe('should reject zero, negative, non-finite and non-numeric values', () => {
    test.each([
      { label: '0', value: 0 },
      { label: "'0'", value: '0' },
      { label: '-0', value: -0 },
      { label: '-1', value: -1 },
      { label: "'-5'", value: '-5' },
      { label: 'NaN', value: Number.NaN },
      { label: 'Infinity', value: Number.POSITIVE_INFINITY },
      { label: "'Infinity'", value: 'Infinity' },
      { label: "'soon'", value: 'soon' },
      { label: "'5s'", value: '5s' },
      { label: "'1e3'", value: '1e3' },
      { label: "'0x10'", value: '0x10' },
      { label: "'   '", value: '   ' },
      { label: 'true', value: true },
      { label: 'an array', value: [5] },
      { label: 'an object', value: { seconds: 5 } },
    ])('when the value is $label', ({ value }) => {
      // Arrange
      const input: unknown = value;

      // Act
      const result = parseSeconds(input);

      // Assert
      expect(result).toEqual({ ok: false, problem: 'invalid' });
    });

    test.prop([fc.oneof(fc.double({ max: 0 }), fc.constant(Number.NaN), fc.integer({ max: 0 }).map(String))])(
      'when the value is any non-positive or NaN number',
      (value) => {
        // Arrange
        const input: unknown = value;

        // Act
        const result = parseSeconds(input);

        // Assert
        expect(result).toEqual({ ok: false, problem: 'invalid' });
      },
    );
  });

  describe('should never accept a value as zero milliseconds', () => {
    test.each([0.0001, '0.0004'])('when the value %j is positive but below half a millisecond', (value) => {
      // Arrange
      const input: unknown = value;

      // Act
      const result = parseSeconds(input);

      // Assert
      expect(result).not.toEqual({ ok: true, ms: 0 });
    });

    test.prop([fc.oneof(fc.anything(), fc.double(), fc.double().map(String))])('when the value is anything, numbers and numeric strings included', (value) => {
      // Arrange
      const input: unknown = value;

      // Act
      const result = parseSeconds(input);

      // Assert
      expect(result.ok ? result.ms > 0 && Number.isFinite(result.ms) : ['missing', 'invalid'].includes(result.problem)).toBe(true);
    });
  });
});

// Helpers

interface ExponentialOptions {
  readonly initialDelayMs: number;
  readonly factor: number;
  readonly maxDelayMs: number;
}

function randomArbitrary(): fc.Arbitrary<number> {
  return fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
}

function contextArbitrary(): fc.Arbitrary<BackoffContext> {
  return fc.record({ attempt: fc.integer({ min: 1, max: 60 }), previousDelayMs: fc.nat({ max: 600_000 }), random: randomArbitrary() });
}

function jitterArbitrary(): fc.Arbitrary<Jitter> {
  return fc.constantFrom('none', 'full', 'equal', 'decorrelated');
}

/** Options with initial ≤ max, so every jitter's lower bound is reachable. */
function exponentialOptionsArbitrary(): fc.Arbitrary<ExponentialOptions> {
  return fc
    .record({
      initialDelayMs: fc.nat({ max: 60_000 }),
      factor: fc.double({ min: 1, max: 4, noNaN: true }),
      extraMs: fc.nat({ max: 600_000 }),
    })
    .map(({ initialDelayMs, factor, extraMs }) => ({ initialDelayMs, factor, maxDelayMs: initialDelayMs + extraMs }));
}

function linearOptionsArbitrary(): fc.Arbitrary<LinearBackoffOptions> {
  return fc.record(
    { initialDelayMs: fc.nat({ max: 60_000 }), incrementMs: fc.nat({ max: 60_000 }), maxDelayMs: fc.nat({ max: 600_000 }) },
    { requiredKeys: [] },
  );
}

/** The capped exponential the strategies jitter: initial × factor^(attempt − 1), at most max. */
function exponential(options: ExponentialOptions, attempt: number): number {
  return Math.min(options.maxDelayMs, options.initialDelayMs * options.factor ** Math.max(0, attempt - 1));
}

describe('deviceFlowBackoff', () => {
  describe('should wait the RFC 8628 interval and never less', () => {
    test('when no previous wait is known, it is the interval', () => {
      expect(deviceFlowBackoff(5000)({ attempt: 1, previousDelayMs: 0, random: 0.9 })).toBe(5000);
      expect(deviceFlowBackoff()({ attempt: 1, previousDelayMs: 0, random: 0.1 })).toBe(5000);
    });

    test('when a slow_down raised the previous wait, it keeps the raised floor', () => {
      const backoff = deviceFlowBackoff(5000);
      expect(backoff({ attempt: 2, previousDelayMs: slowDownInterval(5000), random: 0 })).toBe(10_000);
    });

    test('when the interval is not positive, it throws', () => {
      expect(() => deviceFlowBackoff(0)).toThrow(RangeError);
      expect(() => deviceFlowBackoff(Number.NaN)).toThrow(RangeError);
    });
  });
});
