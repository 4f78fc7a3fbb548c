import type * as FastCheck from 'fast-check';
import type { OAuthErrorDetail, TokenOutcome, TokenSet } from '../core/outcome.js';
import type { ScriptStep } from './scripted-transport.js';

/**
 * fast-check arbitraries for device-flow server behaviour. Build them with
 * {@link deviceFlowArbitraries}.
 * @group Testing
 */
export interface DeviceFlowArbitraries {
  /** A granted token set. */
  readonly token: FastCheck.Arbitrary<TokenSet>;
  /** `authorization_pending` or `slow_down` (sometimes with a new `interval`): answers that continue the flow. */
  readonly continuing: FastCheck.Arbitrary<TokenOutcome<TokenSet>>;
  /** A terminal answer: success, `access_denied`, `expired_token` or another OAuth error. */
  readonly terminal: FastCheck.Arbitrary<TokenOutcome<TokenSet>>;
  /** A transient fault: network error, timeout, 5xx or 429, sometimes with `Retry-After`. */
  readonly fault: FastCheck.Arbitrary<TokenOutcome<TokenSet>>;
  /** Any classified answer, weighted towards pending. */
  readonly outcome: FastCheck.Arbitrary<TokenOutcome<TokenSet>>;
  /** Raw wire answers the default classifier must handle: HTML 502s, bare 429s, GitHub's 200-with-error, AWS's typed errors. */
  readonly httpResponse: FastCheck.Arbitrary<ScriptStep>;
  /** A script step: an outcome, a raw answer or a thrown fault, sometimes with latency. */
  readonly step: FastCheck.Arbitrary<ScriptStep>;
  /** A whole script for `scriptedTransport`. */
  readonly script: FastCheck.Arbitrary<ScriptStep[]>;
}

/**
 * The fast-check module, as `import fc from 'fast-check'` or
 * `import * as fc from 'fast-check'` gives it.
 * @group Testing
 */
export type FastCheckModule = Omit<typeof FastCheck, 'default'>;

/** Options for {@link deviceFlowArbitraries}. @group Testing */
export interface DeviceFlowArbitrariesOptions {
  /** The longest script. @defaultValue 40 */
  readonly maxSteps?: number;
  /** The longest latency a step may have, in ms. @defaultValue 3000 */
  readonly maxLatencyMs?: number;
}

const OTHER_ERRORS = ['invalid_grant', 'invalid_client', 'invalid_request', 'invalid_scope', 'unauthorized_client', 'unsupported_grant_type', 'incorrect_device_code', 'device_flow_disabled'];
const AWS_WIRE = ['AuthorizationPendingException', 'SlowDownException', 'InternalServerException', 'AccessDeniedException', 'ExpiredTokenException', 'InvalidGrantException'];
const AWS_CODES: Record<string, [number, string]> = {
  AuthorizationPendingException: [400, 'authorization_pending'],
  SlowDownException: [400, 'slow_down'],
  InternalServerException: [500, 'server_error'],
  AccessDeniedException: [400, 'access_denied'],
  ExpiredTokenException: [400, 'expired_token'],
  InvalidGrantException: [400, 'invalid_grant'],
};

/**
 * Builds fast-check arbitraries for sequences of device-flow answers and
 * faults, so that embedders can property-test their own code against
 * tokenpoll. It takes your fast-check module, so tokenpoll itself does not
 * depend on fast-check at run time.
 *
 * @example
 * ```ts
 * import fc from 'fast-check';
 * import { deviceFlowArbitraries } from 'tokenpoll/testing';
 * const { script } = deviceFlowArbitraries(fc);
 * fc.assert(fc.asyncProperty(script, async (steps) => { ... }));
 * ```
 * @group Testing
 */
