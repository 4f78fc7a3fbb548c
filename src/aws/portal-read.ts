import { InvalidResponseError } from '../errors/failures.js';
import { isEpochMsInRange } from '../transports/aws/epoch.js';
import type { AwsSsoPortalOperation } from './errors.js';
import type { AwsAccountInfo, AwsRoleCredentials, AwsRoleInfo } from './portal-types.js';

/**
 * Reads one `accountList` item.
 * @throws {@link InvalidResponseError} when it has no `accountId`.
 * @internal
 */
export function accountFrom(value: unknown, operation: AwsSsoPortalOperation): AwsAccountInfo {
  const item = objectOf(value);
  const accountId = text(item['accountId']);
  if (accountId === undefined) throw new InvalidResponseError(`${operation} answered an account without an accountId`);
  const account: { -readonly [K in keyof AwsAccountInfo]: AwsAccountInfo[K] } = { accountId };
  const accountName = text(item['accountName']);
  if (accountName !== undefined) account.accountName = accountName;
  const emailAddress = text(item['emailAddress']);
  if (emailAddress !== undefined) account.emailAddress = emailAddress;
  return Object.freeze(account);
}

/**
 * Reads one `roleList` item.
 * @throws {@link InvalidResponseError} when it has no `roleName` or `accountId`.
 * @internal
 */
export function roleFrom(value: unknown, operation: AwsSsoPortalOperation): AwsRoleInfo {
  const item = objectOf(value);
  const roleName = text(item['roleName']);
  const accountId = text(item['accountId']);
  if (roleName === undefined || accountId === undefined) throw new InvalidResponseError(`${operation} answered a role without a roleName or accountId`);
  return Object.freeze({ accountId, roleName });
}

/**
 * Reads GetRoleCredentials' `roleCredentials`: three non-empty strings and an
 * expiration in epoch milliseconds, no later than the year 9999 (it becomes
 * the `credential_process` `Expiration` date).
 * @throws {@link InvalidResponseError} naming what is missing or out of range (never the values).
 * @internal
 */
export function roleCredentialsFrom(json: Readonly<Record<string, unknown>>, operation: AwsSsoPortalOperation): AwsRoleCredentials {
  const credentials = objectOf(json['roleCredentials']);
  const accessKeyId = text(credentials['accessKeyId']);
  const secretAccessKey = text(credentials['secretAccessKey']);
  const sessionToken = text(credentials['sessionToken']);
  const expiration = credentials['expiration'];
  const usableExpiration = isEpochMsInRange(expiration);
  const missing = [
    accessKeyId ? '' : 'accessKeyId',
    secretAccessKey ? '' : 'secretAccessKey',
    sessionToken ? '' : 'sessionToken',
    usableExpiration ? '' : 'expiration',
  ].filter(Boolean);
  if (!accessKeyId || !secretAccessKey || !sessionToken || !usableExpiration) {
    throw new InvalidResponseError(`${operation} answered roleCredentials without a usable ${missing.join(', ')}`);
  }
  return Object.freeze({ accessKeyId, secretAccessKey, sessionToken, expiration });
}

function objectOf(value: unknown): Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
