import type { Classifier } from '../classify/classify.js';
import type { BackoffStrategy } from '../core/backoff-strategy.js';
import type { ConfigInput } from '../core/config.js';
import type { CoreEvents } from '../core/events.js';
import type { OAuthErrorDetail, TokenSet } from '../core/outcome.js';
import type { PollStatus, TerminalState } from '../core/state.js';
import type { TokenTransport } from '../transports/types.js';
import type { SealKey } from './seal.js';

/**
 * Where the fleet's Redis is, as ioredis takes it (`{ host, port, password, tls… }`).
 * Both sides need the same server, `name` and `prefix`.
 * @group Fleet
 */
export interface FleetConnection {
  /** The Redis host. @defaultValue '127.0.0.1' */
  readonly host?: string | undefined;
  /** The Redis port. @defaultValue 6379 */
  readonly port?: number | undefined;
  /** Every other ioredis option (`password`, `username`, `db`, `tls`…). */
  readonly [option: string]: unknown;
}

/** What both sides of a fleet share. @group Fleet */
export interface FleetOptions {
  /** The Redis server. */
  readonly connection: FleetConnection;
  /** The fleet's name: its BullMQ queue, and part of every key. @defaultValue 'tokenpoll' */
  readonly name?: string | undefined;
  /** The prefix of every Redis key the fleet writes. @defaultValue 'tokenpoll' */
  readonly prefix?: string | undefined;
  /**
   * The AES-GCM key that seals device codes (and tokens, with `storeTokens`) in
   * Redis: 32 random bytes, or a `CryptoKey` for AES-GCM. Both sides need the
   * same key. Without one, device codes are kept in Redis as they are: then
   * keep Redis as private as the device codes themselves (they are secrets for
   * up to their `expires_in`).
   * @defaultValue none
   */
  readonly sealKey?: SealKey | undefined;
  /** How long a settled flow's record stays readable, in ms. @defaultValue 86400000 (one day) */
  readonly keepSettledMs?: number | undefined;
}

/**
 * The poll settings of one flow, as `pollToken` takes them. Every member is
 * optional; each has the default `pollToken` documents. They travel with the
 * flow through Redis, so they are plain values.
 * @group Fleet
 */
export interface FleetPollSettings extends Omit<ConfigInput, 'interval' | 'expiresIn' | 'issuedAt' | 'backoff' | 'pendingErrorCodes'> {
  /** The provider's codes waited out like `authorization_pending` (a list: it travels as JSON). @defaultValue none */
  readonly pendingErrorCodes?: readonly string[] | undefined;
}

/** Plain values a caller attaches to a flow (an endpoint, a client id, a user id); never secrets. @group Fleet */
export type FleetMetadata = Readonly<Record<string, string | number | boolean | null>>;

/**
 * What the worker's `transport` factory gets: the flow, with its device code
 * unsealed (a secret: hand it to the transport only).
 * @group Fleet
 */
export interface FleetFlow {
  /** The flow id. */
  readonly id: string;
  /** The device code (secret). */
  readonly deviceCode: string;
  /** The user code. */
  readonly userCode: string;
  /** The caller's metadata, as given to `start`. */
  readonly metadata: FleetMetadata;
}

/** What `onGranted` gets, in the worker. @group Fleet */
export interface FleetGrant<TToken = TokenSet> {
  /** The flow id: the idempotency key of the delivery (a crash may deliver one grant twice, with the same id). */
  readonly flowId: string;
  /** The token (secret). */
  readonly token: TToken;
  /** The caller's metadata. */
  readonly metadata: FleetMetadata;
  /** Requests sent in all. */
  readonly attempt: number;
}

/** What `onSettled` gets, in the worker that settled the flow: its terminal state, with the token when granted. @group Fleet */
export interface FleetSettled<TToken = TokenSet> {
  /** The flow id. */
  readonly flowId: string;
  /** The terminal state. */
  readonly state: TerminalState<TToken>;
  /** The caller's metadata. */
  readonly metadata: FleetMetadata;
}

