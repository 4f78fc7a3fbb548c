import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, test } from 'vitest';
import {
  loginWithAwsSso,
  loginWithDeviceFlow,
  openSnapshot,
  resumeLogin,
  sealSnapshot,
  SnapshotInvalidError,
  ConfigurationError,
  type AwsClientRegistration,
  type CodeEvent,
  type LoginSnapshot,
} from '../../src/index.js';
import { useEmulator } from '../helpers/use-emulator.js';

// A login snapshotted in one "process" (its handle cancelled, as a process that dies), the JSON carried over,
// and resumed with the same options: real HTTP against the emulator, on the system clock.

const start = useEmulator();
const CLIENT = { clientId: 'confidential-cli', clientSecret: 'cs-never-in-a-snapshot', authMethod: 'client_secret_basic' } as const;
const START_URL = 'https://d-1234567890.awsapps.com/start';

/** Resolves with the login's snapshot, taken on its `code` event, once the login has been cancelled ("the process died"). */
async function snapshotOnCode(login: { on(event: 'code', listener: (code: CodeEvent) => void): unknown; snapshot(): LoginSnapshot; cancel(): void; result: Promise<unknown> }): Promise<string> {
  const json = await new Promise<string>((resolve) => login.on('code', () => resolve(JSON.stringify(login.snapshot()))));
  login.cancel();
  await login.result.catch(() => {});
  return json;
}

