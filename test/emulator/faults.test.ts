import { describe, expect, test } from 'vitest';
import { ConfigurationError } from '../../src/errors/index.js';
import type { EmulatorFault } from '../../src/testing-emulator.js';
import { authorizeAws, authorizeRfc, call, pollAws, pollRfc, useEmulator } from './helpers.js';

const start = useEmulator();

describe('emulator (faults)', () => {
  describe('should answer an injected fault instead of the request', () => {
    test.each([500, 502, 503, 504] as const)('when server_error %i is injected, with an HTML body', async (status) => {
      const emulator = await start({ intervalSeconds: 0 });
      const { deviceCode } = await authorizeRfc(emulator);
      emulator.inject({ type: 'server_error', status });
      const answer = await pollRfc(emulator, deviceCode);
      expect(answer.status).toBe(status);
      expect(answer.headers.get('content-type')).toBe('text/html');
      expect(answer.text).toMatch(new RegExp(`^<html>.*<h1>${status} `));
    });

    test('when server_error has no status, with 502', async () => {
      const emulator = await start();
      emulator.inject({ type: 'server_error' });
      expect((await pollRfc(emulator, 'dc-x')).status).toBe(502);
    });

    test('when rate_limited is injected, with 429, Retry-After and an empty body', async () => {
      const emulator = await start();
      emulator.inject({ type: 'rate_limited', retryAfterSeconds: 7 });
      emulator.inject({ type: 'rate_limited' });
      const first = await pollRfc(emulator, 'dc-x');
      const second = await pollRfc(emulator, 'dc-x');
      expect([first.status, first.headers.get('retry-after'), first.text]).toEqual([429, '7', '']);
      expect([second.status, second.headers.get('retry-after')]).toEqual([429, '1']);
    });

    test('when hang is injected, nothing comes back until the client gives up', async () => {
      const emulator = await start();
      emulator.inject({ type: 'hang' });
      const outcome = await fetch(`${emulator.url}/token`, { method: 'POST', body: 'a=b', signal: AbortSignal.timeout(100) }).catch((error: unknown) => error);
      expect(outcome).toMatchObject({ name: 'TimeoutError' });
      expect((await pollRfc(emulator, 'dc-x')).status).toBe(400);
      expect(emulator.requests[0]?.status).toBeUndefined();
    });

    test('when reset is injected, fetch rejects', async () => {
      const emulator = await start();
      emulator.inject({ type: 'reset' });
      await expect(fetch(`${emulator.url}/token`, { method: 'POST', body: 'a=b' })).rejects.toThrow(TypeError);
      expect((await pollRfc(emulator, 'dc-x')).status).toBe(400);
    });

    test('when malformed is injected, with a 200 whose JSON is cut short', async () => {
      const emulator = await start();
      emulator.inject({ type: 'malformed' });
      const answer = await pollRfc(emulator, 'dc-x');
      expect(answer.status).toBe(200);
      expect(answer.headers.get('content-type')).toBe('application/json');
      expect(answer.text.startsWith('{"access_token"')).toBe(true);
      expect(() => JSON.parse(answer.text) as unknown).toThrow(SyntaxError);
    });

    test('when oversized is injected, with a 200 of the size asked for (2 MiB by default)', async () => {
      const emulator = await start();
      emulator.inject({ type: 'oversized', bytes: 4096 });
      emulator.inject({ type: 'oversized' });
      const small = await pollRfc(emulator, 'dc-x');
      const big = await fetch(`${emulator.url}/token`, { method: 'POST', body: 'a=b' });
      expect([small.status, small.text.length]).toEqual([200, 4096]);
      expect(JSON.parse(small.text)).toEqual({ padding: expect.any(String) });
      expect([big.status, big.headers.get('content-length')]).toEqual([200, String(2 * 1_048_576)]);
      await big.body?.cancel();
    });

    test.each(['authorization_pending', 'slow_down', undefined] as const)('when github_200 (%s) is injected, with a 200 and an error body', async (error) => {
      const emulator = await start();
      emulator.inject(error === undefined ? { type: 'github_200' } : { type: 'github_200', error });
      const answer = await pollRfc(emulator, 'dc-x');
      expect(answer.status).toBe(200);
      expect(answer.json).toEqual({ error: error ?? 'authorization_pending', error_description: expect.any(String) });
    });
  });

  describe('should match faults by path suffix and count', () => {
    test('when count is 2, only the next two matching requests get it, and other paths are untouched', async () => {
      const emulator = await start({ intervalSeconds: 0 });
      emulator.inject({ type: 'server_error', status: 503 }, { count: 2 });
      const { deviceCode } = await authorizeRfc(emulator);
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await pollRfc(emulator, deviceCode)).status);
      expect(statuses).toEqual([503, 503, 400]);
    });

    test("when the default path '/token' is used, the AWS token endpoint matches too", async () => {
      const emulator = await start({ intervalSeconds: 0 });
      const client = await authorizeAws(emulator);
      emulator.inject({ type: 'rate_limited' });
      expect((await pollAws(emulator, client)).status).toBe(429);
    });

    test('when a path is given, only requests to it get the fault', async () => {
      const emulator = await start();
      emulator.inject({ type: 'server_error', status: 500 }, { path: '/device_authorization' });
      expect((await pollRfc(emulator, 'dc-x')).status).toBe(400);
      expect((await call(`${emulator.url}/device_authorization`, { method: 'POST', body: new URLSearchParams({ client_id: 'tokenpoll-test' }) })).status).toBe(500);
    });
  });

  describe('should leave the state alone on a faulted request', () => {
    test('when a fault answers a poll, it is not counted against the interval and consumes nothing', async () => {
      const emulator = await start({ intervalSeconds: 5 });
      const { deviceCode, userCode } = await authorizeRfc(emulator);
      emulator.approve(userCode);
      emulator.inject({ type: 'malformed' });
      const faulted = await pollRfc(emulator, deviceCode);
      const granted = await pollRfc(emulator, deviceCode);
      expect([faulted.status, granted.status]).toEqual([200, 200]);
      expect(granted.json).toMatchObject({ access_token: expect.any(String) });
      expect(emulator.codes[0]?.status).toBe('consumed');
    });
  });

  describe('should refuse bad injections', () => {
    test.each<[unknown, unknown]>([
      [{ type: 'explode' }, undefined],
      [{ type: 'hang' }, { count: 0 }],
      [{ type: 'hang' }, { path: '' }],
    ])('when inject(%j, %j), with ConfigurationError', async (fault, options) => {
      const emulator = await start();
      expect(() => emulator.inject(fault as EmulatorFault, options as undefined)).toThrow(ConfigurationError);
    });
  });
});
