import { ErrorCode, TokenPollError, isTokenPollError } from './base.js';

/**
 * A token the server issued (a refreshed token, or a new login's) could not
 * be saved, even after retries, but was still handed to the caller: it is in
 * the call's result, and only the next process will miss it. After a failed
 * refresh save, the store still holds the refresh token that was just spent
 * (AWS rotates them), so the next refresh there will need a new login.
 * `cause` is the last write error; the message names where and why, never a
 * token.
 * @group Errors
 */
export class TokenNotSavedError extends TokenPollError {
  /** Always `'TokenNotSavedError'`. */
  override readonly name = 'TokenNotSavedError';
  /** What was not saved: a refreshed token, or a new login's. */
  readonly kind: 'refreshed' | 'login';
  /** The file it was to be saved to, when the storage is one. */
  readonly path: string | undefined;
  /** How many times saving it was tried. */
  readonly attempts: number;
  constructor(kind: 'refreshed' | 'login', path: string | undefined, attempts: number, cause: unknown) {
    const what = kind === 'refreshed' ? 'the refreshed token' : "the new login's token";
    const where = path === undefined ? 'the token storage' : path;
    const spent = kind === 'refreshed' ? ', and the refresh token kept there was just spent' : '';
    super(
      ErrorCode.TOKEN_NOT_SAVED,
      `${what} could not be saved to ${where} ${attempts === 0 ? 'at all' : `after ${attempts} ${attempts === 1 ? 'try' : 'tries'}`} (${reasonOf(cause)}), so the next run will not find it${spent}: fix the file or its folder (free space, a writable folder, no directory in its place), then log in again`,
      { cause },
    );
    this.kind = kind;
    this.path = path;
    this.attempts = attempts;
  }
  protected override details(): Record<string, unknown> {
    return { kind: this.kind, path: this.path, attempts: this.attempts };
  }
}

/** Why the write failed, without anything a custom storage's message may hold: tokenpoll's own message, or a system error code. */
function reasonOf(cause: unknown): string {
  if (isTokenPollError(cause)) return cause.message;
  const code = typeof cause === 'object' && cause !== null ? (cause as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : 'the storage threw';
}
