import { AccessDeniedError, ExpiredTokenError, PollTimeoutError } from '../errors/outcomes.js';
import { ConfigurationError, PollCancelledError } from '../errors/failures.js';

/** The CLI's exit codes, one per outcome. @internal */
export const ExitCode = {
  granted: 0,
  failed: 1,
  usage: 2,
  denied: 3,
  expired: 4,
  interrupted: 130,
} as const;

/** @internal */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** The outcome name an error stands for, as `--json` reports it. @internal */
export type OutcomeName = 'failed' | 'denied' | 'expired' | 'interrupted' | 'usage';

/**
 * Which outcome an error that ended a command stands for. Only a
 * {@link UsageError} is `usage`: a {@link ConfigurationError} that did not
 * come from {@link withFlags} is about what a server or a file said, so it is
 * `failed`.
 * @internal
 */
export function outcomeOf(error: unknown): OutcomeName {
  if (error instanceof UsageError) return 'usage';
  if (error instanceof AccessDeniedError) return 'denied';
  if (error instanceof ExpiredTokenError || error instanceof PollTimeoutError) return 'expired';
  if (error instanceof PollCancelledError) return 'interrupted';
  return 'failed';
}

/**
 * A mistake in how the command was called: exit code 2, and one line that
 * says what is wrong and where the help is.
 * @internal
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * Hands the user's flags to the library (builds a login, a token source, a
 * portal client from them): a {@link ConfigurationError} thrown here is about
 * the user's own input, so it becomes a {@link UsageError} (exit code 2, with
 * the library's error as `cause`). Everywhere else a ConfigurationError comes
 * from what a server or a file said (a metadata endpoint that is not HTTPS,
 * an absurd expiry), and ends the command as a failure (exit code 1).
 * @internal
 */
export function withFlags<T>(build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (error instanceof ConfigurationError) throw new UsageError(error.message, { cause: error });
    throw error;
  }
}
