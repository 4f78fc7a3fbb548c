/**
 * "A 2xx whose body was lost is never resent", as a property over sequences of
 * HTTP-level answers: a status with a body, a body that fails halfway through
 * (a 2xx or not), a network error, or no answer at all (a hang). They go
 * through the real RFC 8628 token transport and `httpRequest` (with an
 * injected fetch) and the real driver, on a virtual clock, with the answers'
 * latencies on that clock too, so request timeouts and the deadline come into
 * play.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { ErrorCode, LostGrantError, pollToken, tokenTransport, type TokenSet } from '../../src/index.js';
import { ManualClock, seededRandom } from '../../src/testing.js';
import { RUNS } from '../helpers/arbitraries.js';

/** One answer the token endpoint gives, as the wire sees it. */
type HttpAnswer =
  | { readonly kind: 'answer'; readonly status: number; readonly headers: Readonly<Record<string, string>>; readonly body: string; readonly latencyMs: number }
  | { readonly kind: 'lost-body'; readonly status: number; readonly sentBytes: number; readonly latencyMs: number }
  | { readonly kind: 'network-error'; readonly code: string; readonly latencyMs: number }
  | { readonly kind: 'hang' }
  /** Headers, the first bytes of the body, then nothing until the request is aborted (its timeout). */
  | { readonly kind: 'stalled-body'; readonly status: number; readonly sentBytes: number; readonly latencyMs: number };

const JSON_TYPE = { 'content-type': 'application/json' };
const TOKEN_BODY = JSON.stringify({ access_token: 'at-property', token_type: 'Bearer', expires_in: 3600 });
const PENDING: HttpAnswer = { kind: 'answer', status: 400, headers: JSON_TYPE, body: '{"error":"authorization_pending"}', latencyMs: 0 };

const latency = fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.integer({ min: 1, max: 15_000 }) });
const answered = (status: number, headers: Record<string, string>, body: string): fc.Arbitrary<HttpAnswer> =>
  latency.map((latencyMs) => ({ kind: 'answer', status, headers, body, latencyMs }));

const httpAnswer: fc.Arbitrary<HttpAnswer> = fc.oneof(
  { weight: 8, arbitrary: answered(400, JSON_TYPE, '{"error":"authorization_pending"}') },
  { weight: 1, arbitrary: answered(400, JSON_TYPE, '{"error":"slow_down"}') },
  { weight: 2, arbitrary: answered(200, { 'content-type': 'application/x-www-form-urlencoded' }, 'error=authorization_pending') },
  { weight: 2, arbitrary: fc.constantFrom(500, 502, 503, 504).chain((status) => answered(status, { 'content-type': 'text/html' }, `<html>${status}</html>`)) },
  { weight: 1, arbitrary: answered(429, { 'retry-after': '2' }, '') },
  { weight: 1, arbitrary: answered(200, JSON_TYPE, TOKEN_BODY) },
  { weight: 1, arbitrary: answered(400, JSON_TYPE, '{"error":"access_denied"}') },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('lost-body' as const),
      status: fc.constantFrom(200, 200, 201, 203, 400, 429, 502),
      sentBytes: fc.integer({ min: 0, max: TOKEN_BODY.length - 1 }),
      latencyMs: latency,
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('network-error' as const), code: fc.constantFrom('ECONNRESET', 'ECONNREFUSED', 'UND_ERR_SOCKET'), latencyMs: latency }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'hang' } as const) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('stalled-body' as const),
      status: fc.constantFrom(200, 201, 400, 502),
      sentBytes: fc.integer({ min: 0, max: TOKEN_BODY.length - 1 }),
      latencyMs: latency,
    }),
  },
);

const settings = fc.record({
  intervalSeconds: fc.integer({ min: 1, max: 10 }),
  expiresInSeconds: fc.integer({ min: 30, max: 600 }),
  requestTimeoutMs: fc.integer({ min: 1000, max: 12_000 }),
  transientRetries: fc.integer({ min: 0, max: 12 }),
  seed: fc.integer(),
});

/** One request the fake fetch received, and when its answer (headers, or the error) was delivered. */
interface FetchCall {
  readonly at: number;
  readonly answer: HttpAnswer;
  deliveredAt?: number;
}

/** The property must reach its case, a delivered 2xx whose body is lost, in at least this share of runs. */
const MIN_LOST_SHARE = 0.2;

