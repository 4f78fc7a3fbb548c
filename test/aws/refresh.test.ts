import { describe, expect, test } from 'vitest';
import { AwsSsoOidcError, LostGrantError, refreshAwsToken } from '../../src/index.js';
import { ManualClock } from '../../src/testing.js';
import { ACCESS_TOKEN, REFRESH_TOKEN, SECRET, awsError, fakeFetch, granted, type FakeAnswer } from './helpers/fake-fetch.js';

const registration = { clientId: 'client-1', clientSecret: SECRET };

describe('refreshAwsToken', () => {
  describe('should send the refresh-token grant and return the token set', () => {
    test('when AWS answers, the JSON body carries the grant and the answer is normalised', async () => {
      const { run, fake } = refresh([granted], { scopes: ['sso:account:access'] });
      const token = await run;
      expect(fake.calls[0]).toMatchObject({
        path: '/aws/token',
        headers: { 'content-type': 'application/json' },
        body: { clientId: 'client-1', clientSecret: SECRET, grantType: 'refresh_token', refreshToken: 'OLD-refresh', scope: ['sso:account:access'] },
      });
      expect(token).toMatchObject({ accessToken: ACCESS_TOKEN, refreshToken: REFRESH_TOKEN, tokenType: 'Bearer', expiresInSeconds: 28_800 });
    });

    test('when the answer has no new refresh token, the one sent is kept', async () => {
      const { run } = refresh([{ status: 200, body: { accessToken: ACCESS_TOKEN, expiresIn: 3600 } }]);
      expect(await run).toMatchObject({ accessToken: ACCESS_TOKEN, refreshToken: 'OLD-refresh' });
    });
  });

  describe('should retry transient faults only', () => {
    test('when AWS answers InternalServerException then 429, the third request succeeds', async () => {
      const { run, fake, clock } = refresh([awsError('InternalServerException', 500, 'server_error'), { status: 429, body: '' }, granted]);
      expect(await clock.runUntilSettled(run)).toMatchObject({ status: 'fulfilled' });
      expect(fake.calls).toHaveLength(3);
    });

    test('when the refresh token is spent (InvalidGrantException), AwsSsoOidcError is thrown at once without secrets', async () => {
      const { run, fake } = refresh([awsError('InvalidGrantException', 400, 'invalid_grant', 'the refresh token is invalid')]);
      const error = await run.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AwsSsoOidcError);
      expect(error).toMatchObject({ operation: 'CreateToken', error: { code: 'invalid_grant', exception: 'InvalidGrantException' } });
      expect(fake.calls).toHaveLength(1);
      expect(JSON.stringify(error) + String(error)).not.toMatch(/SECRET|OLD-refresh/);
    });

    test('when a 200 cannot be read, LostGrantError is thrown and nothing is resent', async () => {
      const { run, fake } = refresh([{ status: 200, body: '{"accessToken": "trunc' }]);
      await expect(run).rejects.toBeInstanceOf(LostGrantError);
      expect(fake.calls).toHaveLength(1);
    });
  });
});

// Helpers

function refresh(script: FakeAnswer[], extra: { scopes?: string[] } = {}) {
  const clock = new ManualClock();
  const fake = fakeFetch((_path, _body, call) => script[Math.min(call, script.length) - 1]!);
  const run = refreshAwsToken({
    region: 'us-east-1',
    endpoint: 'http://127.0.0.1:9/aws',
    fetch: fake.fetch,
    clock,
    registration,
    refreshToken: 'OLD-refresh',
    retry: { backoff: () => 10 },
    ...extra,
  });
  return { run, fake, clock };
}
