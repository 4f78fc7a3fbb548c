import { ConfigurationError, InvalidResponseError } from '../errors/failures.js';
import type { AwsClient } from '../transports/aws/client.js';
import { AwsSsoPortalError, LoginRequiredError, type AwsSsoPortalOperation } from './errors.js';
import { sendPortalRequest, type PortalRequest } from './portal-request.js';
import type { AwsSsoAccessTokenProvider, AwsSsoPortalListOptions } from './portal-types.js';

/** Pages read by one listing call at most: a portal that keeps sending `nextToken` is broken. */
const MAX_PAGES = 1000;

/** One listing call: where, which list member, which query. @internal */
export interface Listing {
  readonly operation: AwsSsoPortalOperation;
  readonly path: string;
  readonly list: string;
  readonly query: Readonly<Record<string, string>>;
  readonly accountId?: string;
}

/** Reads every page of a listing, following `nextToken`. @internal */
export async function listAll<TItem>(
  client: AwsClient,
  provider: TokenSupply,
  options: AwsSsoPortalListOptions,
  listing: Listing,
  readItem: (value: unknown, operation: AwsSsoPortalOperation) => TItem,
): Promise<TItem[]> {
  const { pageSize } = options;
  if (pageSize !== undefined && !(Number.isInteger(pageSize) && pageSize >= 1)) throw new ConfigurationError('pageSize', 'expected an integer, 1 or more');
  const items: TItem[] = [];
  const seen = new Set<string>();
  let nextToken: string | undefined;
  for (let page = 1; ; page++) {
    const query = { ...listing.query, next_token: nextToken, max_result: pageSize === undefined ? undefined : String(pageSize) };
    const request: PortalRequest = { operation: listing.operation, path: listing.path, query, accountId: listing.accountId, signal: options.signal };
    const body = await withToken(client, provider, request, (json) => json);
    const list = body[listing.list] ?? [];
    if (!Array.isArray(list)) throw new InvalidResponseError(`${listing.operation} answered a ${listing.list} that is not a list`);
    for (const value of list) items.push(readItem(value, listing.operation));
    const token = body['nextToken'];
    if (typeof token !== 'string' || token === '') return items;
    if (seen.has(token) || page >= MAX_PAGES) throw new InvalidResponseError(`${listing.operation} kept answering a nextToken (page ${page})`);
    seen.add(token);
    nextToken = token;
  }
}

/**
 * Sends a call with the provider's token; on `UnauthorizedException`, asks
 * the provider once for a token other than the refused one and sends again.
 * @internal
 */
export async function withToken<TResult>(
  client: AwsClient,
  provider: TokenSupply,
  request: PortalRequest,
  read: (json: Readonly<Record<string, unknown>>, operation: AwsSsoPortalOperation) => TResult,
): Promise<TResult> {
  const { signal } = request;
  let token = await provider.getAccessToken({ signal });
  for (let attempt = 1; ; attempt++) {
    try {
      return read(await sendPortalRequest(client, request, token), request.operation);
    } catch (error) {
      if (!(error instanceof AwsSsoPortalError) || error.exception !== 'UnauthorizedException') throw error;
      const rejected = token;
      if (attempt === 2 || !provider.refreshable) throw new LoginRequiredError('token-rejected', { startUrl: provider.startUrl, cause: error });
      token = await provider.getAccessToken({ signal, rejected });
      if (token === rejected) throw new LoginRequiredError('token-rejected', { startUrl: provider.startUrl, cause: error });
    }
  }
}

/**
 * Logout (`POST /logout`): ends the portal session the access token belongs
 * to, and the token with it. The token is asked for once and never refreshed
 * for this: a refused one (`UnauthorizedException`) is already expired or
 * signed out, which the caller is told as an {@link AwsSsoPortalError}.
 * @internal
 */
export async function logout(client: AwsClient, provider: TokenSupply, signal: AbortSignal | undefined): Promise<void> {
  const token = await provider.getAccessToken({ signal });
  await sendPortalRequest(client, { operation: 'Logout', path: '/logout', method: 'POST', bodyless: true, query: {}, signal }, token);
}

/** Where the calls get their token: a provider, or a plain token that cannot be refreshed. @internal */
export interface TokenSupply extends AwsSsoAccessTokenProvider {
  readonly refreshable: boolean;
}

/**
 * The supply for the `token` option.
 * @throws {@link ConfigurationError} when it is neither a non-empty string nor a provider.
 * @internal
 */
export function tokenSupply(token: unknown): TokenSupply {
  if (typeof token === 'string' && token !== '') return { refreshable: false, getAccessToken: () => Promise.resolve(token) };
  if (typeof token === 'object' && token !== null && typeof (token as AwsSsoAccessTokenProvider).getAccessToken === 'function') {
    const given = token as AwsSsoAccessTokenProvider;
    return { refreshable: true, startUrl: given.startUrl, getAccessToken: (request) => given.getAccessToken(request) };
  }
  throw new ConfigurationError('token', 'expected an access token, or a provider with getAccessToken()');
}
