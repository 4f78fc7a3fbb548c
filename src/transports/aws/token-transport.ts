import { ConfigurationError } from '../../errors/failures.js';
import { displayUrl } from '../one-shot.js';
import { DEVICE_CODE_GRANT_TYPE, describedTransport } from '../rfc8628/token-transport.js';
import type { TokenTransport } from '../types.js';
import { awsUrl, postAwsJson, resolveAwsClient, type AwsClient, type AwsSsoOidcClientOptions } from './client.js';
import type { AwsClientRegistration } from './registration-cache.js';

/** Options for {@link awsTokenTransport}. @group AWS SSO OIDC */
export interface AwsTokenTransportOptions extends Omit<AwsSsoOidcClientOptions, 'retry'> {
  /** The registered client the device code was issued to. */
  readonly registration: Pick<AwsClientRegistration, 'clientId' | 'clientSecret'>;
  /** The device code from StartDeviceAuthorization (a secret). */
  readonly deviceCode: string;
}

/**
 * The device-code poll of AWS SSO OIDC (`CreateToken`, `POST /token` with
 * `grantType: 'urn:ietf:params:oauth:grant-type:device_code'`), as a
 * {@link TokenTransport} for {@link pollToken}. Each call sends one JSON
 * request and hands back the raw answer; the default classifier reads AWS's
 * `x-amzn-ErrorType` header and `{error, error_description}` body
 * (`AuthorizationPendingException`, `SlowDownException`,
 * `AccessDeniedException` with its `reason`, …). It does not retry: the
 * poller owns retry policy. `requestTimeoutMs` bounds each request; the
 * poller's own `requestTimeoutMs` aborts it through the signal too. Its
 * `operation` (`'polling at https://oidc.eu-west-1.amazonaws.com/token'`)
 * names the step and the endpoint in the errors the poll ends with.
 *
 * @example
 * ```ts
 * import { awsTokenTransport, pollToken, registerAwsClient, startAwsDeviceAuthorization } from 'tokenpoll';
 * const registration = await registerAwsClient({ region: 'eu-west-1', clientName: 'my-cli' });
 * const authorization = await startAwsDeviceAuthorization({ region: 'eu-west-1', registration, startUrl });
 * const poll = pollToken({
 *   transport: awsTokenTransport({ region: 'eu-west-1', registration, deviceCode: authorization.deviceCode }),
 *   intervalSeconds: authorization.intervalSeconds,
 *   expiresInSeconds: authorization.expiresInSeconds,
 *   issuedAt: authorization.issuedAt,
 * });
 * ```
 * @throws {@link ConfigurationError} for a bad region, endpoint, registration or device code.
 * @see {@link https://docs.aws.amazon.com/singlesignon/latest/OIDCAPIReference/API_CreateToken.html | CreateToken in the IAM Identity Center OIDC API Reference}
 * @see {@link https://www.rfc-editor.org/rfc/rfc8628#section-3.4 | RFC 8628 §3.4}
 * @group AWS SSO OIDC
 */
export function awsTokenTransport(options: AwsTokenTransportOptions): TokenTransport {
  const client = resolveAwsClient(options);
  if (typeof options.deviceCode !== 'string' || options.deviceCode === '') throw new ConfigurationError('deviceCode', 'expected a non-empty string');
  checkRegistration(options.registration);
  return deviceCodeTransport(client, options.registration, options.deviceCode);
}

/** The transport over an already resolved client. @internal */
export function deviceCodeTransport(client: AwsClient, registration: Pick<AwsClientRegistration, 'clientId' | 'clientSecret'>, deviceCode: string): TokenTransport {
  const body = Object.freeze({ clientId: registration.clientId, clientSecret: registration.clientSecret, grantType: DEVICE_CODE_GRANT_TYPE, deviceCode });
  const url = awsUrl(client, '/token');
  return describedTransport(({ signal }) => postAwsJson(client, url, body, signal), `polling at ${displayUrl(url)}`);
}

/**
 * Checks that a registration has a client id and secret (without saying what they are).
 * @throws {@link ConfigurationError} (option `registration`).
 * @internal
 */
export function checkRegistration(registration: unknown): void {
  const { clientId, clientSecret } = (typeof registration === 'object' && registration !== null ? registration : {}) as Partial<AwsClientRegistration>;
  if (typeof clientId !== 'string' || clientId === '' || typeof clientSecret !== 'string' || clientSecret === '') {
    throw new ConfigurationError('registration', 'expected { clientId, clientSecret } as RegisterClient returned them');
  }
}
