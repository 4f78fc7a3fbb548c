import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import ts from 'typescript';
import { describe, expect, test } from 'vitest';
import { DEVICE_CODE_GRANT_TYPE, loginWithDeviceFlow, pollToken, readHttpResponse, startDeviceLogin, type StateChangeEvent, type TokenSet } from '../src/index.js';
import { ManualClock, scriptedTransport, simulateFlow } from '../src/testing.js';
import { deviceFlowArbitraries } from '../src/testing-arbitraries.js';
import { startEmulator } from '../src/testing-emulator.js';

const root = join(import.meta.dirname, '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

describe('README', () => {
  test('should be a page a user reads: under 15 KB, with the two commands on its first screen', () => {
    expect(Buffer.byteLength(readme)).toBeLessThan(15_000);
    const firstScreen = readme.split('\n').slice(0, 50).join('\n');
    expect(firstScreen).toContain('npm install tokenpoll');
    expect(firstScreen).toMatch(/^npm ci && npm run demo\b/m);
    expect(firstScreen).toMatch(/^npm test\b/m);
  });

  test('should copy no benchmark figure: they live in bench/RESULTS.md', () => {
    expect(readme).toContain('bench/RESULTS.md');
    expect(readme).not.toMatch(/\d\s?(µs|ms\b|KiB|kB|B each)|per second|\d×/);
  });

  test('should type-check: every ts block, against src/, with the names it takes as given', () => {
    const blocks = [...readme.matchAll(/^```ts\n([\s\S]*?)^```/gm)].map((m) => m[1]!);
    expect(blocks.length).toBeGreaterThanOrEqual(6);
    expect(typeErrors(blocks)).toEqual([]);
  });

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
    const allowed = documentedEdges(readme);
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

/** What a README block may take as given (a name it uses but neither imports nor declares), declared before it. */
const GIVEN: ReadonlyArray<readonly [name: string, declaration: string]> = [
  ['login', "declare const login: import('tokenpoll').LoginHandle;"],
  ['startDeviceAuthorization', 'declare function startDeviceAuthorization(): Promise<{ device_code: string; user_code: string; verification_uri: string; interval: number; expires_in: number }>;'],
  ['startEmulator', "import { startEmulator } from 'tokenpoll/testing/emulator';"],
  ['loginWithDeviceFlow', "import { loginWithDeviceFlow } from 'tokenpoll';"],
];

/** tsc's errors for the blocks, each its own module, compiled with the repo's settings (unused names allowed). */
function typeErrors(blocks: readonly string[]): string[] {
  const { config } = ts.readConfigFile(join(root, 'tsconfig.json'), ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(config, ts.sys, root);
  Object.assign(options, { noUnusedLocals: false, noUnusedParameters: false, noEmit: true });
  const files = new Map(
    blocks.map((code, index) => {
      const given = GIVEN.filter(([name]) => new RegExp(`\\b${name}\\b`).test(code) && !new RegExp(`import [^;]*\\b${name}\\b|(const|function) ${name}\\b`).test(code));
      const text = [...given.map(([, declaration]) => declaration), code, 'export {};'].join('\n');
      return [join(root, `README.block-${index + 1}.ts`), text] as const;
    }),
  );
  const host = ts.createCompilerHost(options);
  const { fileExists, readFile, getSourceFile } = host;
  host.fileExists = (file) => files.has(file) || fileExists.call(host, file);
  host.readFile = (file) => files.get(file) ?? readFile.call(host, file);
  host.getSourceFile = (file, language, ...rest) => {
    const text = files.get(file);
    return text === undefined ? getSourceFile.call(host, file, language, ...rest) : ts.createSourceFile(file, text, language);
  };
  const program = ts.createProgram([...files.keys()], options, host);
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file !== undefined && files.has(d.file.fileName))
    .map((d) => `${d.file!.fileName.slice(root.length + 1)}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
}

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
