import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTokenCommand, RegisterClientCommand, SSOOIDCClient, StartDeviceAuthorizationCommand, type SSOOIDCClientConfig } from '@aws-sdk/client-sso-oidc';
import { afterEach } from 'vitest';
import { awsSdkTokenTransport, startDeviceLogin, type Clock, type DeviceLoginOptions, type LoginEvents, type LoginHandle, type TokenSet } from '../../../src/index.js';
import type { Emulator } from '../../../src/testing-emulator.js';

/** Makes SDK clients that are destroyed after each test. */
export function useSdkClients(): (endpoint: string, config?: Partial<SSOOIDCClientConfig>) => SSOOIDCClient {
  const clients: SSOOIDCClient[] = [];
  afterEach(() => clients.splice(0).forEach((client) => client.destroy()));
  return (endpoint, config = {}) => {
    const client = new SSOOIDCClient({ region: 'us-east-1', endpoint, ...config });
    clients.push(client);
    return client;
  };
}

export interface SdkLoginOptions {
  /** Leave CreateTokenCommand out, so the adapter imports the SDK itself. */
  readonly lazy?: boolean;
  readonly poll?: DeviceLoginOptions['poll'];
  readonly clock?: Clock;
}

const EVENT_NAMES = ['code', 'stateChange', 'attempt', 'pending', 'slowDown', 'retry', 'warning', 'granted', 'denied', 'expired', 'failed', 'cancelled'] as const;

/**
 * A whole login through the SDK: RegisterClient and StartDeviceAuthorization
 * as an SDK user would send them (through `client`), then the adapter polls.
 */
export function sdkLogin(emulator: Emulator, client: SSOOIDCClient, options: SdkLoginOptions = {}) {
  let registration: { clientId: string; clientSecret: string } | undefined;
  const now = (): number => (options.clock ?? performance).now();
  const handle: LoginHandle<TokenSet> = startDeviceLogin({
    async authorize({ signal }) {
      const registered = await client.send(new RegisterClientCommand({ clientName: 'sdk-test', clientType: 'public' }), { abortSignal: signal });
      registration = { clientId: registered.clientId!, clientSecret: registered.clientSecret! };
      const answer = await client.send(new StartDeviceAuthorizationCommand({ ...registration, startUrl: 'https://d-1.awsapps.com/start' }), { abortSignal: signal });
      return {
        deviceCode: answer.deviceCode!,
        userCode: answer.userCode!,
        verificationUri: answer.verificationUri!,
        expiresInSeconds: answer.expiresIn!,
        intervalSeconds: answer.interval!,
        issuedAt: now(),
      };
    },
    transportFor: ({ deviceCode }) => awsSdkTokenTransport(client, { ...registration!, deviceCode }, options.lazy ? {} : { CreateTokenCommand }),
    poll: { backoff: () => 20, ...options.poll },
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const events: { name: keyof LoginEvents; payload: unknown }[] = [];
  for (const name of EVENT_NAMES) handle.on(name, (payload: unknown) => events.push({ name, payload }));
  let tokenAt: number | undefined;
  handle.result.then(() => (tokenAt = performance.now()), () => {});
  const userCode = (): string => (events.filter((e) => e.name === 'code').at(-1)!.payload as LoginEvents['code']).userCode;
  return {
    handle,
    events,
    names: () => events.map((e) => e.name),
    of: <K extends keyof LoginEvents>(name: K): LoginEvents[K][] => events.filter((e) => e.name === name).map((e) => e.payload as LoginEvents[K]),
    userCode,
    approvalToTokenMs(): number | undefined {
      const approvedAt = emulator.codes.find((c) => c.userCode === userCode())?.approvedAt;
      return approvedAt === undefined || tokenAt === undefined ? undefined : tokenAt - approvedAt;
    },
  };
}

/** A loopback server for what the emulator does not send; `answer` gets the request's 1-based number. */
export async function oneRouteServer(answer: (res: ServerResponse, request: number, req: IncomingMessage) => void): Promise<{ endpoint: string; paths: string[]; close(): Promise<void> }> {
  const paths: string[] = [];
  const server = createServer((req, res) => {
    paths.push(req.url ?? '');
    req.resume();
    req.on('end', () => answer(res, paths.length, req));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}/aws`,
    paths,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export const AWS_ERROR_NAMESPACE = 'http://internal.amazon.com/coral/com.amazonaws.sso.oidc/';
