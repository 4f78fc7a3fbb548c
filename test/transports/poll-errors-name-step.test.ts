import { describe, expect, test, vi } from 'vitest';
import {
  ConfigurationError,
  InvalidResponseError,
  RetriesExhaustedError,
  TransportError,
  awsTokenTransport,
  errorFromState,
  loginWithAwsSso,
  loginWithDeviceFlow,
  memoryRegistrationCache,
  pollToken,
  tokenTransport,
  type TokenTransport,
} from '../../src/index.js';
import { ManualClock, seededRandom } from '../../src/testing.js';

/** What undici's fetch throws when the server is gone: a TypeError whose cause carries the code. */
const refused = (): TypeError =>
  Object.assign(new TypeError('fetch failed'), {
    cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED', syscall: 'connect', address: '127.0.0.1', port: 9 }),
  });
/** What fetch throws for a port it will not connect to: no retry can fix it. */
const badPort = (): TypeError => Object.assign(new TypeError('fetch failed'), { cause: new Error('bad port') });

const DEVICE_CODE = 'DEVICE-code-7f3a-secret';
const CLIENT_SECRET = 'CLIENT-secret-5e2b';
const GIVE_UP = 'gave up after 3 consecutive transient faults; the last was network_error: fetch failed (ECONNREFUSED)';

/** A fetch that answers by path: a function of the path decides, a thrown value is rejected. */
function routedFetch(route: (path: string) => Response | (() => unknown)) {
  const paths: string[] = [];
  const fetchImpl = vi.fn(async (input: string | URL | Request) => {
    const path = new URL(String(input instanceof Request ? input.url : input)).pathname;
    paths.push(path);
    const answer = route(path);
    if (typeof answer === 'function') throw answer();
    return answer;
  });
  return { fetch: fetchImpl as unknown as typeof fetch, paths };
}

const json = (body: unknown, status = 200): Response => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

/** Everything an error shows: message, JSON form and the message of its cause. */
function shown(error: Error): string {
  return [error.message, JSON.stringify(error), (error.cause as Error | undefined)?.message ?? ''].join('\n');
}

/** Polls with `transport` on a manual clock (3 faults allowed, 10 ms apart) and returns what the result rejected with. */
async function pollFailure(transport: TokenTransport, clock: ManualClock): Promise<Error> {
  const handle = pollToken({ transport, clock, expiresInSeconds: 600, intervalSeconds: 1, transientRetries: 2, backoff: () => 10, random: seededRandom(1) });
  const settled = await clock.runUntilSettled(handle.result);
  expect(settled.status).toBe('rejected');
  return (settled as PromiseRejectedResult).reason as Error;
}

