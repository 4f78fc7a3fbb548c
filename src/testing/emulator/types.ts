/**
 * One client the emulator's RFC 8628 side knows, and how it must authenticate.
 * @group Testing
 */
export interface EmulatorClient {
  /** The `client_id`. */
  readonly clientId: string;
  /** The client secret, for the two `client_secret_*` methods. */
  readonly clientSecret?: string | undefined;
  /** How the client authenticates (RFC 6749 §2.3.1). @defaultValue 'client_secret_basic' with a secret, 'none' without */
  readonly authMethod?: 'none' | 'client_secret_basic' | 'client_secret_post' | undefined;
}

/**
 * One AWS account the emulator's portal API offers to every login.
 * @group Testing
 */
export interface EmulatorAccount {
  /** The 12-digit account id. */
  readonly accountId: string;
  /** The account name ListAccounts shows. @defaultValue `account-<accountId>` */
  readonly accountName?: string | undefined;
  /** The email address ListAccounts shows. @defaultValue `<accountId>@example.com` */
  readonly emailAddress?: string | undefined;
  /** The roles a login can assume in it, in the order ListAccountRoles lists them. */
  readonly roles: readonly string[];
}

/**
 * Options for {@link startEmulator}. Every duration may be fractional, so
 * flows over real HTTP run in milliseconds.
 * @group Testing
 */
export interface EmulatorOptions {
  /** The address to listen on. @defaultValue '127.0.0.1' */
  readonly host?: string | undefined;
  /** The port; 0 picks a free one. @defaultValue 0 */
  readonly port?: number | undefined;
  /** The interval it announces and enforces, in seconds. @defaultValue 5 */
  readonly intervalSeconds?: number | undefined;
  /** The lifetime of a device code, in seconds. @defaultValue 600 */
  readonly expiresInSeconds?: number | undefined;
  /** How much a device code's enforced interval grows on each too-early poll, in seconds. @defaultValue 5 */
  readonly slowDownIncrementSeconds?: number | undefined;
  /** Leave `interval` out of the device authorization answer (the interval is still enforced). @defaultValue false */
  readonly omitInterval?: boolean | undefined;
  /** Send `verification_uri_complete` (AWS: `verificationUriComplete`). @defaultValue true */
  readonly sendVerificationUriComplete?: boolean | undefined;
  /** Approve each code this long (real time) after it is issued. @defaultValue never */
  readonly autoApproveAfterMs?: number | undefined;
  /** Deny each code this long (real time) after it is issued. @defaultValue never */
  readonly autoDenyAfterMs?: number | undefined;
  /**
   * Approve each code when its Nth poll arrives, so that this poll is answered
   * with the token (unless it comes too early: it then gets `slow_down`, and
   * the next poll the token). Polls are counted per code; a request answered
   * with an injected fault is not a poll. Unlike `autoApproveAfterMs`, it
   * depends on no timer, so a test that uses it passes however slow the machine.
   * @defaultValue never
   */
  readonly approveOnPoll?: number | undefined;
  /** Deny each code when its Nth poll arrives, as `approveOnPoll` approves it. @defaultValue never */
  readonly denyOnPoll?: number | undefined;
  /** The RFC side's clients; they replace the default one. @defaultValue one public client, `'tokenpoll-test'` (authMethod `'none'`) */
  readonly clients?: readonly EmulatorClient[] | undefined;
  /** The `expires_in` of the access tokens it issues, in seconds; on the AWS side the portal refuses them (`UnauthorizedException`) once it has passed. @defaultValue 3600 */
  readonly accessTokenTtlSeconds?: number | undefined;
  /** AWS portal: the accounts and roles every login can use. @defaultValue one account, `111111111111`, with the roles `ReadOnly` and `Admin` */
  readonly accounts?: readonly EmulatorAccount[] | undefined;
  /** AWS portal: the most items a ListAccounts or ListAccountRoles page holds (a smaller `max_result` wins), to force pagination. @defaultValue 20 */
  readonly portalPageSize?: number | undefined;
  /** AWS portal: the lifetime of the role credentials GetRoleCredentials mints, in seconds. @defaultValue 3600 */
  readonly roleCredentialsTtlSeconds?: number | undefined;
  /** Answer `authorization_pending` and `slow_down` with HTTP 200 and an error body, like GitHub (RFC side). @defaultValue false */
  readonly githubStyle?: boolean | undefined;
  /**
   * The emulator's time, in ms: for interval enforcement, code and access token
   * lifetimes, and the times it records. A `ManualClock` makes a test of those
   * rules independent of the machine's speed: two polls are "too early" because
   * the test did not move the clock, not because the machine was fast enough.
   * The timers of `autoApproveAfterMs` and `autoDenyAfterMs` stay real.
   * @defaultValue `performance.now()`
   */
  readonly clock?:
    | {
        /** The time now, in ms. */
        now(): number;
      }
    | undefined;
}

