/// <reference types="node" />
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The largest request body the emulator reads. */
const MAX_REQUEST_BYTES = 1_048_576;

/** One request the emulator records; `status` is filled in when it is answered. @internal */
export interface RequestRecord {
  readonly method: string;
  readonly path: string;
  readonly at: number;
  status?: number;
  params: Record<string, string>;
}

/** One request being answered. @internal */
export interface Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** The path without the query string. */
  readonly path: string;
  readonly query: URLSearchParams;
  /** The request body as text. */
  readonly body: string;
  readonly record: RequestRecord;
}

/** A route's handler. @internal */
export type Handler = (exchange: Exchange) => void;

/** Answers a request, recording its status. @internal */
export function respond(exchange: Exchange, status: number, headers: Record<string, string>, body: string | Uint8Array = ''): void {
  exchange.record.status = status;
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  exchange.res.writeHead(status, { ...headers, 'content-length': String(bytes.byteLength) }).end(bytes);
}

/** Answers JSON, uncached (RFC 6749 §5.1). @internal */
export function respondJson(exchange: Exchange, status: number, body: unknown, headers: Record<string, string> = {}): void {
  respond(exchange, status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers }, JSON.stringify(body));
}

/** Answers an OAuth error (RFC 6749 §5.2): `{ error, error_description }`, 400 unless told. @internal */
export function respondOAuthError(exchange: Exchange, error: string, description: string, status = 400, headers: Record<string, string> = {}): void {
  respondJson(exchange, status, { error, error_description: description }, headers);
}

/** Answers an HTML page. @internal */
export function respondHtml(exchange: Exchange, status: number, html: string): void {
  respond(exchange, status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }, html);
}

/** The body is larger than the emulator reads. @internal */
export class RequestTooLargeError extends Error {
  /** Always `'RequestTooLargeError'`. */
  override readonly name = 'RequestTooLargeError';
}

/** Reads a request body as text. @internal */
export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > MAX_REQUEST_BYTES) throw new RequestTooLargeError(`the request body is over ${MAX_REQUEST_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Whether the request declares a form-encoded body. @internal */
export function isForm(req: IncomingMessage): boolean {
  return (req.headers['content-type'] ?? '').toLowerCase().split(';')[0]!.trim() === 'application/x-www-form-urlencoded';
}

/** Reads a form-encoded body into a record (the first value of a repeated name wins). @internal */
export function parseForm(text: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(text)) if (!(key in params)) params[key] = value;
  return params;
}

/** Reads a JSON object body into a record of strings; `undefined` when it is not a JSON object. @internal */
export function parseJsonObject(text: string): { raw: Record<string, unknown>; params: Record<string, string> } | undefined {
  let value: unknown;
  try {
    value = text.trim() === '' ? {} : JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const raw = value as Record<string, unknown>;
  const params: Record<string, string> = {};
  for (const [key, member] of Object.entries(raw)) {
    if (member !== undefined && member !== null) params[key] = typeof member === 'string' ? member : JSON.stringify(member);
  }
  return { raw, params };
}
