import {
  AuthorizationPendingException,
  CreateTokenCommand,
  InvalidClientException,
  RegisterClientCommand,
  SSOOIDCClient,
  StartDeviceAuthorizationCommand,
} from '@aws-sdk/client-sso-oidc';
import { describe, expect, test } from 'vitest';
import type { Answer } from './helpers.js';
import { AWS_ERROR_NAMESPACE, authorizeAws, DEVICE_CODE_GRANT, pollAws, postJson, useEmulator } from './helpers.js';

const start = useEmulator();

/** Checks the AWS error wire format: the x-amzn-ErrorType header, the status, and `{error, error_description}`. */
function expectAwsError(answer: Answer, name: string, status: number, error: string): void {
  expect(answer.headers.get('x-amzn-errortype')).toBe(`${name}:${AWS_ERROR_NAMESPACE}`);
  expect(answer.status).toBe(status);
  expect(answer.json).toEqual({ error, error_description: expect.any(String) });
}

describe('emulator (AWS SSO OIDC side)', () => {
  describe('should register clients (RegisterClient)', () => {
    test('when asked for a public client, with its id, secret and epoch-second times', async () => {
      const emulator = await start();
      const answer = await postJson(`${emulator.awsEndpoint}/client/register`, { clientName: 'cli', clientType: 'public', scopes: ['sso:account:access'] });
      expect(answer.status).toBe(200);
      const body = answer.json!;
      expect(body).toEqual({ clientId: expect.any(String), clientSecret: expect.any(String), clientIdIssuedAt: expect.any(Number), clientSecretExpiresAt: expect.any(Number) });
      expect(Math.abs((body['clientIdIssuedAt'] as number) - Date.now() / 1000)).toBeLessThan(60);
      expect(body['clientSecretExpiresAt'] as number).toBeGreaterThan(body['clientIdIssuedAt'] as number);
    });

    test('when the request is incomplete or not JSON, with InvalidRequestException or InvalidClientMetadataException', async () => {
      const emulator = await start();
      expectAwsError(await postJson(`${emulator.awsEndpoint}/client/register`, { clientType: 'public' }), 'InvalidRequestException', 400, 'invalid_request');
      expectAwsError(await postJson(`${emulator.awsEndpoint}/client/register`, { clientName: 'x', clientType: 'confidential' }), 'InvalidClientMetadataException', 400, 'invalid_client_metadata');
      expectAwsError(await postJson(`${emulator.awsEndpoint}/client/register`, [1]), 'InvalidRequestException', 400, 'invalid_request');
    });
  });

  describe('should start device authorizations (StartDeviceAuthorization)', () => {
    test('when the client is registered, with camelCase fields', async () => {
      const emulator = await start({ intervalSeconds: 1, expiresInSeconds: 600 });
      const { body, userCode } = await authorizeAws(emulator);
      expect(body).toEqual({
        deviceCode: expect.any(String),
        userCode,
        verificationUri: `${emulator.url}/device`,
        verificationUriComplete: `${emulator.url}/device?user_code=${userCode}`,
        expiresIn: 600,
        interval: 1,
      });
    });

    test('when the client is unknown, with InvalidClientException (401); without startUrl, InvalidRequestException', async () => {
      const emulator = await start();
      expectAwsError(await postJson(`${emulator.awsEndpoint}/device_authorization`, { clientId: 'x', clientSecret: 'y', startUrl: 'https://a' }), 'InvalidClientException', 401, 'invalid_client');
      expectAwsError(await postJson(`${emulator.awsEndpoint}/device_authorization`, { clientId: 'x', clientSecret: 'y' }), 'InvalidRequestException', 400, 'invalid_request');
    });
  });

  describe('should answer CreateToken with the spec table', () => {
    test('when pending (AuthorizationPendingException 400), then approved, then reused (InvalidGrantException 400)', async () => {
      const emulator = await start({ intervalSeconds: 0, accessTokenTtlSeconds: 28_800 });
      const client = await authorizeAws(emulator);
      expectAwsError(await pollAws(emulator, client), 'AuthorizationPendingException', 400, 'authorization_pending');
      emulator.approve(client.userCode);
      const granted = await pollAws(emulator, client);
      expect(granted.status).toBe(200);
      expect(granted.json).toEqual({ accessToken: expect.any(String), tokenType: 'Bearer', expiresIn: 28_800, refreshToken: expect.any(String) });
      expectAwsError(await pollAws(emulator, client), 'InvalidGrantException', 400, 'invalid_grant');
    });

    test('when denied (AccessDeniedException 400) or expired (ExpiredTokenException 400)', async () => {
      const emulator = await start({ intervalSeconds: 0 });
      const denied = await authorizeAws(emulator);
      const expired = await authorizeAws(emulator);
      emulator.deny(denied.userCode);
      emulator.expire(expired.userCode);
      expectAwsError(await pollAws(emulator, denied), 'AccessDeniedException', 400, 'access_denied');
      expectAwsError(await pollAws(emulator, expired), 'ExpiredTokenException', 400, 'expired_token');
    });

    test('when the grant type is unsupported or the device code unknown', async () => {
      const emulator = await start({ intervalSeconds: 0 });
      const { clientId, clientSecret } = await authorizeAws(emulator);
      expectAwsError(await postJson(`${emulator.awsEndpoint}/token`, { clientId, clientSecret, grantType: 'password' }), 'UnsupportedGrantTypeException', 400, 'unsupported_grant_type');
      expectAwsError(await pollAws(emulator, { clientId, clientSecret, deviceCode: 'dc-made-up' }), 'InvalidGrantException', 400, 'invalid_grant');
    });

    test('when the client registrations are expired, with InvalidClientException (401) until it registers again', async () => {
      const emulator = await start({ intervalSeconds: 0 });
      const client = await authorizeAws(emulator);
      emulator.expireClientRegistrations();
      expectAwsError(await pollAws(emulator, client), 'InvalidClientException', 401, 'invalid_client');
      const { clientId, clientSecret } = client;
      expectAwsError(await postJson(`${emulator.awsEndpoint}/device_authorization`, { clientId, clientSecret, startUrl: 'https://a' }), 'InvalidClientException', 401, 'invalid_client');
      const fresh = await authorizeAws(emulator);
      expectAwsError(await pollAws(emulator, fresh), 'AuthorizationPendingException', 400, 'authorization_pending');
    });

    test('when the client registered the openid scope, with an idToken; refresh tokens rotate', async () => {
      const emulator = await start({ intervalSeconds: 0 });
      const client = await authorizeAws(emulator, ['openid']);
      emulator.approve(client.userCode);
      const granted = (await pollAws(emulator, client)).json!;
      expect(granted['idToken']).toMatch(/^[\w-]+\.[\w-]+\.$/);
      const { clientId, clientSecret } = client;
      const refresh = { clientId, clientSecret, grantType: 'refresh_token', refreshToken: granted['refreshToken'] };
      const refreshed = await postJson(`${emulator.awsEndpoint}/token`, refresh);
      expect(refreshed.status).toBe(200);
      expect(refreshed.json).toMatchObject({ accessToken: expect.any(String), refreshToken: expect.any(String) });
      expectAwsError(await postJson(`${emulator.awsEndpoint}/token`, refresh), 'InvalidGrantException', 400, 'invalid_grant');
    });
  });

  describe('should be read correctly by the real AWS SDK', () => {
    test('when @aws-sdk/client-sso-oidc registers, starts, polls and gets its token through awsEndpoint', async () => {
      const emulator = await start({ intervalSeconds: 0 });
      const client = new SSOOIDCClient({ region: 'us-east-1', endpoint: emulator.awsEndpoint, maxAttempts: 1 });
      try {
        const registration = await client.send(new RegisterClientCommand({ clientName: 'sdk', clientType: 'public' }));
        const { clientId, clientSecret } = registration;
        const authorization = await client.send(new StartDeviceAuthorizationCommand({ clientId, clientSecret, startUrl: 'https://example.awsapps.com/start' }));
        const input = { clientId, clientSecret, grantType: DEVICE_CODE_GRANT, deviceCode: authorization.deviceCode };
        const pending = await client.send(new CreateTokenCommand(input)).catch((error: unknown) => error);
        emulator.approve(authorization.userCode!);
        const token = await client.send(new CreateTokenCommand(input));
        emulator.expireClientRegistrations();
        const invalid = await client.send(new CreateTokenCommand(input)).catch((error: unknown) => error);
        expect(pending).toBeInstanceOf(AuthorizationPendingException);
        expect(pending).toMatchObject({ error: 'authorization_pending', $metadata: { httpStatusCode: 400 } });
        expect(token).toMatchObject({ accessToken: expect.any(String), tokenType: 'Bearer', expiresIn: 3600 });
        expect(invalid).toBeInstanceOf(InvalidClientException);
        expect(emulator.requests.map((request) => request.path)).toEqual(['/aws/client/register', '/aws/device_authorization', '/aws/token', '/aws/token', '/aws/token']);
      } finally {
        client.destroy();
      }
    });
  });
});