describe('errors of the poll loop', () => {
  describe('should name the step and the token endpoint when the retries run out', () => {
    test('when the RFC 8628 token endpoint refuses every connection, pollToken rejects with "polling at <endpoint>: gave up …", without the query or a secret', async () => {
      // Arrange
      const clock = new ManualClock();
      const { fetch, paths } = routedFetch(() => refused);
      const transport = tokenTransport({
        tokenEndpoint: 'http://127.0.0.1:9/token?tenant=t-42',
        clientId: 'my-cli',
        clientSecret: CLIENT_SECRET,
        clientAuthentication: 'client_secret_post',
        deviceCode: DEVICE_CODE,
        fetch,
        clock,
      });
      // Act
      const error = (await pollFailure(transport, clock)) as RetriesExhaustedError;
      // Assert
      expect(error).toBeInstanceOf(RetriesExhaustedError);
      expect(error.message).toBe(`polling at http://127.0.0.1:9/token: ${GIVE_UP}`);
      expect(error.operation).toBe('polling at http://127.0.0.1:9/token');
      expect(error.toJSON()).toMatchObject({ operation: 'polling at http://127.0.0.1:9/token', faults: 3 });
      expect(shown(error)).not.toMatch(/DEVICE-code|CLIENT-secret|tenant/);
      expect(paths).toEqual(['/token', '/token', '/token']);
    });

    test('when the token endpoint goes away after the device authorization, loginWithDeviceFlow rejects naming the polling step and its URL', async () => {
      // Arrange
      const clock = new ManualClock();
      const { fetch, paths } = routedFetch((path) =>
        path === '/device'
          ? json({ device_code: DEVICE_CODE, user_code: 'WDJB-MJHT', verification_uri: 'http://127.0.0.1:9/activate', expires_in: 600, interval: 1 })
          : refused,
      );
      // Act
      const login = loginWithDeviceFlow({
        deviceAuthorizationEndpoint: 'http://127.0.0.1:9/device',
        tokenEndpoint: 'http://127.0.0.1:9/token',
        clientId: 'my-cli',
        fetch,
        clock,
        poll: { transientRetries: 2, backoff: () => 10, random: seededRandom(1) },
      });
      const settled = await clock.runUntilSettled(login.result);
      // Assert
      const error = (settled as PromiseRejectedResult).reason as RetriesExhaustedError;
      expect(error).toBeInstanceOf(RetriesExhaustedError);
      expect(error.message).toBe(`polling at http://127.0.0.1:9/token: ${GIVE_UP}`);
      expect(shown(error)).not.toContain('DEVICE-code');
      expect(paths).toEqual(['/device', '/token', '/token', '/token']);
    });

    test('when AWS CreateToken refuses every connection, awsTokenTransport under pollToken names the polling step and the /token URL, without the device code or client secret', async () => {
      // Arrange
      const clock = new ManualClock();
      const { fetch } = routedFetch(() => refused);
      const transport = awsTokenTransport({
        region: 'eu-west-1',
        endpoint: 'http://127.0.0.1:9/aws',
        registration: { clientId: 'client-1', clientSecret: CLIENT_SECRET },
        deviceCode: DEVICE_CODE,
        fetch,
        clock,
      });
      // Act
      const error = (await pollFailure(transport, clock)) as RetriesExhaustedError;
      // Assert
      expect(error).toBeInstanceOf(RetriesExhaustedError);
      expect(error.message).toBe(`polling at http://127.0.0.1:9/aws/token: ${GIVE_UP}`);
      expect(error.operation).toBe('polling at http://127.0.0.1:9/aws/token');
      expect(shown(error)).not.toMatch(/DEVICE-code|CLIENT-secret/);
    });

    test('when the AWS default endpoint is used, the operation names the regional SSO OIDC URL', () => {
      const transport = awsTokenTransport({ region: 'eu-west-1', registration: { clientId: 'c', clientSecret: CLIENT_SECRET }, deviceCode: DEVICE_CODE });
      expect(transport.operation).toBe('polling at https://oidc.eu-west-1.amazonaws.com/token');
    });

    test('when loginWithAwsSso loses CreateToken mid-poll, the login rejects naming the polling step and its URL', async () => {
      // Arrange
      const now = Date.UTC(2026, 0, 1);
      const clock = new ManualClock({ wallEpochMs: now });
      const { fetch, paths } = routedFetch((path) => {
        if (path === '/aws/client/register') {
          return json({ clientId: 'client-1', clientSecret: CLIENT_SECRET, clientIdIssuedAt: now / 1000, clientSecretExpiresAt: now / 1000 + 86_400 });
        }
        if (path === '/aws/device_authorization') {
          return json({ deviceCode: DEVICE_CODE, userCode: 'ABCD-EFGH', verificationUri: 'https://device.sso.eu-west-1.amazonaws.com/', expiresIn: 600, interval: 1 });
        }
        return refused;
      });
      // Act
      const login = loginWithAwsSso({
        region: 'eu-west-1',
        endpoint: 'http://127.0.0.1:9/aws',
        startUrl: 'https://d-1.awsapps.com/start',
        fetch,
        clock,
        cache: memoryRegistrationCache(() => now),
        poll: { transientRetries: 2, backoff: () => 10, random: seededRandom(1) },
      });
      const settled = await clock.runUntilSettled(login.result);
      // Assert
      const error = (settled as PromiseRejectedResult).reason as RetriesExhaustedError;
      expect(error).toBeInstanceOf(RetriesExhaustedError);
      expect(error.message).toBe(`polling at http://127.0.0.1:9/aws/token: ${GIVE_UP}`);
      expect(shown(error)).not.toMatch(/DEVICE-code|CLIENT-secret/);
      expect(paths.filter((p) => p === '/aws/token')).toHaveLength(3);
    });
  });

  describe('should name the step and the token endpoint on the other failures that concern it', () => {
    test('when fetch refuses the token endpoint for good (bad port), the TransportError names the polling step and URL', async () => {
      const clock = new ManualClock();
      const { fetch } = routedFetch(() => badPort);
      const error = await pollFailure(tokenTransport({ tokenEndpoint: 'http://127.0.0.1:9/token', clientId: 'c', deviceCode: DEVICE_CODE, fetch, clock }), clock);
      expect(error).toBeInstanceOf(TransportError);
      expect(error.message).toBe('polling at http://127.0.0.1:9/token: fetch failed: bad port');
    });

    test('when the token endpoint answers 404 without an OAuth error (a wrong URL), the InvalidResponseError names the polling step and URL', async () => {
      const clock = new ManualClock();
      const { fetch } = routedFetch(() => new Response('<h1>Not Found</h1>', { status: 404, headers: { 'content-type': 'text/html' } }));
      const error = (await pollFailure(tokenTransport({ tokenEndpoint: 'http://127.0.0.1:9/oauth/tokn', clientId: 'c', deviceCode: DEVICE_CODE, fetch, clock }), clock)) as InvalidResponseError;
      expect(error).toBeInstanceOf(InvalidResponseError);
      expect(error.message).toBe('polling at http://127.0.0.1:9/oauth/tokn: HTTP 404 without an OAuth error body');
      expect(error.status).toBe(404);
    });
  });

  describe('should take the name from any transport that gives one, and only from there', () => {
    test('when an object transport names itself, its RetriesExhaustedError starts with that name', async () => {
      const clock = new ManualClock();
      const transport = { operation: 'polling at https://idp.example.com/token', request: () => Promise.reject(refused()) };
      const error = (await pollFailure(transport, clock)) as RetriesExhaustedError;
      expect(error.message).toBe(`polling at https://idp.example.com/token: ${GIVE_UP}`);
      expect(error.operation).toBe('polling at https://idp.example.com/token');
    });

    test('when a transport does not name itself, the error is as before: no prefix and no operation', async () => {
      const clock = new ManualClock();
      const error = (await pollFailure(() => Promise.reject(refused()), clock)) as RetriesExhaustedError;
      expect(error.message).toBe(GIVE_UP);
      expect(error.operation).toBeUndefined();
      expect(error.toJSON()).not.toHaveProperty('operation');
    });

    test('when a transport names itself with something other than a string, pollToken throws a ConfigurationError', () => {
      const transport = Object.assign(() => undefined, { operation: 42 }) as unknown as TokenTransport;
      expect(() => pollToken({ transport, expiresInSeconds: 600 })).toThrow(ConfigurationError);
    });

    test('when reading the name throws once the flow fails, the flow still settles, unnamed', async () => {
      const clock = new ManualClock();
      let reads = 0;
      const transport = {
        request: () => Promise.reject(refused()),
        get operation(): string {
          if (++reads > 1) throw new Error('a getter bug');
          return 'polling at https://idp.example.com/token';
        },
      };
      const error = await pollFailure(transport, clock);
      expect(error).toBeInstanceOf(RetriesExhaustedError);
      expect(error.message).toBe(GIVE_UP);
    });

    test('when errorFromState is given an operation, the failures about the endpoint start with it and the others do not change', () => {
      const at = 0;
      const fault = { type: 'network_error', message: 'fetch failed (ECONNREFUSED)' } as const;
      const exhausted = errorFromState({ status: 'failed', failure: { kind: 'retries_exhausted', fault, faults: 11 }, attempt: 11, at }, 0, 'polling at https://a.example/token');
      expect(exhausted.message).toBe('polling at https://a.example/token: gave up after 11 consecutive transient faults; the last was network_error: fetch failed (ECONNREFUSED)');
      const denied = errorFromState({ status: 'denied', error: { code: 'access_denied' }, attempt: 1, at }, 0, 'polling at https://a.example/token');
      expect(denied.message).not.toContain('polling at');
    });
  });
});