/**
 * A fault the emulator answers instead of processing a request (the request
 * then changes nothing: no poll is counted, no code is consumed). Each kind
 * can be sent on any path: an `aws_exception` on
 * `/aws/device_authorization` tests StartDeviceAuthorization's retries, say,
 * and one on `/federation/credentials` GetRoleCredentials' (on the portal's
 * paths an `aws_exception` takes the portal's format: a `{ message }` body).
 * @example
 * The next GetRoleCredentials is throttled twice, then answers.
 * ```ts
 * emulator.inject({ type: 'aws_exception', name: 'TooManyRequestsException' }, { path: '/federation/credentials', count: 2 });
 * ```
 * @example
 * The next StartDeviceAuthorization gets a SlowDownException, and the next
 * CreateToken an AccessDeniedException with a `reason`.
 * ```ts
 * emulator.inject({ type: 'aws_exception', name: 'SlowDownException' }, { path: '/aws/device_authorization' });
 * emulator.inject({ type: 'aws_exception', name: 'AccessDeniedException', reason: 'KMS_AccessDeniedException' }, { path: '/aws/token' });
 * ```
 * @group Testing
 */
export type EmulatorFault =
  | {
      /** A 5xx with an HTML body, as a proxy sends. */
      readonly type: 'server_error';
      /** @defaultValue 502 */
      readonly status?: 500 | 502 | 503 | 504 | undefined;
    }
  | {
      /** A 429 with `Retry-After` and an empty body. */
      readonly type: 'rate_limited';
      /** The `Retry-After` value, in seconds; sent as given, so a fractional one tests an unreadable header (RFC 9110 wants whole seconds). @defaultValue 1 */
      readonly retryAfterSeconds?: number | undefined;
    }
  | {
      /** Never answers (until the emulator closes, or the client gives up). */
      readonly type: 'hang';
    }
  | {
      /** Destroys the connection without an answer (a TCP reset). */
      readonly type: 'reset';
    }
  | {
      /** A 200 whose JSON body is cut short. */
      readonly type: 'malformed';
    }
  | {
      /**
       * A 200 whose connection drops halfway through its body (its
       * `Content-Length` promises more than is sent): a grant lost in transit,
       * which a client must not retry. Like every fault, it consumes nothing.
       */
      readonly type: 'lost_body';
    }
  | {
      /** A 200 with a huge JSON body. */
      readonly type: 'oversized';
      /** The body size. @defaultValue 2 MiB */
      readonly bytes?: number | undefined;
      /** Stream the body with `Transfer-Encoding: chunked` and no `Content-Length`, so only a streaming cap can stop it. @defaultValue false */
      readonly chunked?: boolean | undefined;
    }
  | {
      /** A 200 with an OAuth error body, as GitHub answers. */
      readonly type: 'github_200';
      /** The `error` it carries. @defaultValue 'authorization_pending' */
      readonly error?: 'authorization_pending' | 'slow_down' | undefined;
    }
  | {
      /** An AWS SSO OIDC exception, as AWS sends it: `x-amzn-ErrorType: <name>:http://internal.amazon.com/coral/com.amazonaws.sso.oidc/` and a JSON `{ error, error_description, reason? }` body. */
      readonly type: 'aws_exception';
      /**
       * The exception name, such as `SlowDownException`. A name from the spec's table gets its `error` code and status (`SlowDownException`: `slow_down`, 400; `InternalServerException`: `server_error`, 500; `InvalidClientException`: `invalid_client`, 401…); any other gets its name in snake_case without `Exception`, and 400.
       * On a portal path (`/aws/portal/…`) the portal's exceptions get their status (`UnauthorizedException` 401, `TooManyRequestsException` 429, `ResourceNotFoundException` 404, `InvalidRequestException` 400), any other 400.
       */
      readonly name: string;
      /** The HTTP status, replacing the one the name implies. */
      readonly status?: number | undefined;
      /** AWS's `reason` member, such as `KMS_AccessDeniedException`. @defaultValue none */
      readonly reason?: string | undefined;
    };

