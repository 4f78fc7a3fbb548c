import { ErrorCode, TokenPollError } from '../../errors/base.js';

/** One metadata document tried, and what was wrong with it. @group Errors */
export interface DiscoveryAttempt {
  /** The document's URL. */
  readonly url: string;
  /** What was wrong: an HTTP status, a missing member, a mismatched issuer. */
  readonly problem: string;
}

/**
 * Neither metadata document (RFC 8414, then OpenID Connect Discovery) named a
 * device authorization endpoint and a token endpoint for this issuer. Its code
 * is `ERR_DISCOVERY_FAILED`.
 * @group Errors
 */
export class DiscoveryError extends TokenPollError {
  /** Always `'DiscoveryError'`. */
  override readonly name = 'DiscoveryError';
  /** The issuer asked for. */
  readonly issuer: string;
  /** Each document tried, in order. */
  readonly attempts: readonly DiscoveryAttempt[];
  constructor(issuer: string, attempts: readonly DiscoveryAttempt[]) {
    super(ErrorCode.DISCOVERY_FAILED, `no device authorization endpoint found for ${issuer}: ${attempts.map((a) => `${a.url}: ${a.problem}`).join('; ')}`);
    this.issuer = issuer;
    this.attempts = Object.freeze(attempts.map((a) => Object.freeze({ ...a })));
  }
  protected override details(): Record<string, unknown> {
    return { issuer: this.issuer, attempts: this.attempts };
  }
}
