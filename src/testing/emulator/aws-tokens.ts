/** Expired tokens are swept once the map has grown to this many entries, or to twice what the last sweep left. */
const SWEEP_FLOOR = 64;

/**
 * The AWS side's access tokens, which the portal checks. Time is `now`
 * (`performance.now()` by default). Expired tokens are forgotten: one at a
 * time when presented, and all at once in a sweep when issuing has doubled
 * the map since the last sweep, so a long-running emulator holds about twice
 * its live tokens at most (amortised O(1) per token). Refresh tokens live in
 * `EmulatorState`, apart from these, and outlive them.
 * @internal
 */
export class AwsAccessTokens {
  readonly #expiresAt = new Map<string, number>();
  readonly #now: () => number;
  #sweepAtSize = SWEEP_FLOOR;

  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  /** How many tokens are held (live, or expired and not swept yet). */
  get size(): number {
    return this.#expiresAt.size;
  }

  /** Issues an access token that the portal accepts for `ttlMs`. */
  issue(ttlMs: number): string {
    if (this.#expiresAt.size >= this.#sweepAtSize) this.#sweep();
    const token = `aws-at-${crypto.randomUUID()}`;
    this.#expiresAt.set(token, this.#now() + ttlMs);
    return token;
  }

  /** Whether the portal accepts this token: issued here, not expired, not expired on command. An expired one is forgotten. */
  check(token: unknown): boolean {
    if (typeof token !== 'string') return false;
    const expiresAt = this.#expiresAt.get(token);
    if (expiresAt === undefined) return false;
    if (this.#now() < expiresAt) return true;
    this.#expiresAt.delete(token);
    return false;
  }

  /** Forgets one token (a portal Logout): the portal refuses it from then on. */
  revoke(token: string): void {
    this.#expiresAt.delete(token);
  }

  /** Expires every token issued so far. */
  expireAll(): void {
    this.#expiresAt.clear();
  }

  #sweep(): void {
    const now = this.#now();
    for (const [token, expiresAt] of this.#expiresAt) if (now >= expiresAt) this.#expiresAt.delete(token);
    this.#sweepAtSize = Math.max(SWEEP_FLOOR, this.#expiresAt.size * 2);
  }
}
