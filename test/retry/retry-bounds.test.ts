import { describe, expect, test, vi } from 'vitest';
import {
  ConfigurationError,
  RetriesExhaustedError,
  RetryAfterTooLongError,
  TransientFaultError,
  awsSsoPortal,
  discover,
  refreshAwsToken,
  refreshToken,
  registerAwsClient,
  requestDeviceAuthorization,
  retry,
  startAwsDeviceAuthorization,
  type OneShotRetryEvent,
} from '../../src/index.js';
import { ManualClock } from '../../src/testing.js';

const SECRET = 'SECRET-retry-bounds-91c4';
/** What a hostile server sends: about 31.7 years. */
const HOSTILE_RETRY_AFTER = '1000000000';

const throttled = (retryAfterMs: number) => ({ type: 'rate_limited', status: 429, message: 'HTTP 429', retryAfterMs }) as const;
const reset = (): Error => Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }) });

describe('retry() bounds every wait', () => {
  describe('should refuse a Retry-After above the ceiling at once, with a typed error saying what was asked', () => {
    test('when the server asks for 1e9 seconds, it rejects with RetryAfterTooLongError after one attempt and no wait', async () => {
      // Arrange
      const clock = new ManualClock();
      const fn = vi.fn().mockRejectedValueOnce(new Error('throttled')).mockResolvedValue('ok');
      // Act
      const settled = await clock.runUntilSettled(retry(fn, { clock, classify: () => throttled(1e12), operation: 'discovery at https://auth.test/x' }));
      // Assert
      const error = (settled as PromiseRejectedResult).reason as RetryAfterTooLongError;
      expect(error).toBeInstanceOf(RetryAfterTooLongError);
      expect(error).toMatchObject({ code: 'ERR_RETRY_AFTER_TOO_LONG', retryAfterMs: 1e12, limitMs: 60_000, limit: 'maxDelayMs', operation: 'discovery at https://auth.test/x' });
      expect(error.message).toBe(
        'discovery at https://auth.test/x: the server answered HTTP 429 and asked to wait 1000000000 s (Retry-After), longer than the ceiling of 60 s on one wait (maxDelayMs)',
      );
      expect(error.cause).toBeInstanceOf(TransientFaultError);
      expect(error.toJSON()).toMatchObject({ name: 'RetryAfterTooLongError', retryAfterMs: 1e12, limitMs: 60_000 });
      expect(fn).toHaveBeenCalledTimes(1);
      expect(clock.now()).toBe(0);
      expect(clock.pendingTimers).toBe(0);
    });

    test('when maxDelayMs is raised, a Retry-After under it is honoured in full', async () => {
      const clock = new ManualClock();
      const fn = vi.fn().mockRejectedValueOnce(new Error('throttled')).mockResolvedValue('ok');
      const settled = await clock.runUntilSettled(retry(fn, { clock, classify: () => throttled(90_000), maxDelayMs: 100_000, backoff: () => 0 }));
      expect(settled).toEqual({ status: 'fulfilled', value: 'ok' });
      expect(clock.now()).toBe(90_000);
    });

    test('when a Retry-After fits the ceiling but not what is left of the deadline, the error names the deadline', async () => {
      const clock = new ManualClock();
      const fn = vi.fn().mockRejectedValue(new Error('throttled'));
      const settled = await clock.runUntilSettled(retry(fn, { clock, classify: () => throttled(50_000), maxRetryTimeMs: 40_000 }));
      const error = (settled as PromiseRejectedResult).reason as RetryAfterTooLongError;
      expect(error).toMatchObject({ name: 'RetryAfterTooLongError', retryAfterMs: 50_000, limitMs: 40_000, limit: 'maxRetryTimeMs', operation: undefined });
      expect(error.message).toBe(
        "the call: the server answered HTTP 429 and asked to wait 50 s (Retry-After), longer than the 40 s left before the call's deadline (maxRetryTimeMs)",
      );
      expect(fn).toHaveBeenCalledTimes(1);
    });
  });

  describe('should bound the whole call and each backoff wait by default', () => {
    test('when every attempt fails and the retries are plenty, it gives up by the 2-minute default deadline', async () => {
      const clock = new ManualClock();
      const fn = vi.fn().mockRejectedValue(reset());
      const settled = await clock.runUntilSettled(retry(fn, { clock, retries: 1000, backoff: () => 50_000 }));
      expect((settled as PromiseRejectedResult).reason).toBeInstanceOf(RetriesExhaustedError);
      expect(clock.now()).toBeLessThanOrEqual(120_000);
      expect(fn).toHaveBeenCalledTimes(3);
    });

    test('when a custom backoff asks for 31 years, the wait is cut to the 60 s ceiling', async () => {
      const clock = new ManualClock();
      const events: OneShotRetryEvent[] = [];
      const fn = vi.fn().mockRejectedValueOnce(reset()).mockResolvedValue('ok');
      const settled = await clock.runUntilSettled(retry(fn, { clock, backoff: () => 1e12, onRetry: (e) => events.push(e), operation: 'RegisterClient at https://oidc.test/client/register' }));
      expect(settled).toEqual({ status: 'fulfilled', value: 'ok' });
      expect(clock.now()).toBe(60_000);
      expect(events).toEqual([
        { fault: { type: 'network_error', message: 'fetch failed (ECONNRESET)' }, attempt: 1, faults: 1, delayMs: 60_000, retriesLeft: 3, operation: 'RegisterClient at https://oidc.test/client/register' },
      ]);
    });

    test('when the retries run out, the error names the call', async () => {
      const clock = new ManualClock();
      const settled = await clock.runUntilSettled(retry(() => Promise.reject(reset()), { clock, retries: 1, backoff: () => 10, operation: 'discovery at https://auth.test/.well-known/x' }));
      expect((settled as PromiseRejectedResult).reason).toMatchObject({
        name: 'RetriesExhaustedError',
        operation: 'discovery at https://auth.test/.well-known/x',
        message: 'discovery at https://auth.test/.well-known/x: gave up after 2 consecutive transient faults; the last was network_error: fetch failed (ECONNRESET)',
      });
    });

    test.each([
      ['maxDelayMs', -1],
      ['maxDelayMs', Number.NaN],
      ['maxRetryTimeMs', -5],
      ['maxRetryTimeMs', '60' as unknown as number],
    ])('when %s is %s, it throws ConfigurationError before any attempt', async (option, value) => {
      const fn = vi.fn();
      await expect(retry(fn, { [option]: value })).rejects.toThrow(ConfigurationError);
      expect(fn).not.toHaveBeenCalled();
    });
  });
});

