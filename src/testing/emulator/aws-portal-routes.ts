/// <reference types="node" />
import type { EmulatorContext } from './context.js';
import { respond, respondJson, type Exchange, type Handler } from './http-io.js';
import { randomToken } from './random.js';

/**
 * The AWS SSO portal's exceptions and their statuses (the `@aws-sdk/client-sso` model's).
 * @internal
 */
export const PORTAL_EXCEPTIONS: Readonly<Record<string, number>> = {
  UnauthorizedException: 401,
  TooManyRequestsException: 429,
  ResourceNotFoundException: 404,
  InvalidRequestException: 400,
};

/** Where the portal's routes live, under the emulator's URL. @internal */
export const PORTAL_PREFIX = '/aws/portal';

const PORTAL_NAMESPACE = 'http://internal.amazon.com/coral/com.amazonaws.switchboard.portal/';

/** Answers a portal error: `x-amzn-ErrorType: Name:namespace` and a `{ message }` body. @internal */
export function portalError(exchange: Exchange, name: string, message: string, status?: number): void {
  respondJson(exchange, status ?? PORTAL_EXCEPTIONS[name] ?? 400, { message }, {
    'x-amzn-ErrorType': `${name}:${PORTAL_NAMESPACE}`,
    'x-amzn-RequestId': crypto.randomUUID(),
  });
}

/** The portal's routes (rest-json; the access token in `x-amz-sso_bearer_token`). @internal */
export function portalRoutes(context: EmulatorContext): Map<string, Handler> {
  const authorized =
    (handler: (exchange: Exchange, context: EmulatorContext) => void): Handler =>
    (exchange) => {
      if (context.awsTokens.check(exchange.req.headers['x-amz-sso_bearer_token'])) handler(exchange, context);
      else portalError(exchange, 'UnauthorizedException', 'Session token not found or invalid');
    };
  return new Map<string, Handler>([
    [`GET ${PORTAL_PREFIX}/assignment/accounts`, authorized(listAccounts)],
    [`GET ${PORTAL_PREFIX}/assignment/roles`, authorized(listAccountRoles)],
    [`GET ${PORTAL_PREFIX}/federation/credentials`, authorized(getRoleCredentials)],
    [`POST ${PORTAL_PREFIX}/logout`, authorized(logout)],
  ]);
}

/** Logout: the token is refused from now on (a second Logout with it gets UnauthorizedException); 200 with no body. */
function logout(exchange: Exchange, context: EmulatorContext): void {
  context.awsTokens.revoke(String(exchange.req.headers['x-amz-sso_bearer_token']));
  respond(exchange, 200, { 'x-amzn-RequestId': crypto.randomUUID() });
}

function listAccounts(exchange: Exchange, context: EmulatorContext): void {
  const accounts = context.settings.accounts.map(({ accountId, accountName, emailAddress }) => ({ accountId, accountName, emailAddress }));
  page(exchange, context, 'accountList', accounts);
}

function listAccountRoles(exchange: Exchange, context: EmulatorContext): void {
  const account = findAccount(exchange, context);
  if (account) page(exchange, context, 'roleList', account.roles.map((roleName) => ({ roleName, accountId: account.accountId })));
}

function getRoleCredentials(exchange: Exchange, context: EmulatorContext): void {
  const roleName = exchange.query.get('role_name');
  if (!roleName) return portalError(exchange, 'InvalidRequestException', 'role_name is required');
  const account = findAccount(exchange, context);
  if (!account) return;
  if (!account.roles.includes(roleName)) return portalError(exchange, 'ResourceNotFoundException', 'No access');
  respondJson(exchange, 200, {
    roleCredentials: {
      accessKeyId: `ASIA${randomToken().replace(/[^A-Z2-7]/g, '').padEnd(16, 'Q').slice(0, 16)}`,
      secretAccessKey: randomToken().slice(0, 40),
      sessionToken: `${randomToken()}${randomToken()}`,
      expiration: Date.now() + context.settings.roleCredentialsTtlMs,
    },
  });
}

/** The account named by `account_id`; answers InvalidRequestException or ResourceNotFoundException otherwise. */
function findAccount(exchange: Exchange, context: EmulatorContext): EmulatorContext['settings']['accounts'][number] | undefined {
  const accountId = exchange.query.get('account_id');
  if (!accountId) return void portalError(exchange, 'InvalidRequestException', 'account_id is required');
  if (!/^\d{12}$/.test(accountId)) return void portalError(exchange, 'InvalidRequestException', 'account_id must be 12 digits');
  const account = context.settings.accounts.find((candidate) => candidate.accountId === accountId);
  if (!account) portalError(exchange, 'ResourceNotFoundException', 'No access');
  return account;
}

/** Answers one page of a list: at most `max_result` and the page size, from the `next_token` offset. */
function page(exchange: Exchange, context: EmulatorContext, listName: string, items: readonly unknown[]): void {
  const maxResult = exchange.query.get('max_result');
  if (maxResult !== null && !/^[1-9]\d*$/.test(maxResult)) return portalError(exchange, 'InvalidRequestException', 'max_result must be a positive integer');
  const size = Math.min(context.settings.portalPageSize, maxResult === null ? Number.POSITIVE_INFINITY : Number(maxResult));
  const nextToken = exchange.query.get('next_token');
  const offset = nextToken === null ? 0 : offsetOf(nextToken, listName);
  if (offset === undefined) return portalError(exchange, 'InvalidRequestException', 'invalid next_token');
  const body: Record<string, unknown> = { [listName]: items.slice(offset, offset + size) };
  if (offset + size < items.length) body['nextToken'] = Buffer.from(`${listName}:${offset + size}`).toString('base64url');
  respondJson(exchange, 200, body);
}

function offsetOf(nextToken: string, listName: string): number | undefined {
  const match = /^(\w+):(\d+)$/.exec(Buffer.from(nextToken, 'base64url').toString('utf8'));
  return match && match[1] === listName ? Number(match[2]) : undefined;
}
