import { EventEmitter } from 'eventemitter3';

/** eventemitter3's event map for payload map `TEvents`: each event passes one argument, its payload. */
type Arguments<TEvents extends object> = { [K in keyof TEvents]: [payload: TEvents[K]] };

/** A listener as registered with eventemitter3: the caller's, wrapped, and tagged with it so that `off` finds it. */
type Isolated = ((payload: unknown) => void) & { readonly listener: unknown };

/**
 * An eventemitter3 emitter whose listeners cannot break the flow that
 * emits: a listener that throws, or an async listener whose promise rejects,
 * is reported through `onError` (with the event's name; should `onError`
 * throw in turn, that is ignored), and the other listeners still run.
 *
 * Each listener is registered wrapped in a small function that knows its
 * event and carries the caller's listener as `listener`; `off` asks
 * eventemitter3 for the event's listeners and removes the latest registration
 * of that listener (as Node's `EventEmitter` does). There is no bookkeeping of
 * our own: once-listeners are eventemitter3's own.
 * @internal
 */
export class IsolatedEmitter<TEvents extends object> {
  // eventemitter3's conditional types cannot resolve an event map that is still generic here
  // (only at the callers, with PollEvents), hence the `as never` casts on event names below.
  readonly #emitter = new EventEmitter<Arguments<TEvents>>();
  readonly #onError: (error: unknown, event: keyof TEvents) => void;

  constructor(onError: (error: unknown, event: keyof TEvents) => void) {
    this.#onError = onError;
  }

  /** Adds a listener. */
  on<K extends keyof TEvents>(event: K, listener: (payload: TEvents[K]) => unknown): void {
    this.#emitter.on(event as never, this.#isolate(event, listener) as never);
  }

  /** Adds a listener that runs once. */
  once<K extends keyof TEvents>(event: K, listener: (payload: TEvents[K]) => unknown): void {
    this.#emitter.once(event as never, this.#isolate(event, listener) as never);
  }

  /** Removes the latest registration of `listener` for `event`, if any. */
  off<K extends keyof TEvents>(event: K, listener: (payload: TEvents[K]) => unknown): void {
    const registered = (this.#emitter.listeners(event as never) as unknown as Isolated[]).reverse().find((isolated) => isolated.listener === listener);
    if (registered) this.#emitter.off(event as never, registered as never);
  }

  /** Calls every listener of `event` with `payload`, in the order they were added. */
  emit<K extends keyof TEvents>(event: K, payload: TEvents[K]): void {
    this.#emitter.emit(event as never, ...([payload] as never));
  }

  /** How many listeners `event` has. */
  listenerCount(event: keyof TEvents): number {
    return this.#emitter.listenerCount(event as never);
  }

  /** Removes every listener. */
  removeAllListeners(): void {
    this.#emitter.removeAllListeners();
  }

  #isolate<K extends keyof TEvents>(event: K, listener: (payload: TEvents[K]) => unknown): Isolated {
    const report = (error: unknown): void => {
      try {
        this.#onError(error, event);
      } catch {
        // Reporting is best effort: it may not break the flow either.
      }
    };
    const isolated = (payload: unknown): void => {
      try {
        const returned = listener(payload as TEvents[K]);
        // An async listener's rejection is caught too: it must not become an unhandled rejection.
        if (typeof (returned as PromiseLike<unknown> | undefined)?.then === 'function') (returned as PromiseLike<unknown>).then(undefined, report);
      } catch (error) {
        report(error);
      }
    };
    return Object.assign(isolated, { listener });
  }
}
