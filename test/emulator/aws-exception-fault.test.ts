import { AccessDeniedException, SSOOIDCClient, SlowDownException, StartDeviceAuthorizationCommand } from '@aws-sdk/client-sso-oidc';
import { describe, expect, test } from 'vitest';
import { ConfigurationError } from '../../src/errors/index.js';
import type { EmulatorFault } from '../../src/testing-emulator.js';
import { AWS_ERROR_NAMESPACE, authorizeAws, pollAws, postJson, useEmulator } from './helpers.js';

const start = useEmulator();

describe('emulator (aws_exception fault)', () => {
  describe('should answer an AWS exception with the header, body and status AWS sends', () => {
    test.each([
      ['SlowDownException', 'slow_down', 400],
      ['InternalServerException', 'server_error', 500],
      ['AccessDeniedException', 'access_denied', 400],
      ['InvalidClientException', 'invalid_client', 401],
      ['InvalidScopeException', 'invalid_scope', 400],
      ['UnauthorizedClientException', 'unauthorized_client', 400],
    ])('when %s is injected, with its error code %s and HTTP %i', async (name, error, status) => {
      const emulator = await start({ intervalSeconds: 0 });
      const client = await authorizeAws(emulator);
      emulator.inject({ type: 'aws_exception', name });
      const answer = await pollAws(emulator, client);
      expect(answer.status).toBe(status);
      expect(answer.headers.get('x-amzn-errortype')).toBe(`${name}:${AWS_ERROR_NAMESPACE}`);
      expect(answer.headers.get('content-type')).toBe('application/json');
      expect(answer.json).toEqual({ error, error_description: expect.stringContaining(name) });
    });

    test('when a reason and a status are given, the body carries the reason and the status replaces the usual one', async () => {
      const emulator = await start({ intervalSeconds: 0 });
      const client = await authorizeAws(emulator);
      emulator.inject({ type: 'aws_exception', name: 'AccessDeniedException', reason: 'KMS_AccessDeniedException' });
      emulator.inject({ type: 'aws_exception', name: 'InternalServerException', status: 503 });
      const denied = await pollAws(emulator, client);
      const unavailable = await pollAws(emulator, client);
      expect([denied.status, denied.json]).toEqual([400, { error: 'access_denied', error_description: expect.any(String), reason: 'KMS_AccessDeniedException' }]);
      expect([unavailable.status, unavailable.json?.['error']]).toEqual([503, 'server_error']);
    });

    test('when the name is not in the spec\'s table, its error code is the name in snake_case, with 400', async () => {
      const emulator = await start();
      emulator.inject({ type: 'aws_exception', name: 'ThrottlingException' });
      const answer = await postJson(`${emulator.awsEndpoint}/token`, {});
      expect([answer.status, answer.json?.['error'], answer.headers.get('x-amzn-errortype')]).toEqual([400, 'throttling', `ThrottlingException:${AWS_ERROR_NAMESPACE}`]);
    });

    test('when it answers StartDeviceAuthorization, the real SDK throws the exception class, and the state is untouched', async () => {
      const emulator = await start();
      const { clientId, clientSecret } = await authorizeAws(emulator);
      emulator.inject({ type: 'aws_exception', name: 'SlowDownException' }, { path: '/aws/device_authorization' });
      emulator.inject({ type: 'aws_exception', name: 'AccessDeniedException', reason: 'KMS_AccessDeniedException' }, { path: '/aws/device_authorization' });
      const sdk = new SSOOIDCClient({ region: 'us-east-1', endpoint: emulator.awsEndpoint, maxAttempts: 1 });
      try {
        const command = (): StartDeviceAuthorizationCommand => new StartDeviceAuthorizationCommand({ clientId, clientSecret, startUrl: 'https://d-1.awsapps.com/start' });
        const slowDown = await sdk.send(command()).catch((e: unknown) => e);
        const denied = await sdk.send(command()).catch((e: unknown) => e);
        expect(slowDown).toBeInstanceOf(SlowDownException);
        expect(slowDown).toMatchObject({ error: 'slow_down', $metadata: { httpStatusCode: 400 } });
        expect(denied).toBeInstanceOf(AccessDeniedException);
        expect(denied).toMatchObject({ error: 'access_denied', reason: 'KMS_AccessDeniedException' });
        expect((await sdk.send(command())).userCode).toEqual(expect.any(String));
        expect(emulator.codes).toHaveLength(2); // authorizeAws's and the last one: the faulted calls issued none
      } finally {
        sdk.destroy();
      }
    });
  });

  describe('should refuse bad aws_exception faults', () => {
    test.each<[unknown]>([
      [{ type: 'aws_exception' }],
      [{ type: 'aws_exception', name: '' }],
      [{ type: 'aws_exception', name: 'Bad Name\r\nx-injected: 1' }],
      [{ type: 'aws_exception', name: 'SlowDownException', status: 99 }],
      [{ type: 'aws_exception', name: 'SlowDownException', status: 400.5 }],
      [{ type: 'aws_exception', name: 'SlowDownException', reason: 42 }],
    ])('when inject(%j), with ConfigurationError', async (fault) => {
      const emulator = await start();
      expect(() => emulator.inject(fault as EmulatorFault)).toThrow(ConfigurationError);
    });
  });
});
