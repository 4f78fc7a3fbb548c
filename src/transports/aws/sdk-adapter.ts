import { ConfigurationError } from '../../errors/failures.js';
import type { TokenTransport } from '../types.js';
import { DEVICE_CODE_GRANT_TYPE } from './token-transport.js';

/**
 * What tokenpoll needs of an `SSOOIDCClient` from `@aws-sdk/client-sso-oidc`:
 * its `send`. Typed structurally, so tokenpoll does not depend on the SDK.
 * @group Transports
 */
export interface SsoOidcClientLike {
  /** Sends a command; the SDK's `client.send(command, { abortSignal })`. */
  send(command: never, options?: { abortSignal?: AbortSignal }): Promise<unknown>;
}

/** The device-code grant's input to the SDK's `CreateTokenCommand`. @group Transports */
export interface AwsSdkCreateTokenInput {
  /** The registered client's id. */
  readonly clientId: string;
  /** The registered client's secret (a secret). */
  readonly clientSecret: string;
  /** The device code from StartDeviceAuthorization (a secret). */
  readonly deviceCode: string;
}

/** The SDK's `CreateTokenCommand` class, typed structurally. @group Transports */
export type CreateTokenCommandClass = new (input: {
  clientId: string;
  clientSecret: string;
  grantType: string;
  deviceCode: string;
}) => object;

/** Options for {@link awsSdkTokenTransport}. @group Transports */
export interface AwsSdkTokenTransportOptions {
  /** The SDK's `CreateTokenCommand`: pass it to use the same copy of the SDK as `client`. @defaultValue imported from `@aws-sdk/client-sso-oidc` on the first poll */
  readonly CreateTokenCommand?: CreateTokenCommandClass | undefined;
}

const SDK_MODULE = '@aws-sdk/client-sso-oidc';
let loadingCommand: Promise<CreateTokenCommandClass> | undefined;

/**
 * A {@link TokenTransport} that polls through your own `SSOOIDCClient`
 * (`@aws-sdk/client-sso-oidc`, v3): each poll sends `new
 * CreateTokenCommand({ clientId, clientSecret, grantType:
 * 'urn:ietf:params:oauth:grant-type:device_code', deviceCode })` with
 * `client.send(command, { abortSignal: signal })`. The SDK's answers and
 * exception classes (`AuthorizationPendingException`, `SlowDownException`,
 * `AccessDeniedException` with its `reason`, `ExpiredTokenException`,
 * `InvalidClientException`…) go through the default classifier like any
 * other transport's. The SDK is an optional peer dependency: it is loaded
 * only when `CreateTokenCommand` is not given, on the first poll.
 *
 * **Retries: the SDK's and tokenpoll's multiply.** The SDK retries 500, 502,
 * 503, 504, 429 and throttling errors by itself (its standard strategy: 3
 * attempts by default, full jitter, `Retry-After` honoured within limits). It
 * never retries `AuthorizationPendingException`, `SlowDownException` or the
 * other 400s, which reach tokenpoll at once. So a transient fault tokenpoll
 * sees is already the SDK's third in a row, and each of tokenpoll's
 * `transientRetries` (10 by default) may cost up to 3 requests: a server that
 * keeps failing gets up to (10 + 1) × 3 = 33 requests before the flow ends
 * with {@link RetriesExhaustedError}. The poller's `requestTimeoutMs` (30 s)
 * bounds one whole `send`, the SDK's retries and waits included. To keep a
 * single budget, build the client with `maxAttempts: 1` so that tokenpoll alone
 * retries (its waits never go below the poll interval), or lower
 * `transientRetries`.
 *
 * @example
 * ```ts
 * import { SSOOIDCClient, CreateTokenCommand } from '@aws-sdk/client-sso-oidc';
 * import { awsSdkTokenTransport, pollToken } from 'tokenpoll';
 * const client = new SSOOIDCClient({ region: 'eu-west-1' });
 * const poll = pollToken({
 *   transport: awsSdkTokenTransport(client, { clientId, clientSecret, deviceCode }, { CreateTokenCommand }),
 *   intervalSeconds: authorization.interval,
 *   expiresInSeconds: authorization.expiresIn,
 * });
 * ```
 * @throws {@link ConfigurationError} when `client` has no `send` or an input member is missing.
 * @group Transports
 */
export function awsSdkTokenTransport(client: SsoOidcClientLike, input: AwsSdkCreateTokenInput, options: AwsSdkTokenTransportOptions = {}): TokenTransport {
  if (typeof (client as { send?: unknown } | undefined)?.send !== 'function') throw new ConfigurationError('client', 'expected an SSOOIDCClient (an object with send())');
  for (const key of ['clientId', 'clientSecret', 'deviceCode'] as const) {
    if (typeof input?.[key] !== 'string' || input[key] === '') throw new ConfigurationError(key, 'expected a non-empty string');
  }
  const given = options.CreateTokenCommand;
  if (given !== undefined && typeof given !== 'function') throw new ConfigurationError('CreateTokenCommand', 'expected the SDK class');
  const commandInput = { clientId: input.clientId, clientSecret: input.clientSecret, grantType: DEVICE_CODE_GRANT_TYPE, deviceCode: input.deviceCode };
  return async ({ signal }) => {
    const Command = given ?? (await loadCreateTokenCommand());
    return client.send(new Command({ ...commandInput }) as never, { abortSignal: signal });
  };
}

function loadCreateTokenCommand(): Promise<CreateTokenCommandClass> {
  // A variable specifier, so bundlers do not require the optional peer.
  loadingCommand ??= import(/* @vite-ignore */ /* webpackIgnore: true */ SDK_MODULE).then(
    (module: { CreateTokenCommand?: unknown }) => {
      if (typeof module.CreateTokenCommand !== 'function') throw new Error(`${SDK_MODULE} has no CreateTokenCommand`);
      return module.CreateTokenCommand as CreateTokenCommandClass;
    },
  ).catch((cause: unknown) => {
    loadingCommand = undefined;
    const detail = cause instanceof Error ? cause.message : String(cause);
    throw new ConfigurationError('CreateTokenCommand', `could not load the optional peer ${SDK_MODULE} (${detail}): install it, or pass its CreateTokenCommand class`);
  });
  return loadingCommand;
}
