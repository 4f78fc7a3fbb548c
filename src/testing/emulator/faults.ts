/// <reference types="node" />
import { ConfigurationError } from '../../errors/failures.js';
import { respond, respondJson, type Exchange } from './http-io.js';
import type { EmulatorFault, EmulatorInjectOptions } from './types.js';
import { EXCEPTIONS } from './aws-routes.js';
import { PORTAL_PREFIX, portalError } from './aws-portal-routes.js';

const FAULT_TYPES: ReadonlySet<string> = new Set(['server_error', 'rate_limited', 'hang', 'reset', 'malformed', 'lost_body', 'oversized', 'github_200', 'aws_exception']);
const STATUS_TEXT: Readonly<Record<number, string>> = { 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout' };

interface QueuedFault {
  readonly fault: EmulatorFault;
  readonly path: string;
  remaining: number;
}

/** Injected faults, applied in order to the requests they match. @internal */
export class FaultQueue {
  readonly #queue: QueuedFault[] = [];

  /** Queues a fault for the next `count` requests whose path ends with `path`. */
  inject(fault: EmulatorFault, options: EmulatorInjectOptions = {}): void {
    if (typeof fault !== 'object' || fault === null || !FAULT_TYPES.has(fault.type)) {
      throw new ConfigurationError('fault', `expected one of ${[...FAULT_TYPES].join(', ')}`);
    }
    if (fault.type === 'aws_exception') checkAwsException(fault);
    const count = options.count ?? 1;
    if (!Number.isInteger(count) || count < 1) throw new ConfigurationError('count', 'expected an integer, 1 or more');
    const path = options.path ?? '/token';
    if (typeof path !== 'string' || path === '') throw new ConfigurationError('path', 'expected a path suffix such as /token');
    this.#queue.push({ fault, path, remaining: count });
  }

  /** Takes the fault for a request with this path, if one is queued. */
  take(path: string): EmulatorFault | undefined {
    const index = this.#queue.findIndex((queued) => path.endsWith(queued.path));
    if (index === -1) return undefined;
    const queued = this.#queue[index]!;
    queued.remaining -= 1;
    if (queued.remaining === 0) this.#queue.splice(index, 1);
    return queued.fault;
  }
}

/** Answers a request with a fault instead of processing it. @internal */
export function applyFault(exchange: Exchange, fault: EmulatorFault): void {
  switch (fault.type) {
    case 'server_error': {
      const status = fault.status ?? 502;
      const text = `${status} ${STATUS_TEXT[status] ?? 'Server Error'}`;
      respond(exchange, status, { 'content-type': 'text/html' }, `<html><head><title>${text}</title></head><body><center><h1>${text}</h1></center></body></html>\n`);
      return;
    }
    case 'rate_limited':
      respond(exchange, 429, { 'retry-after': String(fault.retryAfterSeconds ?? 1) });
      return;
    case 'hang':
      // Never answer: the client gives up, or close() destroys the connection.
      return;
    case 'reset':
      exchange.req.socket.resetAndDestroy();
      return;
    case 'malformed': {
      const body = '{"access_token":"at-malformed","token_type":"Bearer","expires_in":36';
      respond(exchange, 200, { 'content-type': 'application/json' }, body);
      return;
    }
    case 'lost_body': {
      // A whole token answer is promised; half of it is sent, then the connection drops.
      const body = Buffer.from('{"access_token":"at-lost-in-transit","token_type":"Bearer","expires_in":3600}');
      exchange.record.status = 200;
      exchange.res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(body.byteLength) });
      exchange.res.write(body.subarray(0, body.byteLength >> 1), () => exchange.req.socket.destroy());
      return;
    }
    case 'oversized': {
      const bytes = fault.bytes ?? 2 * 1_048_576;
      const head = '{"padding":"';
      const tail = '"}';
      const body = Buffer.alloc(Math.max(bytes, head.length + tail.length), 'x');
      body.write(head, 0);
      body.write(tail, body.byteLength - tail.length);
      if (fault.chunked === true) {
        // No Content-Length: Node sends it chunked, 64 KiB at a time.
        exchange.record.status = 200;
        exchange.res.writeHead(200, { 'content-type': 'application/json' });
        for (let offset = 0; offset < body.byteLength; offset += 65_536) exchange.res.write(body.subarray(offset, offset + 65_536));
        exchange.res.end();
        return;
      }
      respond(exchange, 200, { 'content-type': 'application/json' }, body);
      return;
    }
    case 'github_200': {
      const error = fault.error ?? 'authorization_pending';
      respondJson(exchange, 200, { error, error_description: error === 'slow_down' ? 'Too many requests have been made in the same time period.' : 'The authorization request is still pending.' });
      return;
    }
    case 'aws_exception': {
      if (exchange.path.startsWith(`${PORTAL_PREFIX}/`)) return portalError(exchange, fault.name, `${fault.name} (injected by the emulator)`, fault.status);
      const [error, status] = Object.hasOwn(EXCEPTIONS, fault.name) ? EXCEPTIONS[fault.name as keyof typeof EXCEPTIONS] : [snakeCase(fault.name.replace(/Exception$/, '')), 400];
      const body: Record<string, string> = { error, error_description: `${fault.name} (injected by the emulator)` };
      if (fault.reason !== undefined) body['reason'] = fault.reason;
      respondJson(exchange, fault.status ?? status, body, { 'x-amzn-ErrorType': `${fault.name}:http://internal.amazon.com/coral/com.amazonaws.sso.oidc/` });
      return;
    }
    default: {
      const unknown: never = fault;
      throw new ConfigurationError('fault', `unknown fault ${JSON.stringify(unknown)}`);
    }
  }
}


function checkAwsException(fault: Extract<EmulatorFault, { type: 'aws_exception' }>): void {
  if (typeof fault.name !== 'string' || !/^[A-Za-z][A-Za-z0-9]*$/.test(fault.name)) throw new ConfigurationError('name', 'expected an exception name such as SlowDownException');
  if (fault.status !== undefined && !(Number.isInteger(fault.status) && fault.status >= 200 && fault.status <= 599)) {
    throw new ConfigurationError('status', 'expected an HTTP status from 200 to 599');
  }
  if (fault.reason !== undefined && typeof fault.reason !== 'string') throw new ConfigurationError('reason', 'expected a string');
}

function snakeCase(name: string): string {
  return name.replace(/(?<=[a-z0-9])([A-Z])/g, '_$1').toLowerCase();
}