/** Which requests an injected fault applies to. @group Testing */
export interface EmulatorInjectOptions {
  /** How many matching requests get the fault. @defaultValue 1 */
  readonly count?: number | undefined;
  /** Requests whose path ends with this (`'/token'` matches the RFC and the AWS token endpoints). @defaultValue '/token' */
  readonly path?: string | undefined;
}

/** The life of a device code at the emulator. @group Testing */
export type EmulatorCodeStatus = 'pending' | 'approved' | 'denied' | 'expired' | 'consumed';

/** A device code the emulator issued, as seen by tests. It leaves out the device code itself. @group Testing */
export interface EmulatorCode {
  /** The user code. */
  readonly userCode: string;
  /** Where it is now (`expired` as soon as its lifetime has passed). */
  readonly status: EmulatorCodeStatus;
  /** Which API issued it. */
  readonly side: 'rfc' | 'aws';
  /** When it was issued, on the emulator's clock (`performance.now()` by default). */
  readonly issuedAt: number;
  /** When it was approved, on the emulator's clock. */
  readonly approvedAt?: number;
  /** When a token request consumed it, on the emulator's clock. */
  readonly consumedAt?: number;
}

/**
 * A device code token request that reached a code, as {@link Emulator.onPoll}
 * reports it, before it is answered.
 * @group Testing
 */
export interface EmulatorPoll {
  /** The code's user code. */
  readonly userCode: string;
  /** Which API the request came to. */
  readonly side: 'rfc' | 'aws';
  /** 1 for the first poll of this code (requests answered with an injected fault are not counted). */
  readonly count: number;
  /** Where the code is before this poll is answered. */
  readonly status: EmulatorCodeStatus;
}

/** One request the emulator received. @group Testing */
export interface EmulatorRequest {
  /** The HTTP method. */
  readonly method: string;
  /** The path, without the query string. */
  readonly path: string;
  /** When it arrived, on the emulator's clock (`performance.now()` by default). */
  readonly at: number;
  /** The status it was answered with; absent while unanswered, and for `hang` and `reset`. */
  readonly status?: number;
  /** The decoded form or JSON body (the query string for a GET). It holds secrets: it is a test tool. */
  readonly params: Readonly<Record<string, string>>;
}

