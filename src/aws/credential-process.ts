import { ConfigurationError } from '../errors/failures.js';
import type { AwsRoleCredentials } from './portal-types.js';

/**
 * What a `credential_process` prints on stdout, as the AWS CLI and SDKs read
 * it: `Version` 1, the three credential fields, and `Expiration` in ISO 8601.
 * It holds secrets: print it to stdout only.
 * @see {@link https://docs.aws.amazon.com/sdkref/latest/guide/feature-process-credentials.html | AWS SDKs and Tools: process credentials}
 * @group AWS portal
 */
export interface CredentialProcessOutput {
  /** Always 1. */
  readonly Version: 1;
  /** The access key id. */
  readonly AccessKeyId: string;
  /** The secret access key (a secret). */
  readonly SecretAccessKey: string;
  /** The session token (a secret). */
  readonly SessionToken: string;
  /** When the credentials expire, ISO 8601 UTC (`2026-01-01T01:00:00.000Z`). */
  readonly Expiration: string;
}

/**
 * Turns role credentials into the `credential_process` JSON object. Pure:
 * print it with `JSON.stringify`.
 * @example
 * ```ts
 * import { credentialProcessOutput } from 'tokenpoll';
 * const credentials = await portal.getRoleCredentials({ accountId: '111122223333', roleName: 'ReadOnly' });
 * process.stdout.write(`${JSON.stringify(credentialProcessOutput(credentials))}\n`);
 * // {"Version":1,"AccessKeyId":"ASIA…","SecretAccessKey":"…","SessionToken":"…","Expiration":"2026-01-01T01:00:00.000Z"}
 * ```
 * @throws {@link ConfigurationError} when a field is missing or `expiration` is not a time (naming the field, never its value).
 * @group AWS portal
 */
export function credentialProcessOutput(credentials: AwsRoleCredentials): CredentialProcessOutput {
  const { accessKeyId, secretAccessKey, sessionToken, expiration } = (credentials ?? {}) as Partial<AwsRoleCredentials>;
  for (const [name, value] of [['accessKeyId', accessKeyId], ['secretAccessKey', secretAccessKey], ['sessionToken', sessionToken]] as const) {
    if (typeof value !== 'string' || value === '') throw new ConfigurationError(name, 'expected a non-empty string');
  }
  if (typeof expiration !== 'number' || !Number.isFinite(expiration) || Number.isNaN(new Date(expiration).getTime())) {
    throw new ConfigurationError('expiration', 'expected a time in epoch milliseconds');
  }
  return Object.freeze({
    Version: 1,
    AccessKeyId: accessKeyId!,
    SecretAccessKey: secretAccessKey!,
    SessionToken: sessionToken!,
    Expiration: new Date(expiration).toISOString(),
  });
}
