import { ConfigurationError } from '../errors/failures.js';
import { resolveAwsClient } from '../transports/aws/client.js';
import { awsServiceEndpoint } from '../transports/aws/endpoint.js';
import { listAll, logout, tokenSupply, withToken } from './portal-calls.js';
import type { PortalRequest } from './portal-request.js';
import { accountFrom, roleCredentialsFrom, roleFrom } from './portal-read.js';
import type {
  AwsAccountInfo,
  AwsAccountWithRoles,
  AwsRoleCredentials,
  AwsRoleCredentialsOptions,
  AwsRoleInfo,
  AwsRoleSelection,
  AwsSsoPortalCallOptions,
  AwsSsoPortalListOptions,
  AwsSsoPortalOptions,
} from './portal-types.js';

/**
 * A client of the AWS SSO portal API (IAM Identity Center's "access portal"),
 * made by {@link awsSsoPortal}.
 * @group AWS portal
 */
export interface AwsSsoPortal {
  /** The base URL it calls. */
  readonly endpoint: string;
  /** Every account the login can use (ListAccounts, `GET /assignment/accounts`, all pages). */
  listAccounts(options?: AwsSsoPortalListOptions): Promise<AwsAccountInfo[]>;
  /** Every role the login can assume in an account (ListAccountRoles, `GET /assignment/roles`, all pages). */
  listAccountRoles(accountId: string, options?: AwsSsoPortalListOptions): Promise<AwsRoleInfo[]>;
  /** Every account, each with its role names: ListAccounts, then ListAccountRoles per account, one account at a time. */
  listAccountsWithRoles(options?: AwsSsoPortalListOptions): Promise<AwsAccountWithRoles[]>;
  /**
   * Short-term credentials for a role (GetRoleCredentials, `GET
   * /federation/credentials`). They are cached in memory, per account and
   * role, until `credentialsMarginMs` before they expire; concurrent calls
   * for one role without a `signal` share one request.
   */
  getRoleCredentials(role: AwsRoleSelection, options?: AwsRoleCredentialsOptions): Promise<AwsRoleCredentials>;
  /**
   * Signs the access token out (Logout, `POST /logout`): the portal ends its
   * session, and refuses the token from then on. Role credentials already
   * issued stay valid until they expire. The token is not refreshed first,
   * nor after a refusal: an {@link AwsSsoPortalError} with `exception`
   * `'UnauthorizedException'` means it was already expired or signed out.
   * Removing the cached token is the caller's part (the CLI's `tokenpoll aws
   * logout` does both).
   * @example
   * ```ts
   * import { awsSsoPortal } from 'tokenpoll';
   * await awsSsoPortal({ region: 'eu-west-1', token: accessToken }).logout();
   * ```
   */
  logout(options?: AwsSsoPortalCallOptions): Promise<void>;
}

/**
 * The base URL of the AWS SSO portal API: `endpoint` when given (its path is
 * kept, so the emulator's `http://127.0.0.1:PORT/aws/portal` works), else
 * `https://portal.sso.{region}.amazonaws.com` (`.amazonaws.com.cn` in China).
 * @throws {@link ConfigurationError} for a bad region or endpoint.
 * @example
 * ```ts
 * import { awsSsoPortalEndpoint } from 'tokenpoll';
 * awsSsoPortalEndpoint('eu-west-1'); // 'https://portal.sso.eu-west-1.amazonaws.com'
 * ```
 * @group AWS portal
 */
export function awsSsoPortalEndpoint(region: string, endpoint?: string | URL): string {
  return awsServiceEndpoint('portal.sso', region, endpoint);
}

