import { describe, expect, test } from 'vitest';
import {
  AccessDeniedError,
  AwsSsoOidcError,
  ExpiredTokenError,
  InvalidResponseError,
  LostGrantError,
  OAuthError,
  TransportError,
  refreshAwsToken,
  refreshToken,
  registerAwsClient,
  requestDeviceAuthorization,
  startAwsDeviceAuthorization,
  type RetryEvent,
} from '../../src/index.js';
import { ManualClock } from '../../src/testing.js';

const SECRET = 'SECRET-one-shot-7d2a';

describe('one-shot calls (RFC 8628 and AWS share one implementation)', () => {
  describe('should map each terminal answer to the same typed error on both wires', () => {
    test.each(CALLS)('when $name is answered expired_token, it is ExpiredTokenError (server) after one request', async (call) => {
      // Arrange
      const answer = call.wire === 'rfc' ? { status: 400, body: { error: 'expired_token' } } : awsError('ExpiredTokenException', 400, 'expired_token');
      // Act
      const { error, requests } = await run(call, [answer]);
      // Assert
      expect(error).toBeInstanceOf(ExpiredTokenError);
      expect(error).toMatchObject({ source: 'server', code: 'ERR_EXPIRED_TOKEN' });
      expect(requests).toBe(1);
    });

    test.each(CALLS)('when $name is answered access_denied, it is AccessDeniedError after one request', async (call) => {
      const answer = call.wire === 'rfc' ? { status: 400, body: { error: 'access_denied' } } : awsError('AccessDeniedException', 400, 'access_denied');
      const { error, requests } = await run(call, [answer]);
      expect(error).toBeInstanceOf(AccessDeniedError);
      expect(requests).toBe(1);
    });

    test.each(CALLS)('when $name is answered invalid_client, it is an OAuthError (AwsSsoOidcError naming the call on AWS), without secrets', async (call) => {
      const answer = call.wire === 'rfc' ? { status: 401, body: { error: 'invalid_client' } } : awsError('InvalidClientException', 401, 'invalid_client');
      const { error, requests } = await run(call, [answer]);
      expect(error).toBeInstanceOf(OAuthError);
      expect((error as OAuthError).error).toMatchObject({ code: 'invalid_client', status: 401 });
      if (call.wire === 'aws') expect(error).toMatchObject({ name: 'OAuthError', operation: call.operation, reregisterClient: true });
      else expect(error).not.toBeInstanceOf(AwsSsoOidcError);
      expect((error as Error).message.startsWith(`${call.operation} answered invalid_client`)).toBe(true);
      expect(requests).toBe(1);
      expect(`${String(error)} ${JSON.stringify(error)}`).not.toContain(SECRET);
    });

    test.each(CALLS)('when $name is answered a 404 page, it is an InvalidResponseError with the status after one request', async (call) => {
      const { error, requests } = await run(call, [{ status: 404, body: '<html>Not Found</html>', headers: { 'content-type': 'text/html' } }]);
      expect(error).toBeInstanceOf(InvalidResponseError);
      expect(error).toMatchObject({ status: 404, message: `${call.operation} answered HTTP 404 without an OAuth error body` });
      expect(requests).toBe(1);
    });

    test.each(CALLS)('when fetch throws something that is not a network fault, $name fails with TransportError', async (call) => {
      const { error, requests } = await run(call, [{ status: 0, throws: new Error('a bug in a custom fetch') }]);
      expect(error).toBeInstanceOf(TransportError);
      expect(error).toMatchObject({ message: `the call to ${call.operation} failed: a bug in a custom fetch` });
      expect(requests).toBe(1);
    });
  });

  describe('should retry the same answers on both wires', () => {
    test.each(CALLS)('when $name is answered a 503 and then a 200 with a slow_down error body, both are retried', async (call) => {
      // Arrange
      const slowDown = call.wire === 'rfc' ? { status: 200, body: { error: 'slow_down' } } : awsError('SlowDownException', 400, 'slow_down');
      // Act
      const { value, requests, retries } = await run(call, [{ status: 503, body: '<html>down</html>' }, slowDown, call.success]);
      // Assert
      expect(value).toBeDefined();
      expect(requests).toBe(3);
      expect(retries.map((r) => r.fault.type)).toEqual(['server_error', 'slow_down']);
      expect(retries[1]!.delayMs).toBeGreaterThanOrEqual(5000);
    });
  });

  describe('should treat an unreadable 2xx by whether the call is a grant', () => {
    test.each(CALLS)('when the body of a 200 from $name is cut off, it is retried unless the call is a grant (then LostGrantError)', async (call) => {
      const { error, value, requests } = await run(call, [{ status: 200, body: '{"a', cutOff: true }, call.success]);
      if (call.grant) {
        expect(error).toBeInstanceOf(LostGrantError);
        expect(requests).toBe(1);
      } else {
        expect(value).toBeDefined();
        expect(requests).toBe(2);
      }
    });

    test.each(CALLS)('when a 200 from $name is neither JSON nor a form, it is InvalidResponseError (LostGrantError for a grant), never retried', async (call) => {
      const { error, requests } = await run(call, [{ status: 200, body: '<html>ok</html>', headers: { 'content-type': 'text/html' } }, call.success]);
      expect(error).toBeInstanceOf(call.grant ? LostGrantError : InvalidResponseError);
      expect(error).toMatchObject({ status: 200 });
      expect(requests).toBe(1);
    });

    test.each(CALLS)('when a 200 from $name is over the size cap, it is InvalidResponseError (LostGrantError for a grant), never retried', async (call) => {
      const { error, requests } = await run(call, [{ status: 200, body: { padding: 'x'.repeat(2000) } }, call.success]);
      expect(error).toBeInstanceOf(call.grant ? LostGrantError : InvalidResponseError);
      expect(requests).toBe(1);
    });

    test.each(CALLS.filter((call) => call.grant))('when a 200 from $name holds no access token, it is LostGrantError', async (call) => {
      const { error, requests } = await run(call, [{ status: 200, body: { token_type: 'Bearer' } }]);
      expect(error).toBeInstanceOf(LostGrantError);
      expect((error as Error).message).toContain(`${call.operation} answered without an access token`);
      expect(requests).toBe(1);
    });
  });

  describe('should read the answer the same way on both wires', () => {
    test.each(CALLS.filter((call) => call.kind === 'device authorization'))('when $name sends its seconds as numeric strings, they become numbers', async (call) => {
      const body =
        call.wire === 'rfc'
          ? { device_code: 'd', user_code: 'U', verification_uri: 'https://v.test', expires_in: '600', interval: '5' }
          : { deviceCode: 'd', userCode: 'U', verificationUri: 'https://v.test', expiresIn: '600', interval: '5' };
      const { value } = await run(call, [{ status: 200, body }]);
      expect(value).toMatchObject({ expiresInSeconds: 600, intervalSeconds: 5 });
    });

    test.each(CALLS.filter((call) => call.grant))('when $name answers without a new refresh token, the one sent is kept', async (call) => {
      const { value } = await run(call, [{ status: 200, body: { access_token: 'at-2', accessToken: 'at-2' } }]);
      expect(value).toMatchObject({ accessToken: 'at-2', refreshToken: 'rt-old' });
      expect(Object.isFrozen(value)).toBe(true);
    });
  });
});

