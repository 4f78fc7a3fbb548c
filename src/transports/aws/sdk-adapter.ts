import { parseRetryAfter } from '../../classify/retry-after.js';
import { classifyThrown } from '../../classify/thrown.js';
import type { TokenOutcome, UnreadableSuccessOutcome } from '../../core/outcome.js';
import { ConfigurationError } from '../../errors/failures.js';
import { DEVICE_CODE_GRANT_TYPE } from '../rfc8628/token-transport.js';
import type { TokenTransport } from '../types.js';

/**
 * What tokenpoll needs of an `SSOOIDCClient` from `@aws-sdk/client-sso-oidc`:
 * its `send`. Typed structurally, so tokenpoll does not depend on the SDK.
 * @group AWS SSO OIDC
 */
export interface SsoOidcClientLike {
  /** Sends a command; the SDK's `client.send(command, { abortSignal })`. */
  send(command: never, options?: { abortSignal?: AbortSignal }): Promise<unknown>;
}

/** The device-code grant's input to the SDK's `CreateTokenCommand`. @group AWS SSO OIDC */
export interface AwsSdkCreateTokenInput {
  /** The registered client's id. */
  readonly clientId: string;
  /** The registered client's secret (a secret). */
  readonly clientSecret: string;
  /** The device code from StartDeviceAuthorization (a secret). */
  readonly deviceCode: string;
}

/** The SDK's `CreateTokenCommand` class, typed structurally. @group AWS SSO OIDC */
export type CreateTokenCommandClass = new (input: {
  clientId: string;
  clientSecret: string;
  grantType: string;
  deviceCode: string;
}) => object;

/** Options for {@link awsSdkTokenTransport}. @group AWS SSO OIDC */
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
 * **Lost grants: build the client with `maxAttempts: 1`.** When a 200
 * answer cannot be read (the connection drops halfway through the body, or
 * the body is not JSON), the device code may already be consumed. The adapter
 * answers such a poll itself with an `unreadable_success` outcome, so the
 * flow ends with {@link LostGrantError} and tokenpoll never sends the code
 * again. But the SDK's own retry strategy treats a body cut short as a
 * network error and re-sends the consumed code before tokenpoll sees
 * anything; AWS then answers `InvalidGrantException`, and the approval the
 * user gave is lost behind an {@link OAuthError}. Only `maxAttempts: 1` (or a
 * `retryStrategy` that never retries `CreateToken`) keeps that from
 * happening.
 *
 * **Retries: the SDK's and tokenpoll's multiply.** The SDK retries 500, 502,
 * 503, 504, 429 and throttling errors by itself (its standard strategy: 3
 * attempts by default, full jitter). It never retries
 * `AuthorizationPendingException`, `SlowDownException` or the other 400s,
 * which reach tokenpoll at once. So with the SDK's defaults a transient fault
 * tokenpoll sees is already the SDK's third in a row, and each of tokenpoll's
 * `transientRetries` (10 by default) may cost up to 3 requests: a server that
 * keeps failing gets up to (10 + 1) × 3 = 33 requests before the flow ends
 * with {@link RetriesExhaustedError}. The poller's `requestTimeoutMs` (30 s)
 * bounds one whole `send`, the SDK's retries and waits included. With
 * `maxAttempts: 1`, tokenpoll alone retries, within one budget: its waits
 * never go below the poll interval, and a `Retry-After` on a 429 or 5xx
 * (which the adapter reads from the SDK's error) lengthens them.
 *
 * @example
 * ```ts
 * import { SSOOIDCClient, CreateTokenCommand } from '@aws-sdk/client-sso-oidc';
 * import { awsSdkTokenTransport, pollToken } from 'tokenpoll';
 * const client = new SSOOIDCClient({ region: 'eu-west-1', maxAttempts: 1 }); // 1: see "Lost grants"
 * const poll = pollToken({
 *   transport: awsSdkTokenTransport(client, { clientId, clientSecret, deviceCode }, { CreateTokenCommand }),
 *   intervalSeconds: authorization.interval,
 *   expiresInSeconds: authorization.expiresIn,
 * });
 * ```
 * @throws {@link ConfigurationError} when `client` has no `send` or an input member is missing.
 * @see {@link https://docs.aws.amazon.com/singlesignon/latest/OIDCAPIReference/API_CreateToken.html | CreateToken in the IAM Identity Center OIDC API Reference}
 * @group AWS SSO OIDC
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
    let output: unknown;
    try {
      output = await client.send(new Command({ ...commandInput }) as never, { abortSignal: signal });
    } catch (error) {
      return answerForSdkError(error);
    }
    return answerForSdkOutput(output);
  };
}

interface SdkErrorLike {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown };
  readonly $response?: { readonly headers?: Readonly<Record<string, unknown>> };
}

/**
 * What a poll that threw hands the classifier: an `unreadable_success` when
 * the SDK failed on a 2xx (the grant may be spent: never retried), a 429 or
 * 5xx outcome with its `Retry-After`, or else the SDK's error as it is.
 */
function answerForSdkError(error: unknown): TokenOutcome<never> {
  const e = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorLike;
  const status = e.$metadata?.httpStatusCode;
  if (typeof status === 'number' && status >= 200 && status < 300) {
    // The SDK's message is left out: a JSON parse error quotes the body, which may hold the token.
    const what = [e.name, e.code].filter((part) => typeof part === 'string' && part !== '').join(' ') || 'an error';
    return { type: 'unreadable_success', status, message: `CreateToken answered HTTP ${status}, but the SDK could not read the answer (${what})` };
  }
  const header = e.$response?.headers?.['retry-after'];
  const retryAfterMs = typeof header === 'string' ? parseRetryAfter(header, Date.now()) : undefined;
  if (retryAfterMs !== undefined) {
    const outcome = classifyThrown(error);
    if (outcome.type === 'rate_limited' || outcome.type === 'server_error') return { ...outcome, retryAfterMs };
  }
  throw error;
}

/** A CreateToken output as it is, or an `unreadable_success` when it holds no access token. */
function answerForSdkOutput(output: unknown): unknown {
  const { accessToken, $metadata } = (typeof output === 'object' && output !== null ? output : {}) as { accessToken?: unknown; $metadata?: { httpStatusCode?: unknown } };
  if (typeof accessToken === 'string' && accessToken !== '') return output;
  const status = typeof $metadata?.httpStatusCode === 'number' ? $metadata.httpStatusCode : undefined;
  const message = 'CreateToken answered without an accessToken';
  const outcome: UnreadableSuccessOutcome = status === undefined ? { type: 'unreadable_success', message } : { type: 'unreadable_success', status, message };
  return outcome;
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
