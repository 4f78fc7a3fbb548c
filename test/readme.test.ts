import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { DEVICE_CODE_GRANT_TYPE, loginWithDeviceFlow, pollToken, readHttpResponse, startDeviceLogin, type StateChangeEvent, type TokenSet } from '../src/index.js';
import { deviceFlowArbitraries, ManualClock, scriptedTransport, simulateFlow, startEmulator } from '../src/testing.js';

describe('README', () => {
  test('should hold true: the testing example polls at 5, 10, 20 and 30 s', async () => {
    const token: TokenSet = { accessToken: 'at', raw: {} };
    const clock = new ManualClock();
    const transport = scriptedTransport(
      [{ type: 'authorization_pending' }, { type: 'slow_down' }, { reply: { status: 502, body: '<html>' } }, { type: 'success', token }],
      { clock },
    );
    const poll = pollToken({ transport, clock, intervalSeconds: 5, expiresInSeconds: 900 });
    await clock.runUntilSettled(poll.result);
    expect(transport.requests.map((r) => r.at)).toEqual([5000, 10000, 20000, 30000]);
  });

  test('should hold true: the emulator example logs in through a 502', async () => {
    const emulator = await startEmulator({ intervalSeconds: 0.05, approveOnPoll: 2 });
    try {
      emulator.inject({ type: 'server_error', status: 502 });
      const token = await loginWithDeviceFlow({ issuer: emulator.url, clientId: 'tokenpoll-test' }).result;
      expect(token.accessToken).toEqual(expect.any(String));
      expect(emulator.requests.filter((r) => r.path === '/token').map((r) => r.status)).toContain(502);
    } finally {
      await emulator.close();
    }
  });

  test('should hold true: a provider of your own logs in through startDeviceLogin', async () => {
    const emulator = await startEmulator({ intervalSeconds: 0.05, approveOnPoll: 2 });
    try {
      const login = startDeviceLogin({
        async authorize({ signal }) {
          const response = await fetch(`${emulator.url}/device_authorization`, { method: 'POST', body: new URLSearchParams({ client_id: 'tokenpoll-test' }), signal });
          const answer = (await response.json()) as Record<string, string>;
          return {
            deviceCode: answer['device_code']!,
            userCode: answer['user_code']!,
            verificationUri: answer['verification_uri']!,
            expiresInSeconds: answer['expires_in']!,
            intervalSeconds: answer['interval']!,
            issuedAt: performance.now(),
          };
        },
        transportFor: ({ deviceCode }) => async ({ signal }) => {
          const body = new URLSearchParams({ grant_type: DEVICE_CODE_GRANT_TYPE, device_code: deviceCode, client_id: 'tokenpoll-test' });
          return readHttpResponse(await fetch(`${emulator.url}/token`, { method: 'POST', body, signal }));
        },
      });
      const codes: string[] = [];
      login.on('code', ({ userCode }) => codes.push(userCode));
      const token = await login.result;
      expect(token.accessToken).toEqual(expect.any(String));
      expect(emulator.codes.map((code) => [code.userCode, code.status])).toEqual([[codes[0], 'consumed']]);
    } finally {
      await emulator.close();
    }
  });

  test('should hold true: the arbitraries property holds for any server behaviour', async () => {
    const { script } = deviceFlowArbitraries(fc);
    await fc.assert(
      fc.asyncProperty(script, async (steps) => {
        const clock = new ManualClock();
        const transport = scriptedTransport(steps, { clock, whenExhausted: 'repeat-last' });
        const poll = pollToken({ transport, clock, intervalSeconds: 5, expiresInSeconds: 300 });
        await clock.runUntilSettled(poll.result);
        return transport.maxConcurrent <= 1 && clock.pendingTimers === 0;
      }),
    );
  });

  test('should hold true: the lifecycle diagram has every edge a flow takes', () => {
    const allowed = documentedEdges(readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8'));
    // The documented ones the machine must really take, as a check that the parsing found the diagram.
    expect(allowed).toEqual(expect.arrayContaining(['idle -> pending', 'pending -> slow-down', 'retrying -> pending', 'slow-down -> failed']));
    const { outcome } = deviceFlowArbitraries(fc);
    fc.assert(
      fc.property(fc.array(outcome, { minLength: 1, maxLength: 30 }), fc.option(fc.integer({ min: 0, max: 200_000 }), { nil: undefined }), (script, cancelAt) => {
        const { events } = simulateFlow({ config: { interval: 5, expiresIn: 120, transientRetries: 3 }, script, collectEvents: true, ...(cancelAt === undefined ? {} : { cancelAt }) });
        for (const event of events) {
          if (event.name !== 'stateChange') continue;
          const { from, to } = event.payload as StateChangeEvent;
          expect(allowed).toContain(`${from} -> ${to}`);
        }
      }),
    );
  });
});

// Helpers

/** The status edges the README's mermaid diagram allows, with `active` expanded to its three statuses. */
function documentedEdges(readme: string): string[] {
  const diagram = /```mermaid\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
  const alias = (name: string): string => (name === 'slowdown' ? 'slow-down' : name);
  const active = ['pending', 'slow-down', 'retrying'];
  const edges = new Set<string>(active.map((status) => `${status} -> ${status}`)); // the self-loops the text documents
  for (const [, from, to] of diagram.matchAll(/^\s*(\w+) --> (\w+)/gm)) {
    const froms = from === 'active' ? active : [alias(from!)];
    const tos = to === 'active' ? ['pending'] : [alias(to!)];
    for (const f of froms) for (const t of tos) edges.add(`${f} -> ${t}`);
  }
  return [...edges];
}
