import { describe, expect, test } from 'vitest';
import type { EmulatorOptions } from '../../src/testing-emulator.js';
import { authorizeRfc, pollRfc, postForm, useEmulator } from './helpers.js';

const start = useEmulator();

const CLIENTS: EmulatorOptions['clients'] = [
  { clientId: 'public-app' },
  { clientId: 'basic-app', clientSecret: 's3cret:with/odd chars', authMethod: 'client_secret_basic' },
  { clientId: 'post-app', clientSecret: 'post-secret', authMethod: 'client_secret_post' },
];

/** RFC 6749 §2.3.1: both halves form-encoded, then Base64. */
function basic(id: string, secret: string): Record<string, string> {
  const encode = (text: string): string => encodeURIComponent(text).replace(/%20/g, '+');
  return { authorization: `Basic ${Buffer.from(`${encode(id)}:${encode(secret)}`).toString('base64')}` };
}

describe('emulator (RFC client authentication)', () => {
  describe('should accept each client the way it is configured', () => {
    test('when a public client sends only client_id', async () => {
      const emulator = await start({ clients: CLIENTS, intervalSeconds: 0 });
      const { deviceCode } = await authorizeRfc(emulator, { client_id: 'public-app' });
      expect((await pollRfc(emulator, deviceCode, { client_id: 'public-app' })).json).toMatchObject({ error: 'authorization_pending' });
    });

    test('when a client_secret_basic client sends HTTP Basic credentials (form-encoded halves)', async () => {
      const emulator = await start({ clients: CLIENTS, intervalSeconds: 0 });
      const headers = basic('basic-app', 's3cret:with/odd chars');
      const { deviceCode, userCode } = await authorizeRfc(emulator, {}, headers);
      emulator.approve(userCode);
      expect((await pollRfc(emulator, deviceCode, {}, headers)).status).toBe(200);
    });

    test('when a client_secret_post client sends client_id and client_secret in the body', async () => {
      const emulator = await start({ clients: CLIENTS, intervalSeconds: 0 });
      const credentials = { client_id: 'post-app', client_secret: 'post-secret' };
      const { deviceCode, userCode } = await authorizeRfc(emulator, credentials);
      emulator.approve(userCode);
      expect((await pollRfc(emulator, deviceCode, credentials)).status).toBe(200);
    });
  });

  describe('should answer 401 invalid_client on any mismatch', () => {
    test.each<[string, Record<string, string>, Record<string, string>]>([
      ['no client_id at all', {}, {}],
      ['an unknown client', { client_id: 'nobody' }, {}],
      ['a public client sending a secret', { client_id: 'public-app', client_secret: 'x' }, {}],
      ['a basic client with the wrong secret', {}, basic('basic-app', 'wrong')],
      ['a basic client sending its secret in the body', { client_id: 'basic-app', client_secret: 's3cret:with/odd chars' }, {}],
      ['a post client using HTTP Basic', {}, basic('post-app', 'post-secret')],
      ['a post client with the wrong secret', { client_id: 'post-app', client_secret: 'wrong' }, {}],
      ['a post client with no secret', { client_id: 'post-app' }, {}],
      ['a body client_id that differs from the header', { client_id: 'post-app' }, basic('basic-app', 's3cret:with/odd chars')],
      ['an Authorization header that is not Basic', { client_id: 'public-app' }, { authorization: 'Bearer abc' }],
    ])('when the request comes from %s', async (_, params, headers) => {
      const emulator = await start({ clients: CLIENTS });
      for (const path of ['/device_authorization', '/token']) {
        const answer = await postForm(`${emulator.url}${path}`, { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: 'dc-x', ...params }, headers);
        expect(answer.status).toBe(401);
        expect(answer.headers.get('www-authenticate')).toMatch(/^Basic /);
        expect(answer.json).toEqual({ error: 'invalid_client', error_description: expect.any(String) });
        expect(answer.text).not.toContain('post-secret');
      }
    });
  });

  describe('should tie a device code to its client', () => {
    test("when another client polls with someone else's device code, with invalid_grant", async () => {
      const emulator = await start({ clients: CLIENTS, intervalSeconds: 0 });
      const { deviceCode, userCode } = await authorizeRfc(emulator, { client_id: 'public-app' });
      emulator.approve(userCode);
      const answer = await pollRfc(emulator, deviceCode, { client_id: 'post-app', client_secret: 'post-secret' });
      expect([answer.status, answer.json?.['error']]).toEqual([400, 'invalid_grant']);
      expect((await pollRfc(emulator, deviceCode, { client_id: 'public-app' })).status).toBe(200);
    });
  });
});
