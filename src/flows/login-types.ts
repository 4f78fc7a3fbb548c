import type { TokenSet } from '../core/outcome.js';
import type { PollState } from '../core/state.js';
import type { PollEvents } from '../runtime/events.js';
import type { CancelablePromise } from '../runtime/result.js';
import type { LoginSnapshot } from './login-snapshot.js';

/**
 * What a login shows the user. It never holds the device code.
 * @see {@link https://www.rfc-editor.org/rfc/rfc8628#section-3.3 | RFC 8628 §3.3}
 * @group Events
 */
export interface CodeEvent {
  /** The code the user types. */
  readonly userCode: string;
  /** Where the user goes. */
  readonly verificationUri: string;
  /** The same with the user code filled in, when the server sent one. */
  readonly verificationUriComplete?: string;
  /** A message for the user, when the server sent one. */
  readonly message?: string;
  /** When the code expires, in wall-clock epoch milliseconds. */
  readonly expiresAt: number;
  /** How long until the code expires, in milliseconds. */
  readonly expiresInMs: number;
  /** 0 for the first code; 1, 2… after restarts. */
  readonly restart: number;
  /** `true` when the login was resumed from a snapshot ({@link resumeLogin}): this code was shown before, by the process that took it. */
  readonly resumed?: boolean;
}

/**
 * The events of a whole login: the poll's events, plus `code` each time a
 * device code is issued.
 * @group Events
 */
export interface LoginEvents<TToken = TokenSet> extends PollEvents<TToken> {
  /** A device code was issued: show the user `userCode` and `verificationUri`. */
  code: CodeEvent;
}

/**
 * A login's state: `authorizing` while no poll runs (asking for a device code, and between
 * two polls: while the `restart` policy is asked, or the client is registered again or
 * forgotten), the running poll's state while it polls, and once the login has settled, its
 * end: the last poll's terminal state when that poll's end is the login's, otherwise
 * `failed` (asking for a code failed, or a callback such as the clock threw) or `cancelled`.
 * @group Flows
 */
export type LoginState<TToken = TokenSet> =
  | {
      /** Always `'authorizing'`: no poll runs; a device code is being asked for, or the login decides whether to ask for a new one. */
      readonly status: 'authorizing';
      /** 0 for the first code; 1, 2… after restarts. */
      readonly restart: number;
    }
  | PollState<TToken>;

/**
 * A running login, as {@link startDeviceLogin} and the provider flows return it.
 * @group Flows
 */
export interface LoginHandle<TToken = TokenSet> {
  /** Resolves with the token set; rejects with a {@link TokenPollError} subclass. Cancelling it cancels the login. */
  readonly result: CancelablePromise<TToken>;
  /** Where the login is. */
  readonly state: LoginState<TToken>;
  /** Cancels the login at any point: while authorizing or while polling. */
  cancel(reason?: unknown): void;
  /** Adds a listener. */
  on<K extends keyof LoginEvents<TToken>>(event: K, listener: (payload: LoginEvents<TToken>[K]) => void): this;
  /** Adds a listener that runs once. */
  once<K extends keyof LoginEvents<TToken>>(event: K, listener: (payload: LoginEvents<TToken>[K]) => void): this;
  /** Removes a listener. */
  off<K extends keyof LoginEvents<TToken>>(event: K, listener: (payload: LoginEvents<TToken>[K]) => void): this;
  /**
   * Writes the login down, to be resumed in another process with
   * {@link resumeLogin}: plain JSON, times in wall-clock ms. It holds the
   * device code (a secret; see {@link LoginSnapshot} for where to keep it, and
   * {@link sealSnapshot}), never the client secret. Take it from the `code`
   * event on; a request in flight now is resumed as failed in transit. Reads
   * the clock; changes nothing: the login goes on. As with a poll's, a
   * snapshot is one moment: take a new one after each answer (`pending`,
   * `slowDown`, `retry`) to keep a raised floor.
   * @throws {@link SnapshotUnavailableError} while no device code is being polled
   * (`state.status` is `'authorizing'`: before the `code` event, or between two codes), and once settled.
   */
  snapshot(): LoginSnapshot;
}
