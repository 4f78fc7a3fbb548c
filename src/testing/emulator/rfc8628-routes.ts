import { authenticate } from './client-auth.js';
import { isForm, parseForm, respondJson, respondOAuthError as oauthError, type Exchange, type Handler } from './http-io.js';
import type { EmulatorContext } from './context.js';
import type { PollVerdict } from './state.js';

/** RFC 8628's grant type. @internal */
export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
/** The descriptions of the RFC 8628 §3.5 answers (they are the same on the AWS side). @internal */
export const DESCRIPTIONS: Readonly<Record<string, string>> = {
  authorization_pending: 'The user has not yet approved or denied the request.',
  access_denied: 'The user denied the request.',
  expired_token: 'The device code has expired.',
};

/** The RFC 8628 side's routes, keyed `'METHOD /path'`. @internal */
export function rfcRoutes(context: EmulatorContext): Map<string, Handler> {
  const metadata: Handler = (exchange) => respondJson(exchange, 200, serverMetadata(context.url()));
  return new Map<string, Handler>([
    ['GET /.well-known/oauth-authorization-server', metadata],
    ['GET /.well-known/openid-configuration', metadata],
    ['POST /device_authorization', (exchange) => deviceAuthorization(exchange, context)],
    ['POST /token', (exchange) => token(exchange, context)],
  ]);
}

/** RFC 8414 authorization server metadata. */
function serverMetadata(url: string): Record<string, unknown> {
  return {
    issuer: url,
    device_authorization_endpoint: `${url}/device_authorization`,
    token_endpoint: `${url}/token`,
    grant_types_supported: [DEVICE_CODE_GRANT, 'refresh_token'],
    token_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'client_secret_post'],
    response_types_supported: [],
  };
}

function deviceAuthorization(exchange: Exchange, context: EmulatorContext): void {
  const params = formParams(exchange);
  if (!params) return;
  const clientId = authenticate(exchange, params, context.settings);
  if (clientId === undefined) return;
  const { settings, state } = context;
  const entry = state.issue('rfc', clientId, params['scope']);
  const verificationUri = `${context.url()}/device`;
  const body: Record<string, unknown> = {
    device_code: entry.deviceCode,
    user_code: entry.userCode,
    verification_uri: verificationUri,
  };
  if (settings.sendVerificationUriComplete) body['verification_uri_complete'] = `${verificationUri}?user_code=${encodeURIComponent(entry.userCode)}`;
  body['expires_in'] = settings.expiresInSeconds;
  if (!settings.omitInterval) body['interval'] = settings.intervalSeconds;
  respondJson(exchange, 200, body);
}

function token(exchange: Exchange, context: EmulatorContext): void {
  const params = formParams(exchange);
  if (!params) return;
  const grantType = params['grant_type'];
  if (grantType !== DEVICE_CODE_GRANT && grantType !== 'refresh_token') {
    oauthError(exchange, grantType ? 'unsupported_grant_type' : 'invalid_request', grantType ? 'this server supports the device code and refresh token grants' : 'grant_type is missing');
    return;
  }
  const clientId = authenticate(exchange, params, context.settings);
  if (clientId === undefined) return;
  const { state } = context;
  if (grantType === 'refresh_token') {
    const refreshToken = params['refresh_token'];
    if (!refreshToken) return oauthError(exchange, 'invalid_request', 'refresh_token is missing');
    const entry = state.redeemRefreshToken('rfc', refreshToken, clientId);
    if (!entry) return oauthError(exchange, 'invalid_grant', 'unknown or already used refresh token');
    return grant(exchange, context, clientId, entry.scope);
  }
  const deviceCode = params['device_code'];
  if (!deviceCode) return oauthError(exchange, 'invalid_request', 'device_code is missing');
  answerPoll(exchange, context, state.poll('rfc', deviceCode, clientId));
}

function answerPoll(exchange: Exchange, context: EmulatorContext, verdict: PollVerdict): void {
  const github = context.settings.githubStyle;
  switch (verdict.type) {
    case 'granted':
      return grant(exchange, context, verdict.entry.clientId, verdict.entry.scope);
    case 'invalid_grant':
      return oauthError(exchange, 'invalid_grant', verdict.description);
    case 'slow_down': {
      const description = `Too many requests: wait at least ${verdict.intervalSeconds} s between requests.`;
      // GitHub's slow_down body carries the new interval.
      return github
        ? respondJson(exchange, 200, { error: 'slow_down', error_description: description, interval: verdict.intervalSeconds })
        : oauthError(exchange, 'slow_down', description);
    }
    case 'authorization_pending':
      return oauthError(exchange, verdict.type, DESCRIPTIONS[verdict.type]!, github ? 200 : 400);
    case 'access_denied':
    case 'expired_token':
      return oauthError(exchange, verdict.type, DESCRIPTIONS[verdict.type]!);
    default: {
      const unknown: never = verdict;
      throw new Error(`unhandled verdict ${JSON.stringify(unknown)}`);
    }
  }
}

function grant(exchange: Exchange, context: EmulatorContext, clientId: string, scope: string | undefined): void {
  const { settings, state } = context;
  const body: Record<string, unknown> = {
    access_token: `at-${crypto.randomUUID()}`,
    token_type: 'Bearer',
    expires_in: settings.accessTokenTtlSeconds,
    refresh_token: state.issueRefreshToken('rfc', clientId, scope),
  };
  if (scope !== undefined) body['scope'] = scope;
  respondJson(exchange, 200, body);
}

/** The form parameters, or `undefined` after answering `invalid_request` to a body that is not a form. */
function formParams(exchange: Exchange): Record<string, string> | undefined {
  if (isForm(exchange.req)) return parseForm(exchange.body);
  oauthError(exchange, 'invalid_request', 'the body must be application/x-www-form-urlencoded');
  return undefined;
}