/** Options of a {@link FleetWorker}. @group Fleet */
export interface FleetWorkerOptions<TToken = TokenSet> extends FleetOptions {
  /** Builds the transport for one flow (called for each poll). */
  readonly transport: (flow: FleetFlow) => TokenTransport;
  /** Receives each grant, in the worker that polled it. A throw is retried only with `storeTokens`. */
  readonly onGranted?: ((grant: FleetGrant<TToken>) => void | Promise<void>) | undefined;
  /** Receives each flow's end, in the worker that settled it (once, unless that worker dies meanwhile). */
  readonly onSettled?: ((settled: FleetSettled<TToken>) => void | Promise<void>) | undefined;
  /** Maps the transport's answers to outcomes. @defaultValue classifyTokenResponse */
  readonly classify?: Classifier<TToken> | undefined;
  /** Backoff for transient faults. @defaultValue as `pollToken` */
  readonly backoff?: BackoffStrategy | undefined;
  /** A source of numbers in [0, 1) for jitter. @defaultValue Math.random */
  readonly random?: (() => number) | undefined;
  /**
   * Keep each grant's token in Redis, sealed with `sealKey` (required), until
   * `onGranted` returns: a worker that dies between the grant and the
   * delivery then leaves it to another, which delivers it (at least once).
   * Without it, a token is never written to Redis.
   * @defaultValue false
   */
  readonly storeTokens?: boolean | undefined;
  /** Polls one worker runs at once. @defaultValue 100 */
  readonly concurrency?: number | undefined;
  /** BullMQ's lock on a poll job, in ms: a worker that dies holding one is noticed after about this long. @defaultValue 30000 */
  readonly lockDurationMs?: number | undefined;
  /** How often BullMQ looks for jobs of dead workers, in ms. @defaultValue 30000 */
  readonly stalledIntervalMs?: number | undefined;
}

/** The names of a flow's lifecycle events. @group Fleet */
export type FleetEventName = 'code' | keyof CoreEvents | TerminalState['status'];

/**
 * One lifecycle event of one flow, as every subscriber sees it, in any
 * process. It holds no device code, client secret or token; times are wall
 * times (ms since the epoch).
 * @group Fleet
 */
export interface FleetEvent {
  /** The flow id. */
  readonly flowId: string;
  /** Which event. */
  readonly name: FleetEventName;
  /** The event's payload: the in-process event's, or for a terminal event a summary of the terminal state. */
  readonly payload: Readonly<Record<string, unknown>>;
}

/**
 * A flow as {@link FleetQueue.state} reads it: no device code, no token.
 * @group Fleet
 */
export interface FleetFlowView {
  /** The flow id. */
  readonly id: string;
  /** Its status: `idle` until a worker starts it. */
  readonly status: PollStatus;
  /** For an active flow: waiting for its next poll, or polling. */
  readonly phase?: 'waiting' | 'polling' | 'aborting';
  /** Requests sent so far. */
  readonly attempt: number;
  /** The interval floor, for an active flow. */
  readonly intervalMs?: number;
  /** When the next poll is due (waiting) or the request times out (polling), wall time. */
  readonly dueAt?: number;
  /** When the device code expires, wall time. */
  readonly deadlineAt: number;
  /** The user code. */
  readonly userCode: string;
  /** Where the user goes. */
  readonly verificationUri: string;
  /** The same with the code filled in, when the server sent one. */
  readonly verificationUriComplete?: string;
  /** The caller's metadata. */
  readonly metadata: FleetMetadata;
  /** For a settled flow: the server's error (denied, expired by the server, an OAuth failure). */
  readonly error?: OAuthErrorDetail;
  /** For a failed flow: why. */
  readonly failure?: {
    /** The failure's kind, as {@link tokenpoll!Failure}'s. */
    readonly kind: string;
    /** What went wrong, when the failure says. */
    readonly message?: string;
  };
  /** For an expired flow: whose clock ran out. */
  readonly source?: 'server' | 'deadline' | 'timeout';
  /** For a granted flow: whether `onGranted` returned. */
  readonly delivered?: boolean;
  /** Whether a cancel was asked for. */
  readonly cancelRequested: boolean;
}
