import type { AwsSsoOidcClientOptions } from '../transports/aws/client.js';

/** One AWS account the login can use, as ListAccounts returns it. @group AWS portal */
export interface AwsAccountInfo {
  /** The 12-digit account id. */
  readonly accountId: string;
  /** The account's display name. */
  readonly accountName?: string | undefined;
  /** The account's root email address. */
  readonly emailAddress?: string | undefined;
}

/** One role the login can assume in an account, as ListAccountRoles returns it. @group AWS portal */
export interface AwsRoleInfo {
  /** The account id. */
  readonly accountId: string;
  /** The role (permission set) name, such as `ReadOnly`. */
  readonly roleName: string;
}

/** An account with the names of the roles the login can assume in it. @group AWS portal */
export interface AwsAccountWithRoles extends AwsAccountInfo {
  /** The role names, in the portal's order. */
  readonly roles: readonly string[];
}

/**
 * Short-term AWS credentials for a role, as GetRoleCredentials returns them.
 * `secretAccessKey` and `sessionToken` are secrets.
 * @group AWS portal
 */
export interface AwsRoleCredentials {
  /** The access key id (`ASIA…`). */
  readonly accessKeyId: string;
  /** The secret access key (a secret). */
  readonly secretAccessKey: string;
  /** The session token (a secret). */
  readonly sessionToken: string;
  /** When the credentials expire, in epoch milliseconds. */
  readonly expiration: number;
}

/** Which role's credentials to get. @group AWS portal */
export interface AwsRoleSelection {
  /** The account id. */
  readonly accountId: string;
  /** The role name. */
  readonly roleName: string;
}

/** Options for one portal call. @group AWS portal */
export interface AwsSsoPortalCallOptions {
  /** Cancels the call (and its retries and refresh). */
  readonly signal?: AbortSignal | undefined;
}

/** Options for the listing calls, which read every page. @group AWS portal */
export interface AwsSsoPortalListOptions extends AwsSsoPortalCallOptions {
  /** The page size asked for (`max_result`); the server may send fewer. @defaultValue the server's (AWS: 20) */
  readonly pageSize?: number | undefined;
}

/** Options for {@link AwsSsoPortal.getRoleCredentials}. @group AWS portal */
export interface AwsRoleCredentialsOptions extends AwsSsoPortalCallOptions {
  /** Ignore the in-memory cache and ask the portal. @defaultValue false */
  readonly fresh?: boolean | undefined;
}

/** What an {@link AwsSsoAccessTokenProvider} is asked. @group AWS portal */
export interface AwsAccessTokenRequest {
  /** Cancels the request (and any refresh it starts). */
  readonly signal?: AbortSignal | undefined;
  /**
   * An access token the portal just refused (`UnauthorizedException`): do not
   * return it again; refresh (or return a newer one another process wrote).
   */
  readonly rejected?: string | undefined;
}

/**
 * Where the portal client gets its access token: a token source that can
 * refresh, such as `createSsoTokenSource` from `tokenpoll/node`, or your own.
 * @group AWS portal
 */
export interface AwsSsoAccessTokenProvider {
  /** A valid access token (a secret); may refresh first. Throws {@link LoginRequiredError} when a new login is needed. */
  getAccessToken(request?: AwsAccessTokenRequest): Promise<string>;
  /** The start URL the tokens belong to, for error messages. */
  readonly startUrl?: string | undefined;
}

/**
 * Options for {@link awsSsoPortal}. The shared AWS options (`region`,
 * `fetch`, `clock`, `requestTimeoutMs`, `maxBodyBytes`, `retry`) mean what
 * they mean for the SSO OIDC helpers.
 * @group AWS portal
 */
export interface AwsSsoPortalOptions extends Omit<AwsSsoOidcClientOptions, 'endpoint'> {
  /** The access token (a secret), or a provider that can refresh it when the portal answers `UnauthorizedException`. */
  readonly token: string | AwsSsoAccessTokenProvider;
  /** The portal's base URL (HTTPS, or HTTP on loopback; a path prefix is kept). @defaultValue `https://portal.sso.{region}.amazonaws.com` */
  readonly endpoint?: string | URL | undefined;
  /** Cached role credentials are used until this long before they expire. @defaultValue 300000 (5 min) */
  readonly credentialsMarginMs?: number | undefined;
}
