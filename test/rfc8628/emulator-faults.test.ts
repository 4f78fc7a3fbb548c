import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { LostGrantError, ResponseTooLargeError, RetriesExhaustedError, type RetryEvent, type TokenSet } from '../../src/index.js';
import { startEmulator, type Emulator, type EmulatorFault } from '../../src/testing-emulator.js';
import { reasonOf, runEmulatorLogin, type EmulatorRun } from './emulator-login.js';
import { outcomeOf, scenarioTable } from './scenarios.js';

const table = scenarioTable('The emulator, with injected faults (approved before the first poll)');
let emulator: Emulator | undefined;

async function start(): Promise<Emulator> {
  emulator = await startEmulator({ intervalSeconds: 0.05 });
  return emulator;
}

afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});
afterAll(() => table.print());

describe('rfc8628 against the emulator with faults', () => {
  describe('should wait out each transient fault and still get the token', () => {
    test.each<[string, EmulatorFault, number, string]>([
      ['two 503s with HTML bodies', { type: 'server_error', status: 503 }, 2, 'server_error'],
      ['one 502 with an HTML body', { type: 'server_error' }, 1, 'server_error'],
      ['a 429 with Retry-After: 1', { type: 'rate_limited', retryAfterSeconds: 1 }, 1, 'rate_limited'],
      ['a hung request (request timeout)', { type: 'hang' }, 1, 'timeout'],
      ['two reset connections', { type: 'reset' }, 2, 'network_error'],
    ])('when the token endpoint answers %s', async (label, fault, count, faultType) => {
      // Arrange
      const server = await start();
      server.inject(fault, { count });
      // Act
      const run = await runEmulatorLogin(server, { user: 'approve-on-code', login: { requestTimeoutMs: 150 } });
      // Assert
      record(`fault: ${label}`, run);
      expect(run.settled.status).toBe('fulfilled');
      const retries = retryEvents(run);
      expect(retries.map((r) => r.fault.type)).toEqual(Array(count).fill(faultType));
      expect(run.tokenRequests).toBe(count + 1);
      if (fault.type === 'rate_limited') expect(retries[0]!.delayMs).toBeGreaterThanOrEqual(999); // Retry-After: 1 s (computed on performance.now(), so 999.99…)
      expect(server.codes[0]!.status).toBe('consumed');
    });

    test("when GitHub-style 200 answers say authorization_pending, they count as pending", async () => {
      const server = await start();
      server.inject({ type: 'github_200' }, { count: 2 });
      const run = await runEmulatorLogin(server, { user: 'approve-on-code' });
      record('fault: two GitHub 200 authorization_pending', run);
      expect(run.settled.status).toBe('fulfilled');
      expect(run.events.filter((e) => e.name === 'pending')).toHaveLength(2);
      expect(retryEvents(run)).toHaveLength(0);
    });

    test('when the device authorization and discovery requests fail transiently, they are retried', async () => {
      const server = await start();
      server.inject({ type: 'server_error', status: 504 }, { path: '/.well-known/oauth-authorization-server' });
      server.inject({ type: 'reset' }, { path: '/device_authorization', count: 2 });
      const run = await runEmulatorLogin(server, { user: 'approve-on-code' });
      record('fault: 504 on discovery, two resets on device authorization', run);
      expect(run.settled.status).toBe('fulfilled');
      expect(run.deviceAuthorizations).toBe(3);
    });
  });

  describe('should never retry an unreadable success', () => {
    test.each<[string, EmulatorFault]>([
      ['a malformed 200', { type: 'malformed' }],
      ['an oversized 200 (2 MiB, above the 1 MiB cap)', { type: 'oversized' }],
    ])('when the token endpoint answers %s, the login fails with LostGrantError after one request', async (label, fault) => {
      const server = await start();
      server.inject(fault);
      const run = await runEmulatorLogin(server, { user: 'approve-on-code' });
      record(`fault: ${label}`, run);
      const error = reasonOf(run) as LostGrantError;
      expect(error).toBeInstanceOf(LostGrantError);
      expect(error.status).toBe(200);
      expect(run.tokenRequests).toBe(1);
    });

    test('when the token endpoint streams an oversized 200 chunked (no Content-Length), the streaming cap stops it: LostGrantError after one request', async () => {
      // Arrange: 2 MiB sent with Transfer-Encoding: chunked, so only the cap on the bytes read can stop it.
      const server = await start();
      server.inject({ type: 'oversized', chunked: true });
      const heads: { contentLength: string | null; transferEncoding: string | null }[] = [];
      const watchingFetch: typeof fetch = async (input, init) => {
        const response = await fetch(input, init);
        if (String(input).endsWith('/token')) heads.push({ contentLength: response.headers.get('content-length'), transferEncoding: response.headers.get('transfer-encoding') });
        return response;
      };
      // Act
      const run = await runEmulatorLogin(server, { user: 'approve-on-code', login: { fetch: watchingFetch } });
      // Assert
      record('fault: an oversized 200 streamed chunked (2 MiB, no Content-Length)', run);
      expect(heads[0]).toEqual({ contentLength: null, transferEncoding: 'chunked' });
      const error = reasonOf(run) as LostGrantError;
      expect(error).toBeInstanceOf(LostGrantError);
      expect(error.status).toBe(200);
      // Stopped while streaming (no length to check up front), not after reading it all.
      expect(error.cause).toBeInstanceOf(ResponseTooLargeError);
      expect((error.cause as Error).message).toContain('over the cap');
      expect(run.tokenRequests).toBe(1);
      expect(run.events.filter((e) => e.name === 'retry')).toHaveLength(0);
    });
  });

  describe('should give up when transient faults outlast the budget', () => {
    test('when every request fails, after transientRetries + 1 requests', async () => {
      const server = await start();
      server.inject({ type: 'server_error', status: 500 }, { count: 50 });
      const run = await runEmulatorLogin(server, { user: 'approve-on-code', login: { poll: { transientRetries: 3 } } });
      record('fault: 500 on every poll, transientRetries 3', run);
      expect(reasonOf(run)).toBeInstanceOf(RetriesExhaustedError);
      expect(run.tokenRequests).toBe(4);
    });
  });
});

// Helpers

function record(scenario: string, run: EmulatorRun): void {
  table.add({ scenario, outcome: outcomeOf(run.settled as PromiseSettledResult<TokenSet>), requests: run.tokenRequests, approvalToTokenMs: run.approvalToTokenMs });
}

function retryEvents(run: EmulatorRun): RetryEvent[] {
  return run.events.filter((e) => e.name === 'retry').map((e) => e.payload as RetryEvent);
}
