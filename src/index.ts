/**
 * tokenpoll: a resilient polling and retry engine for OAuth device-flow tokens
 * (RFC 8628, AWS IAM Identity Center).
 *
 * The testing kit (virtual clock, scripted transport, simulator) is in
 * `tokenpoll/testing`, kept apart so production bundles leave it out; the
 * fast-check arbitraries are in `tokenpoll/testing/arbitraries` and the
 * emulator (Node) in `tokenpoll/testing/emulator`.
 * @module tokenpoll
 */

// Poller
export type { PollHandle } from './runtime/poller.js';
export type { CancelablePromise } from './runtime/result.js';
export type { PollTokenOptions } from './runtime/options.js';
export type { RetryOptions, RetryAttemptContext, OneShotRetryEvent } from './retry/retry.js';
export { pollToken } from './runtime/poller.js';
export { retry } from './retry/retry.js';

// Flows: a whole device login
export type { DeviceAuthorization, CodeEvent, LoginEvents, LoginState, LoginHandle, DeviceLoginOptions } from './flows/device-login.js';
export { startDeviceLogin } from './flows/device-login.js';
export type { DeviceFlowLoginSettings, DeviceFlowLoginOptions } from './flows/rfc8628-login.js';
export { loginWithDeviceFlow } from './flows/rfc8628-login.js';
export type { AwsSsoLoginOptions, AwsSsoToken } from './flows/aws-login.js';
export { loginWithAwsSso } from './flows/aws-login.js';

// RFC 8628 over HTTP: discovery, device authorization, the token transport, one-call login, refresh
export type {
  IssuerLocation,
  EndpointsLocation,
  ServerLocation,
  ClientAuthenticationMethod,
  ClientOptions,
  HttpOptions,
  OneShotOptions,
  AuthorizationServerMetadata,
  DiscoveryOptions,
  DiscoveryAttempt,
  DeviceAuthorizationRequestOptions,
  TokenTransportOptions,
  TokenTransportFunction,
  TokenEndpointLocation,
  RefreshTokenSettings,
  RefreshTokenOptions,
} from './transports/rfc8628/index.js';
export {
  discover,
  wellKnownUrls,
  DiscoveryError,
  requestDeviceAuthorization,
  deviceAuthorizationFrom,
  tokenTransport,
  DEVICE_CODE_GRANT_TYPE,
  basicAuthorization,
  formUrlEncode,
  refreshToken,
} from './transports/rfc8628/index.js';

// AWS IAM Identity Center (SSO OIDC): RegisterClient + cache, StartDeviceAuthorization, CreateToken, one-call login, refresh, SDK adapter
export type {
  AwsSsoOidcClientOptions,
  AwsRetryOptions,
  AwsSsoOidcOperation,
  AwsClientRegistration,
  AwsRegistrationCache,
  RegisterAwsClientOptions,
  StartAwsDeviceAuthorizationOptions,
  AwsTokenTransportOptions,
  RefreshAwsTokenOptions,
  SsoOidcClientLike,
  AwsSdkCreateTokenInput,
  AwsSdkTokenTransportOptions,
  CreateTokenCommandClass,
} from './transports/aws/index.js';
export {
  assertAwsRegion,
  awsSsoOidcEndpoint,
  AwsSsoOidcError,
  memoryRegistrationCache,
  isRegistrationUsable,
  registrationCacheKey,
  DEFAULT_REGISTRATION_MARGIN_MS,
  registerAwsClient,
  startAwsDeviceAuthorization,
  awsTokenTransport,
  refreshAwsToken,
  awsSdkTokenTransport,
} from './transports/aws/index.js';

// AWS SSO portal: accounts, roles, role credentials, credential_process output; login-required errors
export type {
  AwsSsoPortalOperation,
  AwsSsoPortalErrorDetail,
  LoginRequiredReason,
  AwsAccountInfo,
  AwsRoleInfo,
  AwsAccountWithRoles,
  AwsRoleCredentials,
  AwsRoleSelection,
  AwsSsoPortalCallOptions,
  AwsSsoPortalListOptions,
  AwsRoleCredentialsOptions,
  AwsAccessTokenRequest,
  AwsSsoAccessTokenProvider,
  AwsSsoPortalOptions,
  AwsSsoPortal,
  CredentialProcessOutput,
} from './aws/index.js';
export { AwsSsoPortalError, LoginRequiredError, isLoginRequiredError, awsSsoPortal, awsSsoPortalEndpoint, credentialProcessOutput } from './aws/index.js';