/**
 * A running emulator: an RFC 8628 authorization server at `url`, the AWS
 * SSO OIDC API at `awsEndpoint` and the AWS SSO portal API at
 * `awsPortalEndpoint`, on one loopback HTTP server.
 *
 * RFC side: `GET /.well-known/oauth-authorization-server` (and
 * `/.well-known/openid-configuration`), `POST /device_authorization`,
 * `POST /token` (device code and refresh token grants), and the approval page
 * at `GET`/`POST /device`. AWS side (rest-json): `POST /client/register`,
 * `POST /device_authorization`, `POST /token`, with errors in the
 * `x-amzn-ErrorType` header and an `{error, error_description}` body. AWS
 * portal (rest-json, the access token in `x-amz-sso_bearer_token`):
 * `GET /assignment/accounts` and `GET /assignment/roles?account_id=…`
 * (paginated with `max_result` and `next_token`), `GET
 * /federation/credentials?account_id=…&role_name=…`, and `POST /logout`
 * (200 with no body; the token is refused from then on), with errors in
 * `x-amzn-ErrorType` and a `{message}` body: `UnauthorizedException` (401) for
 * an unknown, expired, revoked or signed-out access token, `ResourceNotFoundException`
 * (404) for an account or role the login does not have,
 * `InvalidRequestException` (400) for a missing or malformed parameter.
 * Access tokens (AWS side) expire after `accessTokenTtlSeconds`; refresh
 * tokens rotate (each works once).
 * @group Testing
 */
export interface Emulator {
  /** `'http://127.0.0.1:PORT'`: the RFC side's issuer. */
  readonly url: string;
  /** `url + '/aws'`: the AWS SSO OIDC endpoint (pass it as the SDK's `endpoint`). */
  readonly awsEndpoint: string;
  /** `url + '/aws/portal'`: the AWS SSO portal endpoint (pass it as `@aws-sdk/client-sso`'s `endpoint`, or `awsSsoPortal`'s). */
  readonly awsPortalEndpoint: string;
  /** Every device code issued so far, oldest first (a fresh snapshot on each read). */
  readonly codes: readonly EmulatorCode[];
  /** Every request received so far, oldest first (a fresh snapshot on each read). */
  readonly requests: readonly EmulatorRequest[];
  /**
   * Approves a pending code, as the user would. Approving an approved or consumed code does nothing.
   * @throws {@link tokenpoll!ConfigurationError} for an unknown code, or one that is denied or expired.
   */
  approve(userCode: string): void;
  /**
   * Denies a pending code. Denying a denied code does nothing.
   * @throws {@link tokenpoll!ConfigurationError} for an unknown code, or one that is approved, consumed or expired.
   */
  deny(userCode: string): void;
  /**
   * Expires a code now: its device code answers `expired_token`. A consumed code stays consumed.
   * @throws {@link tokenpoll!ConfigurationError} for an unknown code.
   */
  expire(userCode: string): void;
  /**
   * Calls `listener` each time a device code token request reaches a code,
   * before it is answered, so a test can decide on a given poll without a
   * timer: a decision it makes there (`approve`, `deny`, `expire`) is this
   * poll's answer (a poll that comes too early still gets `slow_down`). A
   * listener that throws makes the emulator answer 500.
   * @returns A function that removes the listener.
   * @example
   * Approve at the third poll, whatever the time.
   * ```ts
   * emulator.onPoll(({ userCode, count }) => {
   *   if (count === 3) emulator.approve(userCode);
   * });
   * ```
   */
  onPoll(listener: (poll: EmulatorPoll) => void): () => void;
  /** AWS side: every client registered so far now answers `InvalidClientException`; new registrations work. */
  expireClientRegistrations(): void;
  /** AWS side: every access token issued so far is refused by the portal (`UnauthorizedException`), as if it had expired. */
  expireAccessTokens(): void;
  /** Every refresh token issued so far (both sides) is refused (`invalid_grant`, AWS `InvalidGrantException`), as if revoked or expired. */
  revokeRefreshTokens(): void;
  /** Answers the next `count` requests whose path ends with `path` with a fault. Faults queue in order. */
  inject(fault: EmulatorFault, options?: EmulatorInjectOptions): void;
  /** Closes every connection (hung ones included) and the server, and clears every timer. Safe to call twice. */
  close(): Promise<void>;
}
