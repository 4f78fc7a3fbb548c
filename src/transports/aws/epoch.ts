/**
 * The latest expiry tokenpoll takes from a server as a date: the last
 * millisecond of the year 9999 (`9999-12-31T23:59:59.999Z`), the last one
 * ISO 8601's four-digit years can write (the AWS CLI's cache, and the
 * `credential_process` `Expiration`). A later one (`1e300`) is not a time
 * any server means, and `new Date()` could not hold most of them.
 * @internal
 */
export const LATEST_EPOCH_MS: number = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** Whether `ms` is a time in epoch milliseconds after 1970 and no later than {@link LATEST_EPOCH_MS}. @internal */
export function isEpochMsInRange(ms: unknown): ms is number {
  return typeof ms === 'number' && ms > 0 && ms <= LATEST_EPOCH_MS;
}
