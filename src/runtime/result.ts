import PCancelable from 'p-cancelable';

/**
 * The result of a poll or a login: a
 * {@link https://github.com/sindresorhus/p-cancelable | p-cancelable} promise
 * of the token (`result instanceof PCancelable` holds). `result.cancel(reason)`
 * cancels the flow as `cancel(reason)` on its handle does; the promise then
 * rejects with a {@link PollCancelledError} whose `cause` is `reason` and whose
 * `isCanceled` is `true`. `isCanceled` says whether the flow ended cancelled
 * (by `result.cancel()`, the handle's `cancel()` or the caller's signal). A
 * result nobody awaits never causes an unhandled rejection.
 * @group Poller
 */
export interface CancelablePromise<T> extends PCancelable<T> {
  /**
   * Cancels the flow, as `cancel(reason)` on its handle does. Does nothing
   * once the flow has settled. Bound: `signal.addEventListener('abort', result.cancel)` works.
   */
  cancel: (reason?: unknown) => void;
}

/**
 * A flow's result and the two functions its flow settles it with, as
 * {@link cancelableResult} makes them.
 * @internal
 */
export interface SettleableResult<T> {
  /** The caller's promise. */
  readonly result: CancelablePromise<T>;
  /** Fulfils the result; ignored once settled. */
  resolve(value: T): void;
  /** Rejects the result; an error whose `isCanceled` is `true` marks it cancelled. Ignored once settled. */
  reject(error: unknown): void;
}

/** A PCancelable whose `cancel(reason)` hands the reason to its flow (p-cancelable 4 calls its own cancel handlers with no argument). */
class FlowResult<T> extends PCancelable<T> implements CancelablePromise<T> {
  /** An own, bound function, so `const { cancel } = result` works too. */
  override readonly cancel: (reason?: unknown) => void;

  constructor(executor: ConstructorParameters<typeof PCancelable<T>>[0], onCancel: (reason: unknown) => void) {
    super(executor);
    this.cancel = (reason) => onCancel(reason);
  }
}

const noop = (): void => {};

/**
 * Makes a flow's result: a PCancelable whose `cancel(reason)` calls
 * `onCancel(reason)` once, while the result is pending. The flow then settles
 * it, with `reject(new PollCancelledError(reason))` when it ends cancelled (or
 * with its token or another error when it had already ended otherwise). The
 * result counts as cancelled (`isCanceled`) exactly when it rejects with an
 * error whose `isCanceled` is `true`, so every way of cancelling a flow ends
 * the same way. It never causes an unhandled rejection.
 * @param onCancel - Cancels the flow.
 * @internal
 */
export function cancelableResult<T>(onCancel: (reason: unknown) => void): SettleableResult<T> {
  let pending = true;
  let settle!: { resolve: (value: T) => void; reject: (error: unknown) => void };
  const result = new FlowResult<T>(
    (resolve, reject, onCancelHandlers) => {
      // The flow rejects with its own error; p-cancelable's cancel() then only records the cancellation.
      onCancelHandlers.shouldReject = false;
      settle = { resolve, reject };
    },
    (reason) => {
      if (!pending) return;
      pending = false;
      onCancel(reason);
    },
  );
  // A result nobody awaits must not reject unhandled: the rejection is also reported as a terminal event.
  result.then(undefined, noop);
  return {
    result,
    resolve(value) {
      pending = false;
      settle.resolve(value);
    },
    reject(error) {
      pending = false;
      if (isCancelError(error)) PCancelable.prototype.cancel.call(result);
      settle.reject(error);
    },
  };
}

/** p-cancelable's convention: a cancellation error says `isCanceled`. */
function isCancelError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { isCanceled?: unknown }).isCanceled === true;
}
