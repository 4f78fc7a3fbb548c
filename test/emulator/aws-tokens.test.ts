import { describe, expect, test } from 'vitest';
import { AwsAccessTokens } from '../../src/testing/emulator/aws-tokens.js';

/** Access tokens on a clock the test moves. */
function tokensAt(): { tokens: AwsAccessTokens; advance: (ms: number) => void } {
  let now = 0;
  return { tokens: new AwsAccessTokens(() => now), advance: (ms) => (now += ms) };
}

describe('emulator AWS access tokens', () => {
  describe('should accept a token until it expires, then forget it', () => {
    test('when an expired token is presented, it is refused and no longer held; a live one stays', async () => {
      const { tokens, advance } = tokensAt();
      const short = tokens.issue(10);
      const long = tokens.issue(1_000);
      expect(tokens.check(short)).toBe(true);
      advance(10);
      expect(tokens.check(short)).toBe(false);
      expect(tokens.size).toBe(1);
      expect(tokens.check(long)).toBe(true);
      expect(tokens.check(undefined)).toBe(false);
    });
  });

  describe('should not grow without bound in a long-running emulator', () => {
    test('when 10 000 short-lived tokens are issued over time and never presented again, at most about twice the live ones are held', async () => {
      const { tokens, advance } = tokensAt();
      let live: string[] = [];
      for (let i = 0; i < 10_000; i += 1) {
        live.push(tokens.issue(50));
        advance(1);
        live = live.slice(-49); // issued within the last 50 ms, so not expired yet
        expect(tokens.size).toBeLessThanOrEqual(2 * 50);
      }
      // The sweep removed only expired tokens: every live one is still accepted.
      for (const token of live) expect(tokens.check(token)).toBe(true);
    });

    test('when the tokens have mixed lifetimes, a sweep keeps the long-lived ones issued before short-lived ones', async () => {
      const { tokens, advance } = tokensAt();
      const keeper = tokens.issue(1_000_000);
      for (let i = 0; i < 500; i += 1) {
        tokens.issue(1);
        advance(2);
      }
      expect(tokens.size).toBeLessThan(100);
      expect(tokens.check(keeper)).toBe(true);
    });
  });
});
