import { EventEmitter } from 'eventemitter3';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- listeners take any payload
type Listener = (payload: any) => unknown;

/** One listener as added: eventemitter3 calls {@link invoke} with it as `this`. */
interface Registration {
  readonly event: PropertyKey;
  readonly listener: Listener;
  readonly once: boolean;
  readonly owner: IsolatedListeners<object>;
}

/**
 * An eventemitter3 instance whose listeners cannot break the emitter: a
 * listener that throws (or an async listener that rejects) is reported
 * through `onError`, and the remaining listeners still run. `off` takes the
 * listener as it was given.
 *
 * Each listener is registered as one shared function, {@link invoke}, with a
 * small registration object as its context, rather than wrapped in a closure
 * and looked up through maps: a poll with one listener stays a few hundred
 * bytes (measured in bench/, scale).
 * @internal
 */
export class IsolatedListeners<TEvents extends object> {
  readonly #emitter = new EventEmitter();
  /** Every registration, oldest first, so `remove` finds the latest one for a listener. */
  #registrations: Registration[] | undefined;
  readonly #onError: (error: unknown, event: keyof TEvents) => void;

  constructor(onError: (error: unknown, event: keyof TEvents) => void) {
    this.#onError = onError;
  }

  add<K extends keyof TEvents>(event: K, listener: (payload: TEvents[K]) => void, once: boolean): void {
    const registration: Registration = { event, listener, once, owner: this as IsolatedListeners<object> };
    if (this.#registrations) this.#registrations.push(registration);
    else this.#registrations = [registration];
    // `once` is handled in invoke(), by context: eventemitter3's own would drop every once-listener of the event.
    this.#emitter.on(event as string, invoke, registration);
  }

  remove<K extends keyof TEvents>(event: K, listener: (payload: TEvents[K]) => void): void {
    const registrations = this.#registrations ?? [];
    for (let i = registrations.length - 1; i >= 0; i--) {
      const registration = registrations[i]!;
      if (registration.event === event && registration.listener === listener) return this.forget(registration);
    }
  }

  has(event: keyof TEvents): boolean {
    return this.#emitter.listenerCount(event as string) > 0;
  }

  emit<K extends keyof TEvents>(event: K, payload: TEvents[K]): void {
    this.#emitter.emit(event as string, payload);
  }

  clear(): void {
    this.#emitter.removeAllListeners();
    this.#registrations = undefined;
  }

  /** Removes one registration. @internal */
  forget(registration: Registration): void {
    const registrations = this.#registrations;
    const index = registrations ? registrations.lastIndexOf(registration) : -1;
    if (index < 0) return;
    registrations!.splice(index, 1);
    this.#emitter.off(registration.event as string, invoke, registration);
  }

  /** Reports a listener's throw or rejection. @internal */
  report(error: unknown, event: PropertyKey): void {
    this.#onError(error, event as keyof TEvents);
  }
}

/** Calls one registered listener, isolating its throw or rejection. */
function invoke(this: Registration, payload: unknown): void {
  const { owner, event } = this;
  if (this.once) owner.forget(this);
  try {
    // An async listener's rejection is caught too: it must not become an unhandled rejection.
    const result = this.listener(payload);
    if (typeof (result as PromiseLike<unknown> | undefined)?.then === 'function') {
      (result as PromiseLike<unknown>).then(undefined, (error: unknown) => owner.report(error, event));
    }
  } catch (error) {
    owner.report(error, event);
  }
}
