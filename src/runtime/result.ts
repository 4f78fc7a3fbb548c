/**
 * The result of a poll or a login: a promise of the token that can also
 * cancel the flow (the interface of p-cancelable: `cancel()` and
 * `isCanceled`). It never causes an unhandled rejection on its own: the
 * underlying promise is made only when something awaits it.
 * @group Poller
 */
export interface CancelablePromise<T> extends Promise<T> {
  /**
   * Cancels the flow, as `cancel(reason)` on its handle does: the promise then
   * rejects with a {@link PollCancelledError} whose `cause` is `reason`. Does
   * nothing once the flow has settled.
   */
  cancel(reason?: unknown): void;
  /** Whether the flow ended cancelled (by this `cancel()`, the handle's, or the caller's signal). */
  readonly isCanceled: boolean;
}

/** What a {@link CancelableResult} cancels. @internal */
export interface CancelTarget {
  cancel(reason?: unknown): void;
  /** The error to reject with, for {@link CancelableResult.rejectLazily}: asked for once, when first needed. */
  settledError?(): unknown;
}

const PENDING = 0;
const FULFILLED = 1;
const REJECTED = 2;
const CANCELLED = 3;
/** The value of a result rejected by {@link CancelableResult.rejectLazily} until its error is made. */
const LAZY: unique symbol = Symbol('lazy error');

/**
 * A {@link CancelablePromise} that its flow settles by calling `resolve` or
 * `reject`. The native promise behind it is made only when `then`, `catch`
 * or `finally` is first called, so a flow nobody awaits holds no promise and
 * its rejection is never unhandled. `instanceof Promise` holds, as for
 * p-cancelable.
 * @internal
 */
export class CancelableResult<T> implements CancelablePromise<T> {
  declare readonly [Symbol.toStringTag]: string;
  readonly #target: CancelTarget;
  #status: typeof PENDING | typeof FULFILLED | typeof REJECTED | typeof CANCELLED = PENDING;
  #value: unknown;
  #promise: Promise<T> | undefined;
  #resolve: ((value: T) => void) | undefined;
  #reject: ((error: unknown) => void) | undefined;
  #cancel: ((reason?: unknown) => void) | undefined;

  constructor(target: CancelTarget) {
    this.#target = target;
  }

  get isCanceled(): boolean {
    return this.#status === CANCELLED;
  }

  /** Bound on first read, so `const { cancel } = result` and `signal.addEventListener('abort', result.cancel)` work (as with p-cancelable). */
  get cancel(): (reason?: unknown) => void {
    return (this.#cancel ??= (reason?: unknown) => this.#target.cancel(reason));
  }

  then<TResult1 = T, TResult2 = never>(
    onFulfilled?: ((value: T) => TResult1 | PromiseLike<TResult1>) | null,
    onRejected?: ((reason: unknown) => TResult2 | PromiseLike<TResult2>) | null,
  ): Promise<TResult1 | TResult2> {
    return this.#settled().then(onFulfilled, onRejected);
  }

  catch<TResult = never>(onRejected?: ((reason: unknown) => TResult | PromiseLike<TResult>) | null): Promise<T | TResult> {
    return this.#settled().catch(onRejected);
  }

  finally(onFinally?: (() => void) | null): Promise<T> {
    return this.#settled().finally(onFinally);
  }

  /** Fulfils the result; ignored once settled. @internal */
  resolve(value: T): void {
    if (this.#status !== PENDING) return;
    this.#status = FULFILLED;
    this.#value = value;
    this.#resolve?.(value);
    this.#forgetResolvers();
  }

  /** Rejects the result, saying whether the flow was cancelled; ignored once settled. @internal */
  reject(error: unknown, cancelled: boolean): void {
    if (this.#status !== PENDING) return;
    this.#status = cancelled ? CANCELLED : REJECTED;
    this.#value = error;
    this.#reject?.(error);
    this.#forgetResolvers();
  }

  /**
   * Rejects the result with the error its target's `settledError()` makes,
   * asked for only when needed: at once if something awaits the result, else
   * when something first does. A flow nobody awaits never builds its error.
   * Ignored once settled.
   * @internal
   */
  rejectLazily(cancelled: boolean): void {
    if (this.#status !== PENDING) return;
    this.#status = cancelled ? CANCELLED : REJECTED;
    this.#value = LAZY;
    if (this.#reject) this.#reject(this.#error());
    this.#forgetResolvers();
  }

  #error(): unknown {
    if (this.#value === LAZY) this.#value = this.#target.settledError!();
    return this.#value;
  }

  #settled(): Promise<T> {
    if (this.#promise) return this.#promise;
    switch (this.#status) {
      case PENDING:
        return (this.#promise = new Promise<T>((resolve, reject) => {
          this.#resolve = resolve;
          this.#reject = reject;
        }));
      case FULFILLED:
        return (this.#promise = Promise.resolve(this.#value as T));
      default:
        return (this.#promise = Promise.reject(this.#error()));
    }
  }

  #forgetResolvers(): void {
    this.#resolve = undefined;
    this.#reject = undefined;
  }
}

Object.setPrototypeOf(CancelableResult.prototype, Promise.prototype);
