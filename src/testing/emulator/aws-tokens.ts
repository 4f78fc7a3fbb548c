/** The AWS side's access tokens, which the portal checks. Time is `performance.now()`. @internal */
export class AwsAccessTokens {
  readonly #expiresAt = new Map<string, number>();

  /** Issues an access token that the portal accepts for `ttlMs`. */
  issue(ttlMs: number): string {
    const token = `aws-at-${crypto.randomUUID()}`;
    this.#expiresAt.set(token, performance.now() + ttlMs);
    return token;
  }

  /** Whether the portal accepts this token: issued here, not expired, not expired on command. */
  check(token: unknown): boolean {
    const expiresAt = typeof token === 'string' ? this.#expiresAt.get(token) : undefined;
    return expiresAt !== undefined && performance.now() < expiresAt;
  }

  /** Expires every token issued so far. */
  expireAll(): void {
    this.#expiresAt.clear();
  }
}