export function deviceFlowArbitraries(fc: FastCheckModule, options: DeviceFlowArbitrariesOptions = {}): DeviceFlowArbitraries {
  const maxSteps = options.maxSteps ?? 40;
  const maxLatencyMs = options.maxLatencyMs ?? 3000;
  const token: FastCheck.Arbitrary<TokenSet> = fc
    .record({ access: fc.stringMatching(/^[A-Za-z0-9]{8,24}$/), expires: fc.integer({ min: 60, max: 28_800 }) })
    .map(({ access, expires }) => ({ accessToken: `at-${access}`, tokenType: 'Bearer', expiresInSeconds: expires, raw: {} }));
  const detail = (code: string): FastCheck.Arbitrary<OAuthErrorDetail> =>
    fc.option(fc.constantFrom('user declined', 'code expired', 'bad client'), { nil: undefined }).map((description) =>
      description === undefined ? { code } : { code, description },
    );
  const continuing: FastCheck.Arbitrary<TokenOutcome<TokenSet>> = fc.oneof(
    { weight: 6, arbitrary: fc.constant({ type: 'authorization_pending' } as const) },
    { weight: 1, arbitrary: fc.constant({ type: 'slow_down' } as const) },
    { weight: 1, arbitrary: fc.oneof(fc.integer({ min: 1, max: 30 }), fc.constantFrom('10', '0', 'soon')).map((interval) => ({ type: 'slow_down', interval }) as const) },
  );
  const terminal: FastCheck.Arbitrary<TokenOutcome<TokenSet>> = fc.oneof(
    token.map((t) => ({ type: 'success', token: t }) as const),
    detail('access_denied').map((error) => ({ type: 'access_denied', error }) as const),
    detail('expired_token').map((error) => ({ type: 'expired_token', error }) as const),
    fc.constantFrom(...OTHER_ERRORS).chain(detail).map((error) => ({ type: 'oauth_error', error }) as const),
  );
  const retryAfter = fc.option(fc.integer({ min: 0, max: 120_000 }), { nil: undefined });
  const fault: FastCheck.Arbitrary<TokenOutcome<TokenSet>> = fc.oneof(
    fc.constant({ type: 'network_error', message: 'connect ECONNREFUSED' } as const),
    fc.constant({ type: 'timeout', message: 'request timed out' } as const),
    fc.tuple(fc.constantFrom(500, 502, 503, 504), retryAfter).map(([status, after]) =>
      after === undefined ? ({ type: 'server_error', status, message: `HTTP ${status}` } as const) : ({ type: 'server_error', status, message: `HTTP ${status}`, retryAfterMs: after } as const),
    ),
    retryAfter.map((after) =>
      after === undefined ? ({ type: 'rate_limited', status: 429, message: 'HTTP 429' } as const) : ({ type: 'rate_limited', status: 429, message: 'HTTP 429', retryAfterMs: after } as const),
    ),
  );
  const outcome: FastCheck.Arbitrary<TokenOutcome<TokenSet>> = fc.oneof(
    { weight: 8, arbitrary: continuing },
    { weight: 3, arbitrary: fault },
    { weight: 1, arbitrary: terminal },
  );
  const httpResponse: FastCheck.Arbitrary<ScriptStep> = fc.oneof(
    fc.constantFrom(502, 503, 504).map((status) => ({ reply: { status, headers: { 'content-type': 'text/html' }, body: `<html><body>${status} Bad Gateway</body></html>` } })),
    fc.option(fc.integer({ min: 0, max: 60 }), { nil: undefined }).map((seconds) => ({
      reply: { status: 429, headers: seconds === undefined ? {} : { 'retry-after': String(seconds) }, body: '' },
    })),
    fc.constantFrom('authorization_pending', 'slow_down').map((error) => ({
      reply: { status: 200, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `error=${error}&error_description=wait` },
    })),
    fc.constantFrom(...AWS_WIRE).map((name) => {
      const [status, error] = AWS_CODES[name]!;
      return { reply: { status, headers: { 'x-amzn-errortype': `${name}:http://internal.amazon.com/coral/com.amazonaws.sso.oidc/` }, body: JSON.stringify({ error, error_description: name }) } };
    }),
    fc.constantFrom('ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT').map((code) => ({ fail: Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error(code), { code }) }) })),
  );
  const latency = fc.option(fc.integer({ min: 1, max: maxLatencyMs }), { nil: undefined, freq: 3 });
  const step: FastCheck.Arbitrary<ScriptStep> = fc.oneof(
    { weight: 6, arbitrary: outcome },
    { weight: 2, arbitrary: fc.tuple(outcome, latency).map(([o, ms]): ScriptStep => (ms === undefined ? o : { reply: o, latencyMs: ms })) },
    { weight: 1, arbitrary: httpResponse },
  );
  const script: FastCheck.Arbitrary<ScriptStep[]> = fc.array(step, { minLength: 1, maxLength: maxSteps });
  return { token, continuing, terminal, fault, outcome, httpResponse, step, script };
}
