import { ConfigurationError } from '../../errors/failures.js';
import type { ClientAuthenticationMethod, ClientOptions } from './options.js';

const METHODS: readonly ClientAuthenticationMethod[] = ['none', 'client_secret_basic', 'client_secret_post'];

/**
 * Encodes a value as `application/x-www-form-urlencoded` does (the WHATWG
 * serializer: space as `+`, everything but `*-._` and alphanumerics
 * percent-encoded), as RFC 6749 §2.3.1 requires for Basic credentials.
 * @example
 * ```ts
 * import { formUrlEncode } from 'tokenpoll';
 * formUrlEncode('a b+c/d'); // 'a+b%2Bc%2Fd'
 * ```
 * @group RFC 8628
 */
export function formUrlEncode(value: string): string {
  return new URLSearchParams([['', value]]).toString().slice(1);
}

/**
 * The `Authorization` header value for `client_secret_basic`: the client id
 * and secret, each form-urlencoded (RFC 6749 §2.3.1), joined by `:` and
 * base64-encoded. The result holds the secret: send it, never log it.
 * @example
 * ```ts
 * import { basicAuthorization } from 'tokenpoll';
 * const headers = { authorization: basicAuthorization('my-cli', clientSecret) }; // 'Basic bXktY2xpOnMzY3JldA==' for the secret 's3cret'
 * ```
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1 | RFC 6749 §2.3.1}
 * @group RFC 8628
 */
export function basicAuthorization(clientId: string, clientSecret: string): string {
  // Form-urlencoding leaves only ASCII, so btoa (in every runtime) is enough.
  return `Basic ${btoa(`${formUrlEncode(clientId)}:${formUrlEncode(clientSecret)}`)}`;
}

/**
 * The client's credentials, checked, with the method resolved (frozen):
 * what every request of a login authenticates with, resolved once.
 * @internal
 */
export interface ResolvedClient {
  readonly clientId: string;
  readonly method: ClientAuthenticationMethod;
  readonly clientSecret: string | undefined;
}

/**
 * Checks the client options. Messages name the option, never the secret.
 * @throws {@link ConfigurationError} for a missing id, an unknown method, or a secret that does not fit the method.
 * @internal
 */
export function resolveClient(options: ClientOptions): ResolvedClient {
  const { clientId, clientSecret } = options;
  if (typeof clientId !== 'string' || clientId === '') throw new ConfigurationError('clientId', 'expected a non-empty string');
  if (clientSecret !== undefined && (typeof clientSecret !== 'string' || clientSecret === '')) {
    throw new ConfigurationError('clientSecret', 'expected a non-empty string');
  }
  const method = options.clientAuthentication ?? (clientSecret === undefined ? 'none' : 'client_secret_basic');
  if (!METHODS.includes(method)) throw new ConfigurationError('clientAuthentication', `expected one of ${METHODS.join(', ')}, got ${String(method)}`);
  if (method !== 'none' && clientSecret === undefined) throw new ConfigurationError('clientSecret', `required for ${method}`);
  if (method === 'none' && clientSecret !== undefined) {
    throw new ConfigurationError('clientAuthentication', "is 'none', but a clientSecret was given: choose client_secret_basic or client_secret_post");
  }
  return Object.freeze({ clientId, method, clientSecret });
}

/**
 * Adds the client's authentication to a request: `client_id` always goes in
 * the form (RFC 8628 §3.1 and §3.4 name it; servers accept it beside Basic
 * credentials when it matches), `client_secret` too for `client_secret_post`,
 * and an `Authorization` header for `client_secret_basic`.
 * @internal
 */
export function authenticate(client: ResolvedClient, form: URLSearchParams, headers: Record<string, string>): void {
  form.set('client_id', client.clientId);
  if (client.method === 'client_secret_post') form.set('client_secret', client.clientSecret!);
  if (client.method === 'client_secret_basic') headers['authorization'] = basicAuthorization(client.clientId, client.clientSecret!);
}

/**
 * Extra form parameters, checked once: none may replace a field tokenpoll
 * sets (`reserved`), and each must be a string.
 * @throws {@link ConfigurationError} when an extra parameter is reserved or not a string (named by `option`).
 * @internal
 */
export function checkParameters(extra: Readonly<Record<string, string>> | undefined, option: string, reserved: readonly string[]): Readonly<Record<string, string>> | undefined {
  if (extra === undefined || extra === null) return undefined;
  for (const [name, value] of Object.entries(extra)) {
    if (reserved.includes(name)) throw new ConfigurationError(option, `${name} is set by tokenpoll and cannot be overridden`);
    if (typeof value !== 'string') throw new ConfigurationError(option, `${name}: expected a string`);
  }
  return Object.freeze({ ...extra });
}

/**
 * A form body from fixed fields and extra parameters already checked by
 * {@link checkParameters} against those fields.
 * @internal
 */
export function formOf(fixed: Readonly<Record<string, string>>, extra: Readonly<Record<string, string>> | undefined): URLSearchParams {
  const form = new URLSearchParams();
  for (const [name, value] of Object.entries(extra ?? {})) form.append(name, value);
  for (const [name, value] of Object.entries(fixed)) form.set(name, value);
  return form;
}

/**
 * Builds a form body from fixed fields and the caller's extra parameters,
 * refusing extras that would replace a fixed field.
 * @throws {@link ConfigurationError} when an extra parameter is reserved or not a string.
 * @internal
 */
export function formWith(fixed: Readonly<Record<string, string>>, extra: Readonly<Record<string, string>> | undefined, option: string, reserved: readonly string[]): URLSearchParams {
  return formOf(fixed, checkParameters(extra, option, [...reserved, ...Object.keys(fixed)]));
}

/** The headers every RFC 8628 POST carries. @internal */
export function formHeaders(): Record<string, string> {
  // GitHub answers form-encoded unless asked for JSON; the classifier reads both anyway.
  return { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
}

/** The client fields every form carries, so extras cannot replace them. @internal */
export const CLIENT_FIELDS: readonly string[] = ['client_id', 'client_secret'];
