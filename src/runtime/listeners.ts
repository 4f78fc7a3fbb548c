import { EventEmitter } from 'eventemitter3';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- eventemitter3 takes any listener
type Listener = (...args: any[]) => void;

/**
 * An eventemitter3 instance whose listeners cannot break the emitter: each
 * listener is wrapped so that a throw (or an async listener's rejection) is
 * reported through `onError` and the remaining listeners still run. `off` takes the listener as it was given.
 * @internal
 */
export class IsolatedListeners<TEvents extends object> {
  readonly #emitter = new EventEmitter();
  readonly #wrappers = new Map<PropertyKey, Map<Listener, Listener[]>>();
  readonly #onError: (error: unknown, event: keyof TEvents) => void;

  constructor(onError: (error: unknown, event: keyof TEvents) => void) {
    this.#onError = onError;
  }

  add<K extends keyof TEvents>(event: K, listener: (payload: TEvents[K]) => void, once: boolean): void {
    const wrapper = (payload: TEvents[K]): void => {
      if (once) this.#forget(event, listener as Listener, wrapper as Listener);
      try {
        // An async listener's rejection is caught too: it must not become an unhandled rejection.
        const result: unknown = listener(payload);
        if (typeof (result as PromiseLike<unknown> | undefined)?.then === 'function') {
          (result as PromiseLike<unknown>).then(undefined, (error: unknown) => this.#onError(error, event));
        }
      } catch (error) {
        this.#onError(error, event);
      }
    };
    let byListener = this.#wrappers.get(event);
    if (!byListener) this.#wrappers.set(event, (byListener = new Map()));
    const list = byListener.get(listener as Listener);
    if (list) list.push(wrapper as Listener);
    else byListener.set(listener as Listener, [wrapper as Listener]);
    if (once) this.#emitter.once(event as string, wrapper);
    else this.#emitter.on(event as string, wrapper);
  }

  remove<K extends keyof TEvents>(event: K, listener: (payload: TEvents[K]) => void): void {
    const wrapper = this.#wrappers.get(event)?.get(listener as Listener)?.at(-1);
    if (!wrapper) return;
    this.#forget(event, listener as Listener, wrapper);
    this.#emitter.off(event as string, wrapper);
  }

  has(event: keyof TEvents): boolean {
    return this.#emitter.listenerCount(event as string) > 0;
  }

  emit<K extends keyof TEvents>(event: K, payload: TEvents[K]): void {
    this.#emitter.emit(event as string, payload);
  }

  clear(): void {
    this.#emitter.removeAllListeners();
    this.#wrappers.clear();
  }

  #forget(event: PropertyKey, listener: Listener, wrapper: Listener): void {
    const byListener = this.#wrappers.get(event);
    const list = byListener?.get(listener);
    if (!byListener || !list) return;
    const index = list.lastIndexOf(wrapper);
    if (index >= 0) list.splice(index, 1);
    if (list.length === 0) byListener.delete(listener);
    if (byListener.size === 0) this.#wrappers.delete(event);
  }
}
