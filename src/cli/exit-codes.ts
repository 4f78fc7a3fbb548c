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

/** Which outcome an error that ended a command stands for. @internal */
export function outcomeOf(error: unknown): OutcomeName {
  if (error instanceof UsageError || error instanceof ConfigurationError) return 'usage';
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