// Helpers

interface Answer {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  /** The body stream errors after its first bytes. */
  readonly cutOff?: boolean;
  /** fetch throws this instead of answering. */
  readonly throws?: unknown;
}

interface Settings {
  readonly fetch: typeof fetch;
  readonly clock: ManualClock;
  readonly maxBodyBytes: number;
  readonly onRetry: (event: RetryEvent) => void;
}

interface Call {
  readonly name: string;
  readonly wire: 'rfc' | 'aws';
  /** What errors call it. */
  readonly operation: string;
  readonly kind: 'device authorization' | 'registration' | 'refresh';
  readonly grant: boolean;
  readonly success: Answer;
  start(settings: Settings): Promise<unknown>;
}

const registration = { clientId: 'client-1', clientSecret: SECRET };
const awsSettings = ({ fetch, clock, maxBodyBytes, onRetry }: Settings) => ({
  region: 'us-east-1',
  fetch,
  clock,
  maxBodyBytes,
  retry: { backoff: () => 10, onRetry },
});

const CALLS: readonly Call[] = [
  {
    name: 'RFC 8628 device authorization',
    wire: 'rfc',
    operation: 'the device authorization endpoint',
    kind: 'device authorization',
    grant: false,
    success: { status: 200, body: { device_code: 'd', user_code: 'U', verification_uri: 'https://v.test', expires_in: 600 } },
    start: (s) => requestDeviceAuthorization({ deviceAuthorizationEndpoint: 'https://auth.test/device', clientId: 'cli', clientSecret: SECRET, ...s, backoff: () => 10 }),
  },
  {
    name: 'AWS StartDeviceAuthorization',
    wire: 'aws',
    operation: 'StartDeviceAuthorization',
    kind: 'device authorization',
    grant: false,
    success: { status: 200, body: { deviceCode: 'd', userCode: 'U', verificationUri: 'https://v.test', expiresIn: 600 } },
    start: (s) => startAwsDeviceAuthorization({ ...awsSettings(s), registration, startUrl: 'https://d-1234567890.awsapps.com/start' }),
  },
  {
    name: 'AWS RegisterClient',
    wire: 'aws',
    operation: 'RegisterClient',
    kind: 'registration',
    grant: false,
    success: { status: 200, body: { clientId: 'c', clientSecret: SECRET, clientSecretExpiresAt: 4_000_000_000 } },
    start: (s) => registerAwsClient(awsSettings(s)),
  },
  {
    name: 'the RFC 6749 refresh grant',
    wire: 'rfc',
    operation: 'the token endpoint',
    kind: 'refresh',
    grant: true,
    success: { status: 200, body: { access_token: 'at-2' } },
    start: (s) => refreshToken({ tokenEndpoint: 'https://auth.test/token', clientId: 'cli', clientSecret: SECRET, refreshToken: 'rt-old', ...s, backoff: () => 10 }),
  },
  {
    name: 'the AWS refresh grant',
    wire: 'aws',
    operation: 'CreateToken',
    kind: 'refresh',
    grant: true,
    success: { status: 200, body: { accessToken: 'at-2' } },
    start: (s) => refreshAwsToken({ ...awsSettings(s), registration, refreshToken: 'rt-old' }),
  },
];