/** Every one-shot call path, each against a fetch that always answers 503 with a hostile Retry-After. */
const PATHS: readonly { name: string; operation: RegExp; start: (s: Settings) => Promise<unknown> }[] = [
  { name: 'discovery', operation: /^discovery at https:\/\/auth\.test\/\.well-known\/oauth-authorization-server: /, start: (s) => discover('https://auth.test', s) },
  {
    name: 'RFC 8628 device authorization',
    operation: /^the device authorization endpoint at https:\/\/auth\.test\/device: /,
    start: (s) => requestDeviceAuthorization({ deviceAuthorizationEndpoint: 'https://auth.test/device', clientId: 'cli', clientSecret: SECRET, ...s }),
  },
  {
    name: 'the RFC 6749 refresh grant',
    operation: /^the token endpoint at https:\/\/auth\.test\/token: /,
    start: (s) => refreshToken({ tokenEndpoint: 'https://auth.test/token', clientId: 'cli', clientSecret: SECRET, refreshToken: SECRET, ...s }),
  },
  { name: 'AWS RegisterClient', operation: /^RegisterClient at https:\/\/oidc\.us-east-1\.amazonaws\.com\/client\/register: /, start: (s) => registerAwsClient(aws(s)) },
  {
    name: 'AWS StartDeviceAuthorization',
    operation: /^StartDeviceAuthorization at https:\/\/oidc\.us-east-1\.amazonaws\.com\/device_authorization: /,
    start: (s) => startAwsDeviceAuthorization({ ...aws(s), registration: { clientId: 'c', clientSecret: SECRET }, startUrl: 'https://d-1234567890.awsapps.com/start' }),
  },
  {
    name: 'the AWS refresh grant',
    operation: /^CreateToken at https:\/\/oidc\.us-east-1\.amazonaws\.com\/token: /,
    start: (s) => refreshAwsToken({ ...aws(s), registration: { clientId: 'c', clientSecret: SECRET }, refreshToken: SECRET }),
  },
  {
    name: 'the SSO portal ListAccounts',
    operation: /^ListAccounts at https:\/\/portal\.sso\.us-east-1\.amazonaws\.com\/assignment\/accounts: /,
    start: (s) => awsSsoPortal({ ...aws(s), token: SECRET }).listAccounts(),
  },
  {
    name: 'the SSO portal GetRoleCredentials',
    operation: /^GetRoleCredentials at https:\/\/portal\.sso\.us-east-1\.amazonaws\.com\/federation\/credentials: /,
    start: (s) => awsSsoPortal({ ...aws(s), token: SECRET }).getRoleCredentials({ accountId: '123456789012', roleName: 'Admin' }),
  },
];

interface Settings {
  readonly fetch: typeof fetch;
  readonly clock: ManualClock;
}

function aws(s: Settings): { region: string; fetch: typeof fetch; clock: ManualClock } {
  return { region: 'us-east-1', fetch: s.fetch, clock: s.clock };
}

describe('every one-shot call inherits the ceiling', () => {
  test.each(PATHS)('when $name is answered 503 with Retry-After: 1000000000, it rejects with RetryAfterTooLongError after one request', async ({ start, operation }) => {
    // Arrange
    const clock = new ManualClock();
    const fetchImpl = vi.fn(async () => new Response('', { status: 503, headers: { 'retry-after': HOSTILE_RETRY_AFTER } }));
    // Act
    const settled = await clock.runUntilSettled(start({ fetch: fetchImpl as typeof fetch, clock }));
    // Assert
    const error = (settled as PromiseRejectedResult).reason as RetryAfterTooLongError;
    expect(error).toBeInstanceOf(RetryAfterTooLongError);
    expect(error).toMatchObject({ retryAfterMs: 1e12, limitMs: 60_000 });
    expect(error.message).toMatch(operation);
    expect(error.message).toContain('asked to wait 1000000000 s (Retry-After)');
    expect(`${error.message} ${JSON.stringify(error)}`).not.toContain(SECRET);
    expect(fetchImpl).toHaveBeenCalledTimes(1);
    expect(clock.now()).toBe(0);
  });
});