/**
 * A client of the AWS SSO portal API: lists the accounts and roles a login
 * can use, and gets short-term role credentials, sending the access token in
 * the `x-amz-sso_bearer_token` header.
 *
 * - `TooManyRequestsException` (429), 5xx answers and network faults are
 *   retried with backoff (`retry`), waiting at least a `Retry-After`.
 * - `UnauthorizedException` (401): with a token provider, the token is
 *   refreshed once (the provider is told which token was refused) and the call
 *   repeated; a second refusal, or one with a plain token, is a
 *   {@link LoginRequiredError} (`token-rejected`).
 * - `ResourceNotFoundException` (404), `InvalidRequestException` (400) and
 *   other errors are an {@link AwsSsoPortalError} at once.
 *
 * @example
 * ```ts
 * import { awsSsoPortal, credentialProcessOutput } from 'tokenpoll';
 * import { createSsoTokenSource } from 'tokenpoll/node';
 * const token = createSsoTokenSource({ startUrl: 'https://d-1234567890.awsapps.com/start', region: 'eu-west-1' });
 * const portal = awsSsoPortal({ region: 'eu-west-1', token });
 * const credentials = await portal.getRoleCredentials({ accountId: '111122223333', roleName: 'ReadOnly' });
 * console.log(JSON.stringify(credentialProcessOutput(credentials)));
 * ```
 * @throws {@link ConfigurationError} for a bad option.
 * @group AWS portal
 */
export function awsSsoPortal(options: AwsSsoPortalOptions): AwsSsoPortal {
  if (typeof options !== 'object' || options === null) throw new ConfigurationError('options', 'expected an options object');
  const client = resolveAwsClient({ ...options, endpoint: awsSsoPortalEndpoint(options.region, options.endpoint) });
  const provider = tokenSupply(options.token);
  const marginMs = options.credentialsMarginMs ?? 300_000;
  if (typeof marginMs !== 'number' || !(marginMs >= 0)) throw new ConfigurationError('credentialsMarginMs', `expected a number of at least 0, got ${String(marginMs)}`);
  const cached = new Map<string, AwsRoleCredentials>();
  const inFlight = new Map<string, Promise<AwsRoleCredentials>>();

  const portal: AwsSsoPortal = {
    endpoint: client.endpoint,
    listAccounts: (listOptions = {}) =>
      listAll(client, provider, listOptions, { operation: 'ListAccounts', path: '/assignment/accounts', list: 'accountList', query: {} }, accountFrom),
    async listAccountRoles(accountId, listOptions = {}) {
      const id = required('accountId', accountId);
      return listAll(client, provider, listOptions, { operation: 'ListAccountRoles', path: '/assignment/roles', list: 'roleList', query: { account_id: id }, accountId: id }, roleFrom);
    },
    async listAccountsWithRoles(listOptions = {}) {
      const result: AwsAccountWithRoles[] = [];
      for (const account of await portal.listAccounts(listOptions)) {
        const roles = await portal.listAccountRoles(account.accountId, listOptions);
        result.push(Object.freeze({ ...account, roles: Object.freeze(roles.map((role) => role.roleName)) }));
      }
      return result;
    },
    async getRoleCredentials(role, callOptions = {}) {
      const accountId = required('accountId', role?.accountId);
      const roleName = required('roleName', role?.roleName);
      const key = JSON.stringify([accountId, roleName]);
      const hit = cached.get(key);
      if (callOptions.fresh !== true && hit && hit.expiration - marginMs > client.clock.wallNow()) return hit;
      // Calls without a signal share one request; one with a signal has its own, so its abort touches no other.
      const shared = callOptions.signal === undefined;
      const pending = shared ? inFlight.get(key) : undefined;
      if (pending) return pending;
      const request: PortalRequest = {
        operation: 'GetRoleCredentials',
        path: '/federation/credentials',
        query: { role_name: roleName, account_id: accountId },
        accountId,
        roleName,
        signal: callOptions.signal,
      };
      const call = withToken(client, provider, request, roleCredentialsFrom)
        .then((credentials) => {
          cached.set(key, credentials);
          return credentials;
        })
        .finally(() => shared && inFlight.delete(key));
      if (shared) inFlight.set(key, call);
      return call;
    },
    async logout(callOptions = {}) {
      cached.clear();
      await logout(client, provider, callOptions.signal);
    },
  };
  return Object.freeze(portal);
}

function required(option: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw new ConfigurationError(option, 'expected a non-empty string');
  return value;
}
