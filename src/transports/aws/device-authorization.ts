import { ConfigurationError, InvalidResponseError } from '../../errors/failures.js';
import type { DeviceAuthorization } from '../types.js';
import { checkVerificationUri, secondsAsSent } from '../rfc8628/device-authorization.js';
import { callAws } from './call.js';
import { resolveAwsClient, stringField, type AwsClient, type AwsSsoOidcClientOptions } from './client.js';
import type { AwsClientRegistration } from './registration-cache.js';
import { checkRegistration } from './token-transport.js';

/** Options for {@link startAwsDeviceAuthorization}. @group AWS SSO OIDC */
export interface StartAwsDeviceAuthorizationOptions extends AwsSsoOidcClientOptions {
  /** The registered client (see {@link registerAwsClient}). */
  readonly registration: Pick<AwsClientRegistration, 'clientId' | 'clientSecret'>;
  /** The AWS access portal URL, such as `https://d-1234567890.awsapps.com/start`. */
  readonly startUrl: string;
  /** Cancels the call. */
  readonly signal?: AbortSignal | undefined;
}

/**
 * Asks AWS SSO OIDC for a device code (`StartDeviceAuthorization`, `POST
 * /device_authorization`), retrying transient faults, `InternalServerException`
 * and `SlowDownException` (at least 5 s apart), and normalises the answer
 * into a {@link DeviceAuthorization} (`issuedAt` is `clock.now()` when the
 * answer arrived). Its `deviceCode` is a secret: hand it only to
 * {@link awsTokenTransport}.
 * @example
 * The steps `loginWithAwsSso` takes, by hand.
 * ```ts
 * import { awsTokenTransport, pollToken, registerAwsClient, startAwsDeviceAuthorization } from 'tokenpoll';
 * const region = 'eu-west-1';
 * const registration = await registerAwsClient({ region });
 * const authorization = await startAwsDeviceAuthorization({ region, registration, startUrl: 'https://my-org.awsapps.com/start' });
 * console.error(`Open ${authorization.verificationUri} and enter ${authorization.userCode}`);
 * const poll = pollToken({
 *   transport: awsTokenTransport({ region, registration, deviceCode: authorization.deviceCode }),
 *   intervalSeconds: authorization.intervalSeconds,
 *   expiresInSeconds: authorization.expiresInSeconds,
 *   issuedAt: authorization.issuedAt,
 * });
 * const token = await poll.result;
 * ```
 * @throws {@link ConfigurationError} for a bad option, {@link AwsSsoOidcError} for an AWS error (`reregisterClient` for
 * `InvalidClientException`), {@link RetriesExhaustedError},
 * {@link InvalidResponseError}, {@link PollCancelledError}.
 * @see {@link https://docs.aws.amazon.com/singlesignon/latest/OIDCAPIReference/API_StartDeviceAuthorization.html | StartDeviceAuthorization in the IAM Identity Center OIDC API Reference}
 * @group AWS SSO OIDC
 */
export async function startAwsDeviceAuthorization(options: StartAwsDeviceAuthorizationOptions): Promise<DeviceAuthorization> {
  const client = resolveAwsClient(options);
  checkRegistration(options.registration);
  return startAuthorization(client, options.registration, checkStartUrl(options.startUrl), options.signal);
}

/**
 * Checks a start URL: an absolute URL (it is sent to AWS, never fetched).
 * @throws {@link ConfigurationError} (option `startUrl`).
 * @internal
 */
export function checkStartUrl(startUrl: unknown): string {
  if (typeof startUrl !== 'string' || !URL.canParse(startUrl)) {
    throw new ConfigurationError('startUrl', 'expected the AWS access portal URL, such as https://d-1234567890.awsapps.com/start');
  }
  return startUrl;
}

/** Sends StartDeviceAuthorization. @internal */
export function startAuthorization(
  client: AwsClient,
  registration: Pick<AwsClientRegistration, 'clientId' | 'clientSecret'>,
  startUrl: string,
  signal: AbortSignal | undefined,
): Promise<DeviceAuthorization> {
  const body = { clientId: registration.clientId, clientSecret: registration.clientSecret, startUrl };
  return callAws(client, {
    operation: 'StartDeviceAuthorization',
    path: '/device_authorization',
    body,
    signal,
    read: (json, { receivedAt }) => awsDeviceAuthorizationFrom(json, receivedAt),
  });
}

/**
 * Normalises a StartDeviceAuthorization answer (camelCase on the wire).
 * `expiresIn` and `interval` are read as {@link deviceAuthorizationFrom} reads
 * RFC 8628's: a number or numeric string becomes a number, another value is
 * kept as sent for the poller to check and warn about. `verificationUri` and
 * `verificationUriComplete` are checked as RFC 8628's are: `https:` only
 * (`http:` on a loopback host).
 * @param issuedAt - When the answer arrived, as `clock.now()`.
 * @throws {@link InvalidResponseError} when `deviceCode`, `userCode`, `verificationUri` or `expiresIn` is missing,
 * or a verification URI is not `https:`.
 * @internal
 */
export function awsDeviceAuthorizationFrom(json: Readonly<Record<string, unknown>>, issuedAt: number): DeviceAuthorization {
  const deviceCode = stringField(json, 'deviceCode');
  const userCode = stringField(json, 'userCode');
  const verificationUri = stringField(json, 'verificationUri');
  const expiresIn = secondsAsSent(json['expiresIn']);
  if (!deviceCode || !userCode || !verificationUri || expiresIn === undefined) {
    const missing = { deviceCode, userCode, verificationUri, expiresIn };
    const names = Object.entries(missing).flatMap(([name, value]) => (value === undefined ? [name] : []));
    throw new InvalidResponseError(`StartDeviceAuthorization answered without ${names.join(', ')}`);
  }
  const authorization: { -readonly [K in keyof DeviceAuthorization]: DeviceAuthorization[K] } = {
    deviceCode,
    userCode,
    verificationUri: checkVerificationUri(verificationUri, 'verificationUri', 'the StartDeviceAuthorization answer'),
    expiresInSeconds: expiresIn,
    issuedAt,
  };
  const complete = stringField(json, 'verificationUriComplete');
  if (complete !== undefined) authorization.verificationUriComplete = checkVerificationUri(complete, 'verificationUriComplete', 'the StartDeviceAuthorization answer');
  const interval = secondsAsSent(json['interval']);
  if (interval !== undefined) authorization.intervalSeconds = interval;
  return Object.freeze(authorization);
}
