import { describe, expect, test, vi } from 'vitest';
import { RetriesExhaustedError, TransportError, classifyThrown, discover, registerAwsClient, requestDeviceAuthorization } from '../../src/index.js';
import { ManualClock } from '../../src/testing.js';

/** What undici's fetch throws, by the code of its cause. */
const fetchFailed = (cause: Record<string, unknown>): TypeError => Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error(String(cause['message'] ?? '')), cause) });
const notFound = (): TypeError => fetchFailed({ message: 'getaddrinfo ENOTFOUND auth.example.invalid', code: 'ENOTFOUND', syscall: 'getaddrinfo', hostname: 'auth.example.invalid' });
const tryAgain = (): TypeError => fetchFailed({ message: 'getaddrinfo EAI_AGAIN auth.example.test', code: 'EAI_AGAIN', syscall: 'getaddrinfo' });

/** Runs a call on a manual clock against a fetch that always throws `thrown()`. */
async function failing(thrown: () => unknown, start: (s: { fetch: typeof fetch; clock: ManualClock }) => Promise<unknown>) {
  const clock = new ManualClock();
  const fetchImpl = vi.fn(() => Promise.reject(thrown()));
  const settled = await clock.runUntilSettled(start({ fetch: fetchImpl as typeof fetch, clock }));
  return { error: (settled as PromiseRejectedResult).reason as Error, requests: fetchImpl.mock.calls.length, elapsedMs: clock.now() };
}

describe('network errors of one-shot calls', () => {
  describe('should not retry a failure no retry can fix', () => {
    test.each([
      ['http://127.0.0.1:6000', 'bad port'],
      ['http://127.0.0.1:1', 'bad port'],
    ])("when fetch refuses %s as a '%s' (real undici), discovery fails after one request, naming the step and URL", async (issuer, reason) => {
      // Arrange: real fetch, which refuses these ports before any socket is opened.
      const clock = new ManualClock();
      // Act
      const settled = await clock.runUntilSettled(discover(issuer, { clock }));
      // Assert
      const error = (settled as PromiseRejectedResult).reason as TransportError;
      expect(error).toBeInstanceOf(TransportError);
      expect(error.message).toBe(`discovery at ${issuer}/.well-known/oauth-authorization-server: fetch failed: ${reason}; not retried`);
      expect(clock.now()).toBe(0);
    });

    test('when the host name does not exist (ENOTFOUND), discovery fails after one request, naming the step and URL', async () => {
      const { error, requests, elapsedMs } = await failing(notFound, (s) => discover('https://auth.example.invalid', s));
      expect(error).toBeInstanceOf(TransportError);
      expect(error.message).toBe('discovery at https://auth.example.invalid/.well-known/oauth-authorization-server: the host name was not found (ENOTFOUND); not retried');
      expect([requests, elapsedMs]).toEqual([1, 0]);
    });

    test('when RegisterClient meets ENOTFOUND (a wrong region), it fails after one request, naming the call and URL', async () => {
      const { error, requests } = await failing(notFound, (s) => registerAwsClient({ region: 'us-east-1', ...s }));
      expect(error).toBeInstanceOf(TransportError);
      expect(error.message).toMatch(/^RegisterClient at https:\/\/oidc\.us-east-1\.amazonaws\.com\/client\/register: the host name was not found \(ENOTFOUND\)/);
      expect(requests).toBe(1);
    });

    test.each([
      ['bad port', fetchFailed({ message: 'bad port' })],
      ['unknown scheme', fetchFailed({ message: 'unknown scheme' })],
      ['invalid URL', Object.assign(new TypeError('Failed to parse URL from http://[::1'), { cause: Object.assign(new TypeError('Invalid URL'), { code: 'ERR_INVALID_URL' }) })],
    ])('when the classifier sees fetch fail with %s, it is a transport_error, not a network_error', (_, thrown) => {
      expect(classifyThrown(thrown)).toMatchObject({ type: 'transport_error' });
    });
  });

  describe('should keep retrying what may pass, and name the step and URL when it gives up', () => {
    test('when the resolver cannot answer now (EAI_AGAIN), the device authorization request is retried, then gives up naming the step and URL', async () => {
      const { error, requests } = await failing(tryAgain, (s) =>
        requestDeviceAuthorization({ deviceAuthorizationEndpoint: 'https://auth.example.test/device', clientId: 'c', ...s, backoff: () => 10 }),
      );
      expect(error).toBeInstanceOf(RetriesExhaustedError);
      expect(error.message).toBe(
        'the device authorization endpoint at https://auth.example.test/device: gave up after 5 consecutive transient faults; the last was network_error: fetch failed (EAI_AGAIN)',
      );
      expect(requests).toBe(5);
    });

    test('when the poll loop classifies ENOTFOUND, it stays a transient network_error (its host resolved a moment ago)', () => {
      expect(classifyThrown(notFound())).toMatchObject({ type: 'network_error', message: 'fetch failed (ENOTFOUND)' });
    });
  });
});
