import { callOnce } from '../one-shot.js';
import { awsRequest, awsUrl, type AwsClient } from './client.js';
import { AwsSsoOidcError, type AwsSsoOidcOperation } from './errors.js';

/** One AWS call, as {@link callAws} makes it. @internal */
export interface AwsCall<TResult> {
  readonly operation: AwsSsoOidcOperation;
  readonly path: string;
  readonly body: Readonly<Record<string, unknown>>;
  readonly signal?: AbortSignal | undefined;
  /** Reads a 2xx JSON answer; throws a typed error when it is unusable. */
  read(json: Readonly<Record<string, unknown>>, answer: { readonly status: number; readonly receivedAt: number }): TResult;
  /** A grant (the refresh grant): an unreadable 2xx may have spent the refresh token, so it is never retried. */
  readonly grant?: boolean;
}

/**
 * Makes a one-shot AWS call with {@link callOnce}: transient faults,
 * `InternalServerException` and `SlowDownException` are retried, and every
 * other error is thrown as the same typed {@link TokenPollError} the RFC 8628
 * helpers throw, an AWS error being an {@link AwsSsoOidcError} naming the call.
 * @internal
 */
export function callAws<TResult>(client: AwsClient, call: AwsCall<TResult>): Promise<TResult> {
  const { operation } = call;
  return callOnce(
    {
      operation,
      oauthError: (detail) => new AwsSsoOidcError(operation, detail),
      request: awsRequest(awsUrl(client, call.path), call.body),
      grant: call.grant,
      read: call.read,
    },
    { ...client.retry, clock: client.clock, fetch: client.fetch, requestTimeoutMs: client.requestTimeoutMs, maxBodyBytes: client.maxBodyBytes, userAgent: client.userAgent, signal: call.signal },
  );
}
