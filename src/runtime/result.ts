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
   * once the flow has settled. Bound, so `const { cancel } = result` works;
   * to cancel from an AbortSignal, pass it as the `signal` option (a listener
   * `signal.addEventListener('abort', result.cancel)` would pass the `Event`
   * as the reason, not `signal.reason`).
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
  /** Fulfils the result; ignored once settled. A method: call it on this object. */
  resolve(value: T): void;
  /** Rejects the result; an error whose `isCanceled` is `true` marks it cancelled. Ignored once settled. A method: call it on this object. */
  reject(error: unknown): void;
}

/** A PCancelable whose `cancel(reason)` hands the reason to its flow (p-cancelable 4 calls its own cancel handlers with no argument). */
class FlowResult<T> extends PCancelable<T> implements CancelablePromise<T> {
  /** An own, bound function, so `const { cancel } = result` works too. */
  override readonly cancel: (reason?: unknown) => void;

  constructor(executor: ConstructorParameters<typeof PCancelable<T>>[0], cancel: (reason?: unknown) => void) {
    super(executor);
    this.cancel = cancel;
  }
}

const noop = (): void => {};

/**
 * Makes a flow's result: a PCancelable whose `cancel` is `onCancel` (so
 * `onCancel` must work unbound, and do nothing once the flow has ended, as a
 * flow machine's terminal state does with every input). The flow then settles
 * it, with `reject(new PollCancelledError(reason))` when it ends cancelled (or
 * with its token or another error when it had already ended otherwise). The
 * result counts as cancelled (`isCanceled`) exactly when it rejects with an
 * error whose `isCanceled` is `true`, so every way of cancelling a flow ends
 * the same way. It never causes an unhandled rejection.
 * @param onCancel - Cancels the flow with `reason`.
 * @internal
 */
export function cancelableResult<T>(onCancel: (reason: unknown) => void): SettleableResult<T> {
  return new Settleable<T>(onCancel);
}

/**
 * {@link cancelableResult}'s result and its two settling functions. A class,
 * so that a flow waiting for its token holds one object and the functions
 * p-cancelable hands out, not a closure per function: a service may hold
 * many pending flows.
 */
class Settleable<T> implements SettleableResult<T> {
  readonly result: FlowResult<T>;
  #resolve!: (value: T) => void;
  #reject!: (error: unknown) => void;

  constructor(onCancel: (reason: unknown) => void) {
    this.result = new FlowResult<T>(
      (resolve, reject, onCancelHandlers) => {
        // The flow rejects with its own error; p-cancelable's cancel() then only records the cancellation.
        onCancelHandlers.shouldReject = false;
        this.#resolve = resolve;
        this.#reject = reject;
      },
      onCancel,
    );
  }

  resolve(value: T): void {
    this.#resolve(value);
  }

  reject(error: unknown): void {
    if (isCancelError(error)) PCancelable.prototype.cancel.call(this.result);
    this.#reject(error);
    // A result nobody awaits must not reject unhandled (the rejection is also reported as a terminal event).
    // A handler attached in the same turn as the rejection counts as handled, so none is held while pending.
    this.result.then(undefined, noop);
  }
}

/** p-cancelable's convention: a cancellation error says `isCanceled`. */
function isCancelError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { isCanceled?: unknown }).isCanceled === true;
}
