/// <reference types="node" />
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { approvalRoutes } from './approval-page.js';
import { AwsClients } from './aws-clients.js';
import { PORTAL_PREFIX, portalRoutes } from './aws-portal-routes.js';
import { awsRoutes } from './aws-routes.js';
import { AwsAccessTokens } from './aws-tokens.js';
import type { EmulatorContext } from './context.js';
import { applyFault, FaultQueue } from './faults.js';
import { parseForm, parseJsonObject, readBody, RequestTooLargeError, respond, respondJson, type Exchange, type Handler, type RequestRecord } from './http-io.js';
import { rfcRoutes } from './rfc8628-routes.js';
import { resolveSettings } from './settings.js';
import { EmulatorState } from './state.js';
import type { Emulator, EmulatorOptions, EmulatorRequest } from './types.js';

/**
 * Starts an emulator on loopback: an RFC 8628 authorization server, the
 * AWS SSO OIDC API and the AWS SSO portal API, with the spec's wire formats, interval enforcement
 * (`slow_down`, growing), approval on command, at a given poll, on a timer or
 * through an HTML page, expiry, fault injection, and a record of every request. Every answer
 * allows any origin (CORS), so a web page can log in against it. Close it
 * when done: it leaves no timer or socket behind.
 *
 * Interval enforcement: the first poll of a device code is never too early;
 * each later poll must arrive at least the code's current interval after the
 * previous one (1 ms of timer slack is allowed), or it gets `slow_down` and
 * the interval grows by `slowDownIncrementSeconds`. The interval is checked
 * before the user's decision, so a client that polls too early after the
 * approval still gets `slow_down`. A request answered with an injected fault
 * never reaches this logic: it is not counted as a poll and consumes nothing.
 *
 * @example
 * A login approved at its second poll (the first is answered
 * `authorization_pending`), however fast or slow the machine.
 * ```ts
 * import { startEmulator } from 'tokenpoll/testing/emulator';
 * const emulator = await startEmulator({ intervalSeconds: 0.05, approveOnPoll: 2 });
 * try {
 *   const answer = await fetch(`${emulator.url}/device_authorization`, {
 *     method: 'POST',
 *     body: new URLSearchParams({ client_id: 'tokenpoll-test', scope: 'openid' }),
 *   });
 *   // … poll `${emulator.url}/token` with the device code
 * } finally {
 *   await emulator.close();
 * }
 * ```
 * @throws {@link tokenpoll!ConfigurationError} for a bad option.
 * @group Testing
 */
export async function startEmulator(options?: EmulatorOptions): Promise<Emulator> {
  const settings = resolveSettings(options);
  const state = new EmulatorState(settings);
  const faults = new FaultQueue();
  const awsClients = new AwsClients();
  const awsTokens = new AwsAccessTokens(settings.now);
  const records: RequestRecord[] = [];
  let url = '';
  const context: EmulatorContext = { settings, state, awsClients, awsTokens, url: () => url };
  const routes = new Map<string, Handler>([...rfcRoutes(context), ...awsRoutes(context), ...portalRoutes(context), ...approvalRoutes(context)]);
  const knownPaths = new Set([...routes.keys()].map((key) => key.slice(key.indexOf(' ') + 1)));

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const at = settings.now();
    const target = new URL(req.url ?? '/', 'http://emulator.invalid');
    const record: RequestRecord = { method: req.method ?? 'GET', path: target.pathname, at, params: Object.fromEntries(target.searchParams) };
    records.push(record);
    // A client that gives up mid-answer must not surface as an unhandled 'error' event.
    res.on('error', () => {});
    // CORS, so a web app on another origin can log in (the RFC 8628 requests need no preflight).
    res.setHeader('access-control-allow-origin', '*');
    res.setHeader('access-control-expose-headers', '*');
    const bare: Exchange = { req, res, path: record.path, query: target.searchParams, body: '', record };
    let body: string;
    try {
      body = await readBody(req);
    } catch (error) {
      // Otherwise the client went away mid-body (or the emulator closed): nobody to answer.
      if (error instanceof RequestTooLargeError) respondJson(bare, 413, { error: 'invalid_request', error_description: error.message });
      return;
    }
    if (body !== '') record.params = recordParams(req, body);
    const exchange: Exchange = { ...bare, body };
    try {
      route(exchange);
    } catch (error) {
      // A bug in the emulator: answer 500 rather than leave the client hanging.
      if (res.headersSent) res.destroy();
      else respond(exchange, 500, { 'content-type': 'text/plain' }, `emulator error: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  const route = (exchange: Exchange): void => {
    const { method, path } = exchange.record;
    const fault = faults.take(path);
    if (fault) return applyFault(exchange, fault);
    const handler = routes.get(`${method} ${path}`);
    if (handler) return handler(exchange);
    if (knownPaths.has(path)) return respondJson(exchange, 405, { error: 'invalid_request', error_description: `${method} is not allowed here` });
    respondJson(exchange, 404, { error: 'not_found', error_description: `nothing at ${path}` });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, settings.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  url = `http://${address.includes(':') ? `[${address}]` : address}:${port}`;

  let closing: Promise<void> | undefined;
  return {
    url,
    awsEndpoint: `${url}/aws`,
    awsPortalEndpoint: `${url}${PORTAL_PREFIX}`,
    get codes() {
      return state.codes();
    },
    get requests(): EmulatorRequest[] {
      return records.map((request) => ({ ...request, params: { ...request.params } }));
    },
    approve: (userCode) => state.command(userCode, 'approved'),
    deny: (userCode) => state.command(userCode, 'denied'),
    expire: (userCode) => state.command(userCode, 'expired'),
    expireClientRegistrations: () => awsClients.expireAll(),
    expireAccessTokens: () => awsTokens.expireAll(),
    revokeRefreshTokens: () => state.revokeRefreshTokens(),
    inject: (fault, injectOptions) => faults.inject(fault, injectOptions),
    onPoll: (listener) => state.addPollListener(listener),
    close() {
      closing ??= new Promise<void>((resolve) => {
        state.close();
        // Resolve once Node has also released the handles: their close callbacks run one loop turn later.
        server.close(() => setImmediate(() => setImmediate(resolve)));
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

/** The body's parameters for the record: JSON for a JSON body, a form otherwise. */
function recordParams(req: IncomingMessage, body: string): Record<string, string> {
  const type = (req.headers['content-type'] ?? '').toLowerCase();
  if (type.includes('json') || body.trimStart().startsWith('{')) return parseJsonObject(body)?.params ?? {};
  return parseForm(body);
}