describe('the RFC 8628 token transport and the driver, over HTTP-level answers', () => {
  test('should never resend after a 2xx whose body was lost, and end the flow LostGrantError', async () => {
    const tally = { runs: 0, lost: 0 };
    await fc.assert(
      fc.asyncProperty(fc.array(httpAnswer, { minLength: 1, maxLength: 25 }), settings, async (answers, { seed, ...options }) => {
        // Arrange
        const clock = new ManualClock();
        const calls: FetchCall[] = [];
        const transport = tokenTransport({ tokenEndpoint: 'http://127.0.0.1:9/token', clientId: 'app', deviceCode: 'dc-secret', fetch: fakeFetch(clock, answers, calls), clock });
        const poll = pollToken<TokenSet>({ transport, clock, random: seededRandom(seed), ...options });
        // Act
        const result = await clock.runUntilSettled(poll.result);
        const callsAtEnd = calls.length;
        clock.increment(24 * 3_600_000);
        await Promise.resolve();
        // Assert
        const lost = calls.findIndex((call) => (call.answer.kind === 'lost-body' || call.answer.kind === 'stalled-body') && isSuccess(call.answer.status) && call.deliveredAt !== undefined);
        const endedLostGrant = result.status === 'rejected' && result.reason instanceof LostGrantError;
        tally.runs += 1;
        if (lost !== -1) tally.lost += 1;
        if (lost === -1) {
          expect(endedLostGrant, 'a LostGrantError with no 2xx answer whose body was lost').toBe(false);
          return;
        }
        expect(calls, 'a request was sent after a 2xx whose body was lost').toHaveLength(lost + 1);
        expect(calls.length).toBe(callsAtEnd);
        expect(result.status).toBe('rejected');
        const error = (result as PromiseRejectedResult).reason as LostGrantError;
        expect(error).toBeInstanceOf(LostGrantError);
        expect(error.code).toBe(ErrorCode.LOST_GRANT);
        expect(error.status).toBe((calls[lost]!.answer as { status: number }).status);
        expect(clock.pendingTimers).toBe(0);
      }),
      { numRuns: RUNS },
    );
    console.info(`lost-grant property: ${tally.runs} runs, ${((100 * tally.lost) / tally.runs).toFixed(1)}% met a 2xx whose body was lost`);
    expect(tally.lost / tally.runs).toBeGreaterThanOrEqual(MIN_LOST_SHARE);
  });


  /**
   * A 2xx whose headers arrived but whose body is still arriving when the driver's request timeout
   * fires: the abort cuts the read, httpRequest turns it into a `bodyError`, and that late answer must
   * still end the flow as a lost grant instead of sending the consumed device code again.
   */
  test('should not resend after a 2xx whose body stalls until the request timeout', async () => {
    // Arrange
    const clock = new ManualClock();
    const calls: number[] = [];
    const stalling: typeof fetch = async (_input, init) => {
      calls.push(clock.now());
      if (calls.length > 1) return new Response('{"error":"invalid_grant"}', { status: 400, headers: JSON_TYPE });
      const signal = init!.signal!;
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(TOKEN_BODY.slice(0, 20)));
          signal.addEventListener('abort', () => controller.error(signal.reason), { once: true }); // as fetch errors the body on abort
        },
      });
      return new Response(body, { status: 200, headers: JSON_TYPE });
    };
    const transport = tokenTransport({ tokenEndpoint: 'http://127.0.0.1:9/token', clientId: 'app', deviceCode: 'dc-secret', fetch: stalling, clock });
    const poll = pollToken<TokenSet>({ transport, clock, intervalSeconds: 1, expiresInSeconds: 300, requestTimeoutMs: 5000 });
    // Act
    const result = await clock.runUntilSettled(poll.result);
    // Assert: before the fix, a second request went out at 6000 + the backoff, and the flow ended OAuthError invalid_grant.
    expect(calls).toEqual([1000]);
    expect(result.status === 'rejected' && result.reason).toBeInstanceOf(LostGrantError);
  });
});

// Helpers

function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}

/**
 * A fetch that answers from the list (then `authorization_pending` for ever), each answer after its
 * latency on the virtual clock, honouring the request's signal as fetch does.
 */
function fakeFetch(clock: ManualClock, answers: readonly HttpAnswer[], calls: FetchCall[]): typeof fetch {
  return (_input, init) => {
    const call: FetchCall = { at: clock.now(), answer: answers[calls.length] ?? PENDING };
    calls.push(call);
    const signal = init?.signal ?? undefined;
    return new Promise<Response>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason as Error);
      const { answer } = call;
      let timer: unknown;
      signal?.addEventListener(
        'abort',
        () => {
          if (timer !== undefined) clock.clearTimeout(timer);
          reject(signal.reason as Error);
        },
        { once: true },
      );
      if (answer.kind === 'hang') return;
      timer = clock.setTimeout(() => {
        timer = undefined;
        call.deliveredAt = clock.now();
        if (answer.kind === 'network-error') reject(Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error(answer.code), { code: answer.code }) }));
        else resolve(toResponse(answer, signal));
      }, answer.latencyMs);
    });
  };
}

/** The Response for a delivered answer; a lost body sends its first bytes, then fails, as a dropped connection does; a stalled one waits for the abort. */
function toResponse(answer: Extract<HttpAnswer, { latencyMs: number; status: number }>, signal: AbortSignal | undefined): Response {
  if (answer.kind === 'answer') return new Response(answer.body, { status: answer.status, headers: answer.headers });
  const whole = new TextEncoder().encode(TOKEN_BODY);
  if (answer.kind === 'stalled-body') {
    const stalled = new ReadableStream<Uint8Array>({
      start(controller) {
        if (answer.sentBytes > 0) controller.enqueue(whole.subarray(0, answer.sentBytes));
        // As fetch does, an abort errors the body still being read.
        signal?.addEventListener('abort', () => controller.error(signal.reason), { once: true });
      },
    });
    return new Response(stalled, { status: answer.status, headers: { ...JSON_TYPE, 'content-length': String(whole.byteLength) } });
  }
  let sent = false;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent || answer.sentBytes === 0) return controller.error(new TypeError('terminated', { cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }) }));
      sent = true;
      controller.enqueue(whole.subarray(0, answer.sentBytes));
    },
  });
  return new Response(body, { status: answer.status, headers: { ...JSON_TYPE, 'content-length': String(whole.byteLength) } });
}
