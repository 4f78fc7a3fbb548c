import { describe, expect } from 'vitest';
import { test } from '@fast-check/vitest';
import fc from 'fast-check';
import { parseRetryAfter } from '../../src/index.js';

describe('parseRetryAfter', () => {
  describe('should read delay-seconds as milliseconds', () => {
    test.each([
      { value: '0', expected: 0 },
      { value: '1', expected: 1000 },
      { value: '120', expected: 120_000 },
      { value: ' 5 ', expected: 5000 },
      { value: '007', expected: 7000 },
    ])('when the header is $value', ({ value, expected }) => {
      // Arrange
      const wallNow = Date.parse('2025-01-15T12:00:00Z');

      // Act
      const result = parseRetryAfter(value, wallNow);

      // Assert
      expect(result).toBe(expected);
    });

    test.prop([fc.nat({ max: 10_000_000 }), fc.integer({ min: 0, max: 4_102_444_800_000 })])(
      'when the header is any non-negative integer, whatever the wall clock',
      (seconds, wallNow) => {
        // Arrange
        const value = String(seconds);

        // Act
        const result = parseRetryAfter(value, wallNow);

        // Assert
        expect(result).toBe(seconds * 1000);
      },
    );
  });

  describe('should read HTTP-dates against the wall clock', () => {
    test('when the date is in the future', () => {
      // Arrange
      const wallNow = Date.parse('Wed, 21 Oct 2015 07:27:00 GMT');

      // Act
      const result = parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', wallNow);

      // Assert
      expect(result).toBe(60_000);
    });

    test('when the date is in the past', () => {
      // Arrange
      const wallNow = Date.parse('Wed, 21 Oct 2015 08:00:00 GMT');

      // Act
      const result = parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', wallNow);

      // Assert
      expect(result).toBe(0);
    });

    test('when the date is exactly now', () => {
      // Arrange
      const wallNow = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');

      // Act
      const result = parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', wallNow);

      // Assert
      expect(result).toBe(0);
    });

    test.each([
      { format: 'IMF-fixdate', value: 'Sun, 06 Nov 1994 08:49:37 GMT' },
      { format: 'obsolete RFC 850', value: 'Sunday, 06-Nov-94 08:49:37 GMT' },
      { format: 'ANSI C asctime', value: 'Sun Nov  6 08:49:37 1994' },
    ])('when the date is in $format format', ({ value }) => {
      // Arrange
      const wallNow = Date.parse('1994-11-06T08:48:37Z');

      // Act
      const result = parseRetryAfter(value, wallNow);

      // Assert
      expect(result).toBe(60_000);
    });

    test.prop([fc.integer({ min: 0, max: 4_000_000_000_000 }), fc.integer({ min: -10_000_000_000, max: 10_000_000_000 })])(
      'when the date is any whole second away from now',
      (wallNowRaw, offsetMs) => {
        // Arrange
        const wallNow = wallNowRaw - (wallNowRaw % 1000);
        const target = wallNow + offsetMs - (offsetMs % 1000);
        const value = new Date(target).toUTCString();

        // Act
        const result = parseRetryAfter(value, wallNow);

        // Assert
        expect(result).toBe(Math.max(0, target - wallNow));
      },
    );
  });

  describe('should return undefined for absent or unreadable values', () => {
    test.each([
      { label: 'null', value: null },
      { label: 'undefined', value: undefined },
      { label: 'an empty string', value: '' },
      { label: 'blanks', value: '   ' },
      { label: 'a word', value: 'soon' },
      { label: 'a fraction', value: '1.5' },
      { label: 'a negative number', value: '-5' },
      { label: 'a signed number', value: '+5' },
      { label: 'a number with a unit', value: '5s' },
      { label: 'a weekday alone', value: 'Tuesday' },
    ])('when the header is $label', ({ value }) => {
      // Arrange
      const wallNow = Date.parse('2025-01-15T12:00:00Z');

      // Act
      const result = parseRetryAfter(value, wallNow);

      // Assert
      expect(result).toBeUndefined();
    });
  });

  describe('should never return a negative or non-finite delay', () => {
    test.prop([fc.string(), fc.integer({ min: 0, max: 4_102_444_800_000 })])('when the header is any string', (value, wallNow) => {
      // Arrange
      const input = value;

      // Act
      const result = parseRetryAfter(input, wallNow);

      // Assert
      if (result !== undefined) {
        expect(Number.isFinite(result)).toBe(true);
        expect(result).toBeGreaterThanOrEqual(0);
      }
    });
  });
});
