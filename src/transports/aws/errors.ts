import type { OAuthErrorDetail } from '../../core/outcome.js';
import { OAuthError } from '../../errors/outcomes.js';

/**
 * The AWS SSO OIDC operations tokenpoll calls.
 * @group AWS SSO OIDC
 */
export type AwsSsoOidcOperation = 'RegisterClient' | 'StartDeviceAuthorization' | 'CreateToken';

/**
 * An AWS SSO OIDC call other than the device-code poll answered an error that
 * retrying cannot fix (`InvalidClientException`, `InvalidRequestException`,
 * `UnauthorizedClientException`, `InvalidGrantException` for a spent refresh
 * token…). It is an {@link OAuthError} (same `name`, `code` and `error`
 * detail, with the exception name and AWS's `reason`), and says which call
 * failed. Its message never holds the client secret, device code or tokens.
 * `reregisterClient` is true for `InvalidClientException`.
 * @group Errors
 */
export class AwsSsoOidcError extends OAuthError {
  /** The call that failed. */
  readonly operation: AwsSsoOidcOperation;
  constructor(operation: AwsSsoOidcOperation, error: OAuthErrorDetail) {
    super(error, operation);
    this.operation = operation;
  }
  /** @internal */
  protected override details(): Record<string, unknown> {
    return { ...super.details(), operation: this.operation };
  }
}
