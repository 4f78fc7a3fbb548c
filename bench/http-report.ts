/**
 * Suite 6 (HTTP): starts the loopback server (bench/http-server.ts) and the
 * client (bench/http.ts), each in its own process, and renders the section
 * of bench/RESULTS.md.
 */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { promisify } from 'node:util';
import { HTTP_ALTERNATIVES, type HttpAlternativeKey, type HttpMeasurement } from './http-alternatives.js';
import { figure, median, OUT_DIR, ratio, table, verdict } from './report.js';

const run = promisify(execFile);

export interface HttpSettings {
  readonly runMs: number;
  readonly rounds: number;
}

export async function runHttp(settings: HttpSettings, log: (line: string) => void): Promise<HttpMeasurement> {
  const server = spawn(process.execPath, [path.join(OUT_DIR, 'http-server.mjs')], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    const [chunk] = (await once(server.stdout, 'data')) as [Buffer];
    const port = chunk.toString().trim();
    log(`http: server on 127.0.0.1:${port}, ${settings.rounds} rounds of ${settings.runMs} ms per alternative`);
    const { stdout } = await run(process.execPath, [path.join(OUT_DIR, 'http.mjs'), port, String(settings.runMs), String(settings.rounds)]);
    const measurement = JSON.parse(stdout.trim().split('\n').at(-1)!) as HttpMeasurement;
    log(`  ${JSON.stringify(measurement)}`);
    return measurement;
  } finally {
    server.stdin.end();
    if (server.exitCode === null) await once(server, 'exit');
  }
}

export function httpSection(measurement: HttpMeasurement): string {
  const keys = Object.keys(HTTP_ALTERNATIVES) as HttpAlternativeKey[];
  const rate = (key: HttpAlternativeKey): number => median(measurement.rates[key]);
  const openidClient = rate('openidClient');
  const tokenpoll = rate('tokenpoll');
  return [
    '## 6. HTTP: polls per second against a loopback server',
    '',
    `Workload: a node:http server on 127.0.0.1, in its own process, answers every token request \`400 {"error":"authorization_pending"}\`. The client process (bench/http.ts) runs each alternative for ${measurement.runMs / 1000} s, ${measurement.rounds} times, rounds interleaved; the server counts the polls. Both libraries use the global \`fetch\` (undici) with its default keep-alive agent, so they share one connection pool setting.`,
    '',
    table(
      ['alternative', 'polls/s (median)', 'each round', 'ratio vs openid-client, same interval'],
      keys.map((key) => [HTTP_ALTERNATIVES[key].label, figure(rate(key)), measurement.rates[key].map((r) => figure(r)).join(', '), ratio(rate(key), openidClient)]),
      [2],
    ),
    '',
    `**Target: at least openid-client's rate.** tokenpoll polls at ${ratio(tokenpoll, openidClient)} openid-client's rate with the same 1 ms interval: ${verdict(tokenpoll >= openidClient)}.${tokenpoll >= openidClient ? '' : ' What would close the gap: the transport builds a request context, an AbortController and a timeout wake-up per request, and reads the body through a size cap; the last row shows what the HTTP path costs without the driver.'}`,
    '',
    '<details><summary>What each row does</summary>',
    '',
    ...keys.map((key) => `- **${HTTP_ALTERNATIVES[key].label}**: ${HTTP_ALTERNATIVES[key].note}`),
    '',
    'With a 1 ms interval, a poll costs one round trip plus a timer of at least 1 ms (Node rounds timers to whole milliseconds), for both libraries alike; the back-to-back rows show the HTTP path alone.',
    '',
    '</details>',
  ].join('\n');
}