describe('resumeLogin (emulator, real HTTP)', () => {
  test('should resume an RFC 8628 login with discovery, the client secret coming from the options', async () => {
    // Arrange
    const emulator = await start({ intervalSeconds: 0.05, clients: [CLIENT] });
    const options = { issuer: emulator.url, clientId: CLIENT.clientId, clientSecret: CLIENT.clientSecret, requestTimeoutMs: 2000 };
    const json = await snapshotOnCode(loginWithDeviceFlow(options));
    const requestsBefore = emulator.requests.length;
    // Act
    const resumed = resumeLogin(JSON.parse(json) as LoginSnapshot, options);
    const codes: CodeEvent[] = [];
    resumed.on('code', (code) => codes.push(code));
    resumed.once('pending', () => emulator.approve(codes[0]!.userCode));
    const token = await resumed.result;
    // Assert
    expect(json).not.toContain(CLIENT.clientSecret);
    expect(JSON.parse(json)).toMatchObject({ provider: { type: 'rfc8628', clientId: CLIENT.clientId, issuer: `${emulator.url}/`, tokenEndpoint: `${emulator.url}/token` } });
    expect(token.accessToken).toEqual(expect.any(String));
    expect(codes).toEqual([expect.objectContaining({ resumed: true, userCode: emulator.codes[0]!.userCode })]);
    // No discovery and no new device code on resume: only token requests, for the first code.
    expect(emulator.requests.slice(requestsBefore).every((r) => r.path === '/token')).toBe(true);
    expect(emulator.codes).toHaveLength(1);
  });

  test('should resume from a sealed snapshot, and refuse another client id', async () => {
    // Arrange
    const emulator = await start({ intervalSeconds: 0.05, clients: [CLIENT] });
    const options = { issuer: emulator.url, clientId: CLIENT.clientId, clientSecret: CLIENT.clientSecret };
    const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
    const login = loginWithDeviceFlow(options);
    const sealed = await new Promise<string>((resolve) => login.on('code', () => void sealSnapshot(login.snapshot(), key).then((s) => resolve(JSON.stringify(s)))));
    login.cancel();
    await login.result.catch(() => {});
    // Act
    const snapshot = (await openSnapshot(JSON.parse(sealed), key)) as LoginSnapshot;
    // Assert
    expect(sealed).not.toContain(snapshot.authorization.deviceCode);
    expect(() => resumeLogin(snapshot, { ...options, clientId: 'someone-else' })).toThrow(expect.objectContaining({ path: 'provider.clientId' }));
    expect(() => resumeLogin(snapshot, { ...options, issuer: 'https://other.example.com' })).toThrow(SnapshotInvalidError);
    const resumed = resumeLogin(snapshot, options);
    resumed.once('pending', () => emulator.approve(snapshot.authorization.userCode));
    await expect(resumed.result).resolves.toMatchObject({ accessToken: expect.any(String) });
  });

  test("should refuse an edited snapshot whose token endpoint is off the issuer's origin: the client secret never leaves for it", async () => {
    // Arrange: a listener that counts what reaches it, standing for a host the snapshot was edited to name.
    const emulator = await start({ intervalSeconds: 0.05, clients: [CLIENT] });
    let stolen = 0;
    const other = createServer((_, response) => {
      stolen += 1;
      response.end('{}');
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}/token`;
    const options = { issuer: emulator.url, clientId: CLIENT.clientId, clientSecret: CLIENT.clientSecret };
    const login = loginWithDeviceFlow(options);
    const snapshot = await new Promise<LoginSnapshot>((resolve) => login.on('code', () => resolve(login.snapshot() as LoginSnapshot)));
    login.cancel();
    await login.result.catch(() => {});
    const edited = { ...snapshot, provider: { ...snapshot.provider, tokenEndpoint: otherUrl } } as LoginSnapshot;
    try {
      // Act + Assert: refused at once, naming the member; with the endpoints given in the options it resumes.
      expect(() => resumeLogin(edited, options)).toThrow(expect.objectContaining({ path: 'provider.tokenEndpoint' }));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(stolen).toBe(0);
      const resumed = resumeLogin(snapshot, options);
      resumed.once('pending', () => emulator.approve(snapshot.authorization.userCode));
      await expect(resumed.result).resolves.toMatchObject({ accessToken: expect.any(String) });
    } finally {
      await new Promise((resolve) => other.close(resolve));
    }
  });

  test('should end with an error, never a second token, when the code was spent after the snapshot (the case no resume mends)', async () => {
    // Arrange: the snapshot is taken with the granting request in flight; the first process reads the grant
    const emulator = await start({ intervalSeconds: 0.05, clients: [CLIENT] });
    const options = { issuer: emulator.url, clientId: CLIENT.clientId, clientSecret: CLIENT.clientSecret };
    const login = loginWithDeviceFlow(options);
    let json: string | undefined;
    login.on('code', (code) => emulator.approve(code.userCode));
    login.once('attempt', () => (json = JSON.stringify(login.snapshot())));
    await login.result;
    // Act
    const resumed = resumeLogin(JSON.parse(json!) as LoginSnapshot, options);
    const error = await resumed.result.catch((e: unknown) => e);
    // Assert
    expect(JSON.parse(json!).poll.state.phase).toBe('polling');
    expect(error).toMatchObject({ code: expect.stringMatching(/^ERR_(OAUTH_ERROR|EXPIRED_TOKEN)$/) });
    expect(JSON.stringify(error)).not.toContain((JSON.parse(json!) as LoginSnapshot).authorization.deviceCode);
  });

  test('should resume an AWS SSO login with the registration its code was issued to', async () => {
    // Arrange: a cache that keeps what the login registers, as a service's own store would
    const emulator = await start({ intervalSeconds: 0.05 });
    const saved = new Map<string, AwsClientRegistration>();
    const cache = { get: (key: string) => saved.get(key), set: (key: string, registration: AwsClientRegistration) => void saved.set(key, registration) };
    const options = { region: 'us-east-1', endpoint: emulator.awsEndpoint, startUrl: START_URL, cache };
    const json = await snapshotOnCode(loginWithAwsSso(options));
    const snapshot = JSON.parse(json) as LoginSnapshot;
    const [registration] = saved.values();
    // Act
    const missing = (): unknown => resumeLogin(snapshot, options as never);
    const resumed = resumeLogin(snapshot, { ...options, registration: registration! });
    resumed.once('pending', () => emulator.approve(snapshot.authorization.userCode));
    const token = await resumed.result;
    // Assert
    expect(json).not.toContain(registration!.clientSecret);
    expect(snapshot.provider).toEqual({ type: 'aws', region: 'us-east-1', startUrl: START_URL, clientId: registration!.clientId });
    expect(missing).toThrow(ConfigurationError);
    expect(() => resumeLogin(snapshot, { ...options, registration: { ...registration!, clientId: 'aws-client-other' } })).toThrow(expect.objectContaining({ path: 'provider.clientId' }));
    expect(token.registration.clientId).toBe(registration!.clientId);
    expect(token.accessToken).toMatch(/^aws-at-/);
    expect(emulator.codes).toHaveLength(1);
  });
});