function awsError(exception: string, status: number, error: string): Answer {
  return { status, body: { error, error_description: 'from the test' }, headers: { 'x-amzn-errortype': `${exception}:http://internal.amazon.com/coral/com.amazonaws.sso.oidc/` } };
}

/** Runs one call against a scripted fetch (the last answer repeats), on a manual clock. */
async function run(call: Call, script: readonly Answer[]): Promise<{ value: unknown; error: unknown; requests: number; retries: RetryEvent[] }> {
  let requests = 0;
  const retries: RetryEvent[] = [];
  const fetchImpl = async (): Promise<Response> => {
    const answer = script[Math.min(++requests, script.length) - 1]!;
    if (answer.throws !== undefined) throw answer.throws;
    const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body ?? {});
    const headers = { 'content-type': 'application/json', ...answer.headers };
    if (!answer.cutOff) return new Response(text, { status: answer.status, headers });
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(text));
        controller.error(Object.assign(new TypeError('terminated'), { cause: { code: 'UND_ERR_SOCKET' } }));
      },
    });
    return new Response(stream, { status: answer.status, headers });
  };
  const clock = new ManualClock();
  const settled = await clock.runUntilSettled(call.start({ fetch: fetchImpl as typeof fetch, clock, maxBodyBytes: 1000, onRetry: (event) => retries.push(event) }));
  return settled.status === 'fulfilled'
    ? { value: settled.value, error: undefined, requests, retries }
    : { value: undefined, error: settled.reason, requests, retries };
}
