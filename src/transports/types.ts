/**
 * What the driver hands a transport for one token request.
 * @group Transports
 */
export interface TokenRequestContext {
  /** Aborted when the request times out or the flow is cancelled; pass it to `fetch`. */
  readonly signal: AbortSignal;
  /** 1 for the first request of the flow. */
  readonly attempt: number;
}

/** A transport written as a single function. @group Transports */
export interface TokenRequestFunction {
  (context: TokenRequestContext): unknown;
  /**
   * The poll as errors name it, with its URL (origin and path only, never a
   * secret): `'polling at https://auth.example.com/token'`. When set, the
   * errors the poll loop ends with that concern the endpoint
   * (`RetriesExhaustedError`, `TransportError`, `InvalidResponseError`)
   * start with it. `tokenTransport` and `awsTokenTransport` set it.
   */
  readonly operation?: string | undefined;
}

/**
 * Sends one token request and returns (or throws) what the server said. It
 * does not decide retry policy: its answer goes through a classifier (see
 * {@link classifyTokenResponse}) and then the state machine. It owns the
 * request's secrets (device code, client credentials); the driver never sees them.
 *
 * Either a function, or an object with a `request` method; either may carry
 * an `operation` that names the step and its URL in the poll's errors.
 * @example
 * A transport over fetch that hands the classifier an {@link HttpTokenResponse}.
 * Read the answer with {@link readHttpResponse}, not `await response.text()`:
 * a 200 whose body is cut halfway would otherwise throw, be taken for a
 * network error and retried with a device code the server has already
 * consumed. readHttpResponse returns it as `bodyError`, a lost grant that
 * ends the flow.
 * ```ts
 * import { readHttpResponse, type TokenTransport } from 'tokenpoll';
 * const transport: TokenTransport = async ({ signal }) => {
 *   const response = await fetch('https://auth.example.com/token', {
 *     method: 'POST',
 *     body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: deviceCode, client_id: 'app' }),
 *     signal,
 *   });
 *   return readHttpResponse(response);
 * };
 * ```
 * @group Transports
 */
export type TokenTransport =
  | TokenRequestFunction
  | {
      /** Sends one token request; returns (or throws, or rejects with) what the server said. */
      request(context: TokenRequestContext): unknown;
      /** The poll as errors name it, with its URL: `'polling at https://auth.example.com/token'` (see {@link TokenRequestFunction}). */
      readonly operation?: string | undefined;
    };

/**
 * A device authorization answer (RFC 8628 §3.2, or AWS StartDeviceAuthorization),
 * normalised. `deviceCode` is a secret: it goes to the token transport only.
 * @see {@link https://www.rfc-editor.org/rfc/rfc8628#section-3.2 | RFC 8628 §3.2}
 * @group Flows
 */
export interface DeviceAuthorization {
  /** The device code (secret). */
  readonly deviceCode: string;
  /** The code the user types. */
  readonly userCode: string;
  /** Where the user goes. */
  readonly verificationUri: string;
  /** The same with the user code filled in, when the server sent one. */
  readonly verificationUriComplete?: string;
  /** `expires_in`, as the server sent it. */
  readonly expiresInSeconds: number | string;
  /** `interval`, as the server sent it. */
  readonly intervalSeconds?: number | string;
  /** A message for the user (Entra sends one). */
  readonly message?: string;
  /** When the answer arrived, as `clock.now()`. */
  readonly issuedAt: number;
}