// Lifecycle: the pure state machine
export type {
  PollState,
  PollStatus,
  IdleState,
  ActiveState,
  TerminalState,
  GrantedState,
  DeniedState,
  ExpiredState,
  FailedState,
  CancelledState,
  Failure,
  PollInput,
  PollEffect,
  EmitEffect,
  AbortEffect,
  PollConfig,
  ConfigInput,
  ConfigWarning,
  Transition,
  OutcomeRule,
  SettleRule,
  WaitOutcomeRule,
  WaitRule,
  AnswerFailure,
  AnswerKind,
} from './core/index.js';
export { transition, initialState, createConfig, isTerminal, isActive, DEFAULT_EXPIRES_IN_MS, ABORT_GRACE_MS, OUTCOME_RULES } from './core/index.js';

// Events
export type {
  CoreEvents,
  StateChangeEvent,
  AttemptEvent,
  PendingEvent,
  SlowDownEvent,
  RetryEvent,
  FaultSummary,
  WarningEvent,
  WarningCode,
} from './core/index.js';
export type { PollEvents, PollListener, TerminalEvent, ExpiredEvent, GrantedEvent, TerminalEventName } from './runtime/events.js';
export { summarizeFault } from './core/index.js';

// Transports and classification
export type {
  TokenOutcome,
  TransientOutcome,
  RetryableOutcome,
  SuccessOutcome,
  PendingOutcome,
  SlowDownOutcome,
  AccessDeniedOutcome,
  ExpiredTokenOutcome,
  OAuthErrorOutcome,
  UnreadableSuccessOutcome,
  InvalidResponseOutcome,
  TransportErrorOutcome,
  NetworkErrorOutcome,
  TimeoutOutcome,
  ServerErrorOutcome,
  RateLimitedOutcome,
  OAuthErrorDetail,
  TokenSet,
} from './core/index.js';
export type { TokenTransport, TokenRequestFunction, TokenRequestContext } from './transports/index.js';
export type { HttpRequestOptions } from './transports/index.js';
export { readHttpResponse, httpRequest, assertSecureUrl, ResponseTooLargeError, DEFAULT_MAX_BODY_BYTES } from './transports/index.js';
export type { Classifier, ClassifyContext, TransportAnswer, HttpTokenResponse } from './classify/index.js';
export { isTransientOutcome } from './core/index.js';
export {
  classifyTokenResponse,
  classifyHttpResponse,
  classifyThrown,
  tokenSetFrom,
  MAX_TOKEN_LIFETIME_SECONDS,
  outcomeFromOAuthError,
  parseRetryAfter,
  AWS_SSO_OIDC_EXCEPTIONS,
} from './classify/index.js';

// Backoff
export type { BackoffContext, BackoffStrategy, ExponentialBackoffOptions, Jitter, LinearBackoffOptions, ParsedSeconds } from './backoff/index.js';
export {
  constantBackoff,
  linearBackoff,
  exponentialBackoff,
  capBackoff,
  slowDownInterval,
  deviceFlowBackoff,
  parseSeconds,
  DEFAULT_INTERVAL_MS,
  SLOW_DOWN_INCREMENT_MS,
} from './backoff/index.js';

// Clock
export type { Clock, TimerOptions } from './clock/index.js';
export { systemClock, MAX_TIMER_DELAY_MS } from './clock/index.js';

// Errors
export {
  ErrorCode,
  TokenPollError,
  isTokenPollError,
  AccessDeniedError,
  ExpiredTokenError,
  PollTimeoutError,
  OAuthError,
  TransientFaultError,
  RetriesExhaustedError,
  RetryAfterTooLongError,
  LostGrantError,
  InvalidResponseError,
  TransportError,
  CallbackError,
  PollCancelledError,
  ConfigurationError,
  errorFromState,
  SnapshotInvalidError,
  SnapshotTamperedError,
  SnapshotExpiredError,
  SnapshotVersionError,
  SnapshotUnavailableError,
} from './errors/index.js';

// Snapshots: write a flow down, resume it in another process
export type { PollSnapshot, LoginSnapshot, DeviceAuthorizationRecord, LoginProviderRecord, Snapshot } from './runtime/snapshot.js';
export type { ResumePollOptions } from './runtime/poller.js';
export type { ActiveStateRecord, PollConfigRecord } from './core/index.js';
export { SNAPSHOT_VERSION } from './runtime/snapshot.js';
export { resumePoll } from './runtime/poller.js';
export type { SealedSnapshot, SnapshotKey, SealOptions } from './flows/snapshot-seal.js';
export type { ResumeAwsSsoLoginOptions } from './flows/resume-login.js';
export { resumeLogin } from './flows/resume-login.js';
export { sealSnapshot, openSnapshot } from './flows/snapshot-seal.js';

// Left out on purpose: the driver class (Poller) and the listener wrapper are
// internal; pollToken() and PollHandle are their public face. So are the pure
// snapshot steps (core/resume.ts: recordState, restoreState, resumeTransition),
// which snapshot(), resumePoll() and the fleet runner share.
