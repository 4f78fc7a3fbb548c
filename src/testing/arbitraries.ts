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
  /**
   * A 2xx whose body was lost in transit (the grant may have been issued):
   * an `HttpTokenResponse` with a `bodyError`, sometimes late, or the
   * `unreadable_success` outcome. A flow must end on it (`LostGrantError`),
   * never send another request.
   */
  readonly lostGrant: FastCheck.Arbitrary<ScriptStep>;
  /** A success answer that holds no token: a 200 whose body is not JSON, is cut short or has no `access_token`, or a malformed outcome. */
  readonly malformed: FastCheck.Arbitrary<ScriptStep>;
  /** A transport that throws: network errors as fetch and Node report them, a timeout, or an error nothing recognises (a bug). */
  readonly transportError: FastCheck.Arbitrary<ScriptStep>;
  /** A request that never answers, until the driver aborts it (its request timeout, the deadline, or a cancel). */
  readonly hang: FastCheck.Arbitrary<ScriptStep>;
  /** A script step: an outcome, a raw answer or a thrown fault, sometimes with latency (and, with `hardCases`, the four above). */
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
  /**
   * Also generate the hard cases in `httpResponse`, `step` and `script`: lost
   * grants, malformed answers, every kind of thrown transport error, and
   * hangs (see `lostGrant`, `malformed`, `transportError` and `hang`), so a
   * property also covers the answers that end a flow at once or are
   * waited out on a timeout. Off by default, so existing properties keep
   * their meaning; turn it on to test your own classifier or transport.
   * @defaultValue false
   */
  readonly hardCases?: boolean;
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
 * import { deviceFlowArbitraries } from 'tokenpoll/testing/arbitraries';
 * const { script } = deviceFlowArbitraries(fc);
 * await fc.assert(fc.asyncProperty(script, async (steps) => steps.length > 0)); // your property of a flow run on `steps`
 * ```
 * @example
 * With the hard cases too (lost grants, malformed answers, thrown errors, hangs): whatever
 * happens, the flow ends, with no overlap and no timer left.
 * ```ts
 * const { script } = deviceFlowArbitraries(fc, { hardCases: true });
 * await fc.assert(fc.asyncProperty(script, async (steps) => {
 *   const clock = new ManualClock();
 *   const transport = scriptedTransport(steps, { clock, whenExhausted: 'repeat-last' });
 *   const poll = pollToken({ transport, clock, intervalSeconds: 5, expiresInSeconds: 300 });
 *   await clock.runUntilSettled(poll.result);
 *   return transport.maxConcurrent <= 1 && clock.pendingTimers === 0;
 * }));
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
  const delayed = (arbitrary: FastCheck.Arbitrary<{ readonly reply: unknown } | { readonly fail: unknown }>): FastCheck.Arbitrary<ScriptStep> =>
    fc.tuple(arbitrary, latency).map(([step, ms]): ScriptStep => (ms === undefined ? step : { ...step, latencyMs: ms }));
  const successStatus = fc.constantFrom(200, 200, 201, 203);
  const lostGrant: FastCheck.Arbitrary<ScriptStep> = fc.oneof(
    delayed(
      fc.tuple(successStatus, fc.constantFrom('terminated', 'other side closed', 'aborted')).map(([status, message]) => ({
        reply: { status, headers: { 'content-type': 'application/json' }, bodyError: new TypeError(message) },
      })),
    ),
    successStatus.map((status): ScriptStep => ({ type: 'unreadable_success', status, message: 'reading the body failed' })),
  );
  const malformed: FastCheck.Arbitrary<ScriptStep> = fc.oneof(
    fc
      .constantFrom('<html><body>Welcome</body></html>', '{"access_token":"at-cut', '{}', '{"token_type":"Bearer"}', '', 'null', '[1,2]')
      .map((body) => ({ reply: { status: 200, headers: { 'content-type': 'application/json' }, body } })),
    fc.constantFrom<unknown>({ type: 'success' }, { type: 'oauth_error' }, { type: 'no_such_outcome' }, 42, null).map((reply) => ({ reply })),
  );
  const transportError: FastCheck.Arbitrary<ScriptStep> = delayed(
    fc.oneof(
      fc.constantFrom('ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'UND_ERR_SOCKET', 'ENOTFOUND', 'EAI_AGAIN').map((code) => ({
        fail: Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error(code), { code }) }),
      })),
      fc.constant({ fail: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) }),
      fc.constant({ fail: new DOMException('The operation timed out.', 'TimeoutError') }),
      fc.constantFrom<unknown>(new Error('Cannot read properties of undefined'), 'a thrown string', undefined).map((fail) => ({ fail })),
    ),
  );
  const hang: FastCheck.Arbitrary<ScriptStep> = fc.constant({ hang: true } as const);
  const hardCases = options.hardCases === true;
  const anyResponse: FastCheck.Arbitrary<ScriptStep> = hardCases
    ? fc.oneof({ weight: 4, arbitrary: httpResponse }, { weight: 1, arbitrary: lostGrant }, { weight: 1, arbitrary: malformed }, { weight: 2, arbitrary: transportError }, { weight: 1, arbitrary: hang })
    : httpResponse;
  const step: FastCheck.Arbitrary<ScriptStep> = fc.oneof(
    { weight: 6, arbitrary: outcome },
    { weight: 2, arbitrary: fc.tuple(outcome, latency).map(([o, ms]): ScriptStep => (ms === undefined ? o : { reply: o, latencyMs: ms })) },
    { weight: hardCases ? 2 : 1, arbitrary: anyResponse },
  );
  const script: FastCheck.Arbitrary<ScriptStep[]> = fc.array(step, { minLength: 1, maxLength: maxSteps });
  return { token, continuing, terminal, fault, outcome, httpResponse: anyResponse, lostGrant, malformed, transportError, hang, step, script };
}
