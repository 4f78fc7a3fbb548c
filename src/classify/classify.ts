import type { TokenOutcome, TokenSet } from '../core/outcome.js';
import { classifyHttpResponse, isHttpTokenResponse, tokenSetFrom } from './http.js';
import { oauthDetail, outcomeFromOAuthError } from './oauth.js';
import { classifyThrown } from './thrown.js';

/**
 * What a transport's call ended with: the value it returned, or what it threw.
 * @group Classification
 */
export type TransportAnswer =
  | {
      /** `true`: the transport returned. */
      readonly ok: true;
      /** What it returned (or its promise resolved with). */
      readonly value: unknown;
    }
  | {
      /** `false`: the transport threw. */
      readonly ok: false;
      /** What it threw (or its promise rejected with). */
      readonly error: unknown;
    };

/** What a classifier is told besides the answer. @group Classification */
export interface ClassifyContext {
  /** The wall-clock time (epoch ms), to read `Retry-After` dates. */
  readonly wallNow: number;
}

/**
 * Maps whatever a transport returned or threw to a {@link TokenOutcome}.
 * Pluggable: give `pollToken` your own to handle a provider's quirks, and
 * call {@link classifyTokenResponse} for everything else.
 *
 * @example
 * A provider that answers `{"status":"waiting"}` while the user decides.
 * ```ts
 * import { classifyTokenResponse, type Classifier } from 'tokenpoll';
 * const classify: Classifier = (answer, context) =>
 *   answer.ok && (answer.value as { status?: string }).status === 'waiting'
 *     ? { type: 'authorization_pending' }
 *     : classifyTokenResponse(answer, context);
 * ```
 * @group Classification
 */
export type Classifier<TToken = TokenSet> = (answer: TransportAnswer, context: ClassifyContext) => TokenOutcome<TToken>;

const OUTCOME_TYPES: ReadonlySet<string> = new Set([
  'success', 'authorization_pending', 'slow_down', 'access_denied', 'expired_token', 'oauth_error',
  'unreadable_success', 'invalid_response', 'transport_error', 'network_error', 'timeout', 'server_error', 'rate_limited',
]);

/**
 * The default classifier. A returned value may be:
 * - a {@link TokenOutcome} (passed through; scripted transports return these);
 * - an {@link HttpTokenResponse} (see {@link classifyHttpResponse});
 * - a token answer object, snake_case or camelCase (the AWS SDK's CreateToken output);
 * - an OAuth error object with an `error` member.
 *
 * A thrown value goes to {@link classifyThrown}.
 * @example
 * ```ts
 * import { classifyTokenResponse } from 'tokenpoll';
 * classifyTokenResponse({ ok: true, value: { error: 'authorization_pending' } }, { wallNow: Date.now() }); // { type: 'authorization_pending' }
 * classifyTokenResponse({ ok: true, value: { accessToken: 'at', expiresIn: 3600 } }, { wallNow: Date.now() }); // { type: 'success', token } (the AWS SDK's shape)
 * classifyTokenResponse({ ok: false, error: Object.assign(new Error('reset'), { code: 'ECONNRESET' }) }, { wallNow: Date.now() }); // { type: 'network_error', … }
 * ```
 * @group Classification
 */
export const classifyTokenResponse: Classifier<TokenSet> = (answer, context) => {
  if (!answer.ok) return classifyThrown(answer.error);
  const value = answer.value;
  if (typeof value !== 'object' || value === null) {
    return { type: 'invalid_response', message: `the transport returned ${value === null ? 'null' : typeof value}` };
  }
  const type = (value as { type?: unknown }).type;
  if (typeof type === 'string' && OUTCOME_TYPES.has(type)) return checkedOutcome(value, 'the transport');
  if (isHttpTokenResponse(value)) return classifyHttpResponse(value, context.wallNow);
  const body = value as Record<string, unknown>;
  if (typeof body['error'] === 'string' && body['error'] !== '') {
    const detail = oauthDetail({ code: body['error'], description: body['error_description'], reason: body['reason'] });
    return outcomeFromOAuthError(detail, body['interval']);
  }
  const token = tokenSetFrom(body);
  if (token) return { type: 'success', token };
  return { type: 'unreadable_success', message: 'the answer holds neither an access token nor an OAuth error' };
};

/**
 * An outcome as the engine needs it, or an `invalid_response` saying what is
 * wrong with it: a known `type`, a `token` on a success, and an `error` with
 * a string `code` on the three OAuth errors. Transports that return outcomes
 * and custom classifiers both pass through it, so a malformed one ends the
 * flow with a clear error instead of breaking it.
 * @internal
 */
export function checkedOutcome<TToken>(value: unknown, source: string): TokenOutcome<TToken> {
  const problem = outcomeProblem(value);
  return problem === undefined ? (value as TokenOutcome<TToken>) : { type: 'invalid_response', message: `${source} returned ${problem}` };
}

function outcomeProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return `${value === null ? 'null' : typeof value} instead of an outcome`;
  const outcome = value as { type?: unknown; token?: unknown; error?: { code?: unknown } | null };
  if (typeof outcome.type !== 'string' || !OUTCOME_TYPES.has(outcome.type)) return `an outcome of unknown type ${JSON.stringify(String(outcome.type))}`;
  if (outcome.type === 'success' && (typeof outcome.token !== 'object' || outcome.token === null)) return 'a success outcome without a token';
  const needsError = outcome.type === 'access_denied' || outcome.type === 'expired_token' || outcome.type === 'oauth_error';
  if (needsError && (typeof outcome.error !== 'object' || outcome.error === null || typeof outcome.error.code !== 'string')) {
    return `an ${outcome.type} outcome without an error code`;
  }
  return undefined;
}
