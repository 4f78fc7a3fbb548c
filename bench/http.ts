/**
 * Suite 6 (HTTP), the client:
 *
 *   node http.mjs <port> <runMs> <rounds>
 *
 * Polls the loopback server of bench/http-server.ts with each alternative for
 * <runMs>, in <rounds> interleaved rounds, and counts the polls the server
 * saw. Every alternative uses the global fetch (undici) with its default
 * keep-alive agent, against the same server. Prints one JSON line
 * (`HttpMeasurement`).
 */
import * as oidc from 'openid-client';
import { pollToken, tokenTransport } from '../src/index.js';
import { HTTP_ALTERNATIVES, type HttpAlternativeKey, type HttpMeasurement } from './http-alternatives.js';

const DEVICE_CODE = 'bench-device-code';

type Runner = (endpoint: string, signal: AbortSignal) => Promise<unknown>;

const RUNNERS: Record<HttpAlternativeKey, Runner> = {
  tokenpoll: (endpoint, signal) =>
    pollToken({
      transport: tokenTransport({ tokenEndpoint: endpoint, clientId: 'bench', deviceCode: DEVICE_CODE }),
      intervalSeconds: 0.001,
      expiresInSeconds: 3600,
      firstPoll: 'immediate',
      signal,
    }).result,
  openidClient: (endpoint, signal) => openidClientPoll(endpoint, signal, 0.001),
  openidClientNoWait: (endpoint, signal) => openidClientPoll(endpoint, signal, 0),
  transportLoop: async (endpoint, signal) => {
    const transport = tokenTransport({ tokenEndpoint: endpoint, clientId: 'bench', deviceCode: DEVICE_CODE });
    for (let attempt = 1; !signal.aborted; attempt++) await transport({ signal, attempt });
  },
};

function openidClientPoll(endpoint: string, signal: AbortSignal, interval: number): Promise<unknown> {
  const origin = new URL(endpoint).origin;
  const config = new oidc.Configuration({ issuer: origin, token_endpoint: endpoint, device_authorization_endpoint: `${origin}/device` }, 'bench', undefined, oidc.None());
  oidc.allowInsecureRequests(config);
  const authorization = { device_code: DEVICE_CODE, user_code: 'BENCH', verification_uri: `${origin}/device`, expires_in: 3600, interval };
  return oidc.pollDeviceAuthorizationGrant(config, authorization as oidc.DeviceAuthorizationResponse, undefined, { signal });
}

async function count(origin: string): Promise<number> {
  return Number(await (await fetch(`${origin}/count`)).text());
}

/** Runs one alternative for `runMs`, then aborts it; returns the polls per second the server saw. */
async function measure(key: HttpAlternativeKey, origin: string, runMs: number): Promise<number> {
  const before = await count(origin);
  const controller = new AbortController();
  const began = performance.now();
  const running = RUNNERS[key](`${origin}/token`, controller.signal).then(
    () => {
      throw new Error(`${key}: ended before it was aborted`);
    },
    (error: unknown) => {
      if (!controller.signal.aborted) throw error;
    },
  );
  await new Promise((resolve) => setTimeout(resolve, runMs));
  controller.abort();
  const elapsedMs = performance.now() - began;
  await running;
  return ((await count(origin)) - before) / (elapsedMs / 1000);
}

const [port, runMs = '2000', rounds = '3'] = process.argv.slice(2);
if (!port) throw new Error('usage: http.mjs <port> [runMs] [rounds]');
const origin = `http://127.0.0.1:${port}`;
const keys = Object.keys(HTTP_ALTERNATIVES) as HttpAlternativeKey[];
for (const key of keys) await measure(key, origin, 300); // warm-up: JIT and connections
const rates = Object.fromEntries(keys.map((key) => [key, [] as number[]])) as Record<HttpAlternativeKey, number[]>;
for (let round = 0; round < Number(rounds); round++) {
  for (const key of keys) rates[key].push(await measure(key, origin, Number(runMs)));
}
const result: HttpMeasurement = { runMs: Number(runMs), rounds: Number(rounds), rates };
process.stdout.write(`${JSON.stringify(result)}\n`);
