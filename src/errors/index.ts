export { ErrorCode, TokenPollError, isTokenPollError } from './base.js';
export { AccessDeniedError, ExpiredTokenError, PollTimeoutError, OAuthError } from './outcomes.js';
export {
  TransientFaultError,
  RetriesExhaustedError,
  RetryAfterTooLongError,
  LostGrantError,
  InvalidResponseError,
  TransportError,
  CallbackError,
  PollCancelledError,
  ConfigurationError,
} from './failures.js';
export { errorFromState } from './from-state.js';
export { SnapshotInvalidError, SnapshotTamperedError, SnapshotExpiredError, SnapshotVersionError, SnapshotUnavailableError } from './snapshot.js';
