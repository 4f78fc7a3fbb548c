/// <reference types="node" />
import type { AwsClient } from './aws-clients.js';
import type { EmulatorContext } from './context.js';
import { parseJsonObject, respondJson, type Exchange, type Handler } from './http-io.js';
import { DESCRIPTIONS, DEVICE_CODE_GRANT } from './rfc8628-routes.js';
import type { PollVerdict } from './state.js';

/**
 * The AWS SSO OIDC exceptions the emulator answers, routes and faults alike, with their `error` code and
 * status (the spec's table). Written out here rather than taken from the classifier's table, so that
 * a mistake in one is caught by tests against the other.
 * @internal
 */
export const EXCEPTIONS = {
  AuthorizationPendingException: ['authorization_pending', 400],
  SlowDownException: ['slow_down', 400],
  AccessDeniedException: ['access_denied', 400],
  ExpiredTokenException: ['expired_token', 400],
  InternalServerException: ['server_error', 500],
  InvalidClientException: ['invalid_client', 401],
  InvalidClientMetadataException: ['invalid_client_metadata', 400],
  InvalidGrantException: ['invalid_grant', 400],
  InvalidRequestException: ['invalid_request', 400],
  InvalidScopeException: ['invalid_scope', 400],
  UnauthorizedClientException: ['unauthorized_client', 400],
  UnsupportedGrantTypeException: ['unsupported_grant_type', 400],
} as const satisfies Record<string, readonly [string, number]>;
type ExceptionName = keyof typeof EXCEPTIONS;

const ERROR_TYPE_NAMESPACE = 'http://internal.amazon.com/coral/com.amazonaws.sso.oidc/';

/** The AWS SSO OIDC side's routes (rest-json, camelCase), under `/aws`. @internal */
export function awsRoutes(context: EmulatorContext): Map<string, Handler> {
  const guarded =
    (handler: (exchange: Exchange, input: Record<string, unknown>) => void): Handler =>
    (exchange) => {
      const input = parseJsonObject(exchange.body)?.raw;
      if (input) handler(exchange, input);
      else awsError(exchange, 'InvalidRequestException', 'the body must be a JSON object');
    };
  return new Map<string, Handler>([
    ['POST /aws/client/register', guarded((exchange, input) => registerClient(exchange, context, input))],
    ['POST /aws/device_authorization', guarded((exchange, input) => startDeviceAuthorization(exchange, context, input))],
    ['POST /aws/token', guarded((exchange, input) => createToken(exchange, context, input))],
  ]);
}

/** Answers an AWS error: the `x-amzn-ErrorType` header, and `{ error, error_description }`. @internal */
export function awsError(exchange: Exchange, name: ExceptionName, description: string): void {
  const [error, status] = EXCEPTIONS[name];
  respondJson(exchange, status, { error, error_description: description }, {
    'x-amzn-ErrorType': `${name}:${ERROR_TYPE_NAMESPACE}`,
    'x-amzn-RequestId': crypto.randomUUID(),
  });
}

function registerClient(exchange: Exchange, context: EmulatorContext, input: Record<string, unknown>): void {
  const { clientName, clientType, scopes } = input;
  if (typeof clientName !== 'string' || clientName === '') return awsError(exchange, 'InvalidRequestException', 'clientName is required');
  if (clientType !== 'public') return awsError(exchange, 'InvalidClientMetadataException', "clientType must be 'public'");
  if (scopes !== undefined && (!Array.isArray(scopes) || scopes.some((scope) => typeof scope !== 'string'))) {
    return awsError(exchange, 'InvalidRequestException', 'scopes must be a list of strings');
  }
  const client = context.awsClients.register(clientName, (scopes as string[] | undefined) ?? []);
  const { clientId, clientSecret, clientIdIssuedAt, clientSecretExpiresAt } = client;
  respondJson(exchange, 200, { clientId, clientSecret, clientIdIssuedAt, clientSecretExpiresAt });
}

