import { ErrorCode, isTokenPollError, TokenPollError } from '../errors/base.js';

/**
 * The AWS SSO portal operations tokenpoll calls.
 * @group AWS portal
 */
export type AwsSsoPortalOperation = 'ListAccounts' | 'ListAccountRoles' | 'GetRoleCredentials' | 'Logout';

/** What an {@link AwsSsoPortalError} knows about the failed call. @group AWS portal */
export interface AwsSsoPortalErrorDetail {
  /** The exception AWS named, such as `ResourceNotFoundException` (from `x-amzn-ErrorType`, else from the status). */
  readonly exception: string;
  /** The HTTP status. */
  readonly status: number;
  /** The server's `message`, when it sent one (never the request's token). */
  readonly description?: string | undefined;
  /** The account the call was about. */
  readonly accountId?: string | undefined;
  /** The role the call was about. */
  readonly roleName?: string | undefined;
}

const REMEDY: Readonly<Record<string, string>> = {
  ResourceNotFoundException: 'check the account id and role name: the login may not be assigned this role',
  InvalidRequestException: 'the request was refused as invalid: check the account id and role name',
  UnauthorizedException: 'the access token is expired or invalid: log in again',
};

/**
 * The AWS SSO portal (`portal.sso.{region}.amazonaws.com`) answered an error
 * that retrying cannot fix: `ResourceNotFoundException` (404: no such account
 * or role, or not assigned to this login), `InvalidRequestException` (400),
 * or another exception outside the retried ones. `TooManyRequestsException`
 * and 5xx answers are retried instead, and an `UnauthorizedException` that a
 * refresh cannot cure becomes a {@link LoginRequiredError}. Its message names
 * the call, the account and the role, never the access token or credentials.
 * @group AWS portal
 */
export class AwsSsoPortalError extends TokenPollError {
  /** Always `'AwsSsoPortalError'`. */
  override readonly name = 'AwsSsoPortalError';
  /** The call that failed. */
  readonly operation: AwsSsoPortalOperation;
  /** The exception name, such as `ResourceNotFoundException`. */
  readonly exception: string;
  /** The HTTP status. */
  readonly status: number;
  /** The server's message, when it sent one. */
  readonly description: string | undefined;
  /** The account the call was about. */
  readonly accountId: string | undefined;
  /** The role the call was about. */
  readonly roleName: string | undefined;
  constructor(operation: AwsSsoPortalOperation, detail: AwsSsoPortalErrorDetail) {
    const about = [detail.accountId && `account ${detail.accountId}`, detail.roleName && `role ${detail.roleName}`].filter(Boolean).join(', ');
    const remedy = REMEDY[detail.exception];
    const said = detail.description ? `: ${detail.description}` : '';
    super(
      ErrorCode.AWS_PORTAL,
      `${operation}${about ? ` (${about})` : ''} answered ${detail.exception} (HTTP ${detail.status})${said}${remedy ? `; ${remedy}` : ''}`,
    );
    this.operation = operation;
    this.exception = detail.exception;
    this.status = detail.status;
    this.description = detail.description;
    this.accountId = detail.accountId;
    this.roleName = detail.roleName;
  }
  /** @internal */
  protected override details(): Record<string, unknown> {
    return { operation: this.operation, exception: this.exception, status: this.status, accountId: this.accountId, roleName: this.roleName };
  }
}

/**
 * Why a new login is needed:
 * - `no-token`: there is no cached token;
 * - `no-refresh-token`: the token expired and nothing can refresh it (no refresh token or client registration);
 * - `registration-expired`: the client registration's `registrationExpiresAt` has passed;
 * - `registration-invalid`: CreateToken answered `InvalidClientException` (or `UnauthorizedClientException`);
 * - `refresh-rejected`: CreateToken answered `InvalidGrantException` (the refresh token expired, was revoked or spent);
 * - `token-rejected`: the portal answered `UnauthorizedException`, and a refresh did not cure it.
 * @group AWS token cache
 */
export type LoginRequiredReason = 'no-token' | 'no-refresh-token' | 'registration-expired' | 'registration-invalid' | 'refresh-rejected' | 'token-rejected';

const EXPLANATION: Readonly<Record<LoginRequiredReason, string>> = {
  'no-token': 'there is no cached token',
  'no-refresh-token': 'the token has expired and there is no refresh token to renew it',
  'registration-expired': 'the client registration has expired',
  'registration-invalid': 'the client registration was rejected (InvalidClientException)',
  'refresh-rejected': 'the refresh token was rejected (expired, revoked or already used)',
  'token-rejected': 'the portal rejected the access token (UnauthorizedException), even after a refresh',
};

/**
 * A new login is needed: the token cannot be read, refreshed or used any
 * more (see {@link LoginRequiredReason}). A non-interactive caller should
 * stop and tell the user to log in; an interactive one may start a login
 * (a token source's `onLoginRequired`). Its message never holds a token.
 * @example
 * ```ts
 * import { isLoginRequiredError } from 'tokenpoll';
 * try {
 *   await portal.getRoleCredentials({ accountId, roleName });
 * } catch (error) {
 *   if (isLoginRequiredError(error)) console.error(`${error.message}: run tokenpoll login`);
 *   else throw error;
 * }
 * ```
 * @group AWS token cache
 */
export class LoginRequiredError extends TokenPollError {
  /** Always `'LoginRequiredError'`. */
  override readonly name = 'LoginRequiredError';
  /** Why. */
  readonly reason: LoginRequiredReason;
  /** The start URL to log in to, when known. */
  readonly startUrl: string | undefined;
  constructor(reason: LoginRequiredReason, options: { startUrl?: string | undefined; cause?: unknown } = {}) {
    super(ErrorCode.LOGIN_REQUIRED, `a new login is needed${options.startUrl ? ` for ${options.startUrl}` : ''}: ${EXPLANATION[reason]}`, { cause: options.cause });
    this.reason = reason;
    this.startUrl = options.startUrl;
  }
  /** @internal */
  protected override details(): Record<string, unknown> {
    return { reason: this.reason, startUrl: this.startUrl };
  }
}

/**
 * Whether a value is a {@link LoginRequiredError} (by brand and `code`, so it
 * works across copies of the package).
 * @example
 * ```ts
 * import { isLoginRequiredError } from 'tokenpoll';
 * import { createSsoTokenSource } from 'tokenpoll/node';
 * const source = createSsoTokenSource({ startUrl: 'https://my-org.awsapps.com/start', region: 'eu-west-1' });
 * const accessToken = await source.getAccessToken().catch((error: unknown) => {
 *   if (isLoginRequiredError(error)) console.error(`${error.reason}: run tokenpoll login --aws`);
 *   throw error;
 * });
 * ```
 * @group AWS token cache
 */
export function isLoginRequiredError(value: unknown): value is LoginRequiredError {
  return isTokenPollError(value) && value.code === ErrorCode.LOGIN_REQUIRED;
}