function startDeviceAuthorization(exchange: Exchange, context: EmulatorContext, input: Record<string, unknown>): void {
  if (typeof input['startUrl'] !== 'string' || input['startUrl'] === '') return awsError(exchange, 'InvalidRequestException', 'startUrl is required');
  const client = authenticate(exchange, context, input);
  if (!client) return;
  const { settings, state } = context;
  const entry = state.issue('aws', client.clientId, client.scopes.join(' ') || undefined);
  const verificationUri = `${context.url()}/device`;
  const body: Record<string, unknown> = { deviceCode: entry.deviceCode, userCode: entry.userCode, verificationUri };
  if (settings.sendVerificationUriComplete) body['verificationUriComplete'] = `${verificationUri}?user_code=${encodeURIComponent(entry.userCode)}`;
  body['expiresIn'] = settings.expiresInSeconds;
  if (!settings.omitInterval) body['interval'] = settings.intervalSeconds;
  respondJson(exchange, 200, body);
}

function createToken(exchange: Exchange, context: EmulatorContext, input: Record<string, unknown>): void {
  const client = authenticate(exchange, context, input);
  if (!client) return;
  const { state } = context;
  const { grantType, deviceCode, refreshToken } = input;
  if (grantType === 'refresh_token') {
    if (typeof refreshToken !== 'string' || refreshToken === '') return awsError(exchange, 'InvalidRequestException', 'refreshToken is required');
    if (!state.redeemRefreshToken('aws', refreshToken, client.clientId)) return awsError(exchange, 'InvalidGrantException', 'unknown or already used refresh token');
    return grant(exchange, context, client);
  }
  if (grantType !== DEVICE_CODE_GRANT) {
    return awsError(exchange, typeof grantType === 'string' && grantType !== '' ? 'UnsupportedGrantTypeException' : 'InvalidRequestException', 'unsupported or missing grantType');
  }
  if (typeof deviceCode !== 'string' || deviceCode === '') return awsError(exchange, 'InvalidRequestException', 'deviceCode is required');
  answerPoll(exchange, context, client, state.poll('aws', deviceCode, client.clientId));
}

function answerPoll(exchange: Exchange, context: EmulatorContext, client: AwsClient, verdict: PollVerdict): void {
  switch (verdict.type) {
    case 'granted':
      return grant(exchange, context, client);
    case 'invalid_grant':
      return awsError(exchange, 'InvalidGrantException', verdict.description);
    case 'slow_down':
      return awsError(exchange, 'SlowDownException', `Too many requests: wait at least ${verdict.intervalSeconds} s between requests.`);
    case 'authorization_pending':
      return awsError(exchange, 'AuthorizationPendingException', DESCRIPTIONS[verdict.type]!);
    case 'access_denied':
      return awsError(exchange, 'AccessDeniedException', DESCRIPTIONS[verdict.type]!);
    case 'expired_token':
      return awsError(exchange, 'ExpiredTokenException', DESCRIPTIONS[verdict.type]!);
    default: {
      const unknown: never = verdict;
      throw new Error(`unhandled verdict ${JSON.stringify(unknown)}`);
    }
  }
}

function grant(exchange: Exchange, context: EmulatorContext, client: AwsClient): void {
  const { settings, state } = context;
  const body: Record<string, unknown> = {
    accessToken: context.awsTokens.issue(settings.accessTokenTtlSeconds * 1000),
    tokenType: 'Bearer',
    expiresIn: settings.accessTokenTtlSeconds,
    refreshToken: state.issueRefreshToken('aws', client.clientId, undefined),
  };
  if (client.scopes.includes('openid')) body['idToken'] = fakeIdToken(context.url(), client.clientId);
  respondJson(exchange, 200, body);
}

/** The registered client for the request's `clientId` and `clientSecret`; answers `InvalidClientException` otherwise. */
function authenticate(exchange: Exchange, context: EmulatorContext, input: Record<string, unknown>): AwsClient | undefined {
  const client = context.awsClients.check(input['clientId'], input['clientSecret']);
  if (!client) awsError(exchange, 'InvalidClientException', 'the client is not registered, or its registration has expired');
  return client;
}

/** An unsigned JWT-shaped ID token (the emulator is a test tool; nothing verifies it). */
function fakeIdToken(issuer: string, audience: string): string {
  const now = Math.floor(Date.now() / 1000);
  const part = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ iss: issuer, aud: audience, sub: 'emulator-user', iat: now, exp: now + 3600 })}.`;
}
