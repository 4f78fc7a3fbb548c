import { Queue } from 'bullmq';
import { systemClock, type Clock } from '../clock/clock.js';
import { ConfigurationError } from '../errors/failures.js';
import type { DeviceAuthorization } from '../transports/types.js';
import { restoreState } from '../core/resume.js';
import type { PollState } from '../core/state.js';
import { checkLoginSnapshot } from '../flows/login-snapshot.js';
import type { LoginSnapshot } from '../runtime/snapshot.js';
import { flowConfig, flowView, type FlowRecord, type StoredAuthorization } from './record.js';
import { checkSealKey, seal } from './seal.js';
import { closeRedis, connect, FlowStore, settleAll } from './store.js';
import { pollJobOptions, queueOptions, type PollJobData } from './jobs.js';
import type { FleetEvent, FleetFlowView, FleetMetadata, FleetOptions, FleetPollSettings } from './types.js';

/** What {@link FleetQueue.start} takes. @group Fleet */
export interface FleetStartOptions {
  /** The device authorization answer (RFC 8628 §3.2 or AWS StartDeviceAuthorization), as `requestDeviceAuthorization` returns it. */
  readonly authorization: DeviceAuthorization;
  /** The clock `authorization.issuedAt` was read on, to turn it into wall time. @defaultValue systemClock */
  readonly clock?: Pick<Clock, 'now' | 'wallNow'> | undefined;
  /** Poll settings, as `pollToken` takes them. */
  readonly poll?: FleetPollSettings | undefined;
  /** Plain values for the worker's `transport` factory (an endpoint, a client id); not secrets. */
  readonly metadata?: FleetMetadata | undefined;
  /** The flow id: letters, digits, `_`, `.` and `-`, at most 100. @defaultValue a random UUID */
  readonly flowId?: string | undefined;
}

/** What {@link FleetQueue.startFromSnapshot} takes. @group Fleet */
export interface FleetResumeOptions {
  /**
   * A login's snapshot (`login.snapshot()`, opened with `openSnapshot` if it
   * was sealed): the fleet polls on for its device code, with the same
   * deadline and floor, as `resumeLogin` would.
   */
  readonly snapshot: LoginSnapshot | unknown;
  /** Plain values for the worker's `transport` factory; the snapshot's provider is added as `provider`, `tokenEndpoint`, `clientId`, `region`, `startUrl` where it has them. */
  readonly metadata?: FleetMetadata | undefined;
  /** The flow id. @defaultValue a random UUID */
  readonly flowId?: string | undefined;
}

/**
 * The queue side of a fleet, for the service that starts logins: start a
 * flow and get its id, cancel it, read its state, and follow every flow's
 * lifecycle events from any process. Workers ({@link FleetWorker}) poll.
 * @example
 * ```ts
 * import { FleetQueue } from 'tokenpoll/bullmq';
 * const fleet = new FleetQueue({ connection: { host: 'redis.internal', port: 6379 }, sealKey });
 * const flowId = await fleet.start({ authorization, metadata: { tokenEndpoint, clientId: 'my-app' } });
 * const stop = await fleet.subscribe((event) => console.log(event.flowId, event.name));
 * ```
 * @group Fleet
 */
export class FleetQueue {
  readonly #options: FleetOptions;
  readonly #store: FlowStore;
  readonly #queue: Queue<PollJobData>;
  readonly #subscribers = new Set<() => Promise<void>>();

  /** @throws {@link tokenpoll!ConfigurationError} for a bad `sealKey`. */
  constructor(options: FleetOptions) {
    if (options.sealKey !== undefined) checkSealKey(options.sealKey);
    this.#options = options;
    this.#store = new FlowStore(options);
    this.#queue = new Queue<PollJobData>(options.name ?? 'tokenpoll', queueOptions(options));
    // BullMQ reports Redis errors here while it reconnects; commands wait for Redis to come back.
    this.#queue.on('error', () => undefined);
  }

  /**
   * Starts polling for a device authorization: writes the flow to Redis, emits
   * its `code` event, and queues its first poll job.
   * @returns The flow id.
   * @throws {@link tokenpoll!ConfigurationError} for a bad setting or flow id, or an id already in use.
   */
  async start(options: FleetStartOptions): Promise<string> {
    const { authorization } = options;
    if (typeof authorization !== 'object' || authorization === null || typeof authorization.deviceCode !== 'string' || authorization.deviceCode === '') {
      throw new ConfigurationError('authorization', 'expected a device authorization with a device code');
    }
    const clock = options.clock ?? systemClock;
    const now = clock.wallNow();
    const stored = storedAuthorization(authorization, now - (clock.now() - authorization.issuedAt));
    return this.#create({ flowId: options.flowId, now, stored, settings: { ...options.poll }, state: { status: 'idle' }, deviceCode: authorization.deviceCode, metadata: { ...options.metadata } });
  }

  /**
   * Starts a fleet flow from a login's snapshot: the login taken over by the
   * fleet, polling on for the same device code with the same deadline and
   * floor (a request in flight at the snapshot counts as failed in transit).
   * @returns The flow id.
   * @throws {@link tokenpoll!SnapshotInvalidError}, {@link tokenpoll!SnapshotVersionError} or {@link tokenpoll!SnapshotExpiredError} for a snapshot it cannot resume;
   * {@link tokenpoll!ConfigurationError} for a bad flow id, or an id already in use.
   */
  async startFromSnapshot(options: FleetResumeOptions): Promise<string> {
    const now = Date.now();
    const snapshot = checkLoginSnapshot(options.snapshot, now);
    const { authorization, provider, poll } = snapshot;
    const stored = storedAuthorization(authorization, authorization.issuedAt);
    const { config } = poll;
    const settings: FleetPollSettings = {
      requestTimeoutMs: config.requestTimeoutMs,
      intervalFrom: config.intervalFrom,
      maxIntervalMs: config.maxIntervalMs,
      maxLifetimeMs: config.lifetimeMs,
      transientRetries: config.transientRetries ?? Number.MAX_SAFE_INTEGER,
      driftThreshold: config.driftThreshold ?? Number.MAX_SAFE_INTEGER,
      pendingErrorCodes: config.pendingErrorCodes,
      maxPendingErrors: config.maxPendingErrors,
    };
    // The fleet's machine runs on wall time: the state comes back with now = wallNow.
    const state = restoreState(poll.state, now, now, snapshot.takenAt);
    const { type, ...where } = provider;
    const metadata = { ...where, provider: type, ...options.metadata };
    return this.#create({ flowId: options.flowId, now, stored, settings, state, deviceCode: authorization.deviceCode, metadata });
  }

  async #create(flow: {
    flowId: string | undefined;
    now: number;
    stored: StoredAuthorization;
    settings: FleetPollSettings;
    state: PollState;
    deviceCode: string;
    metadata: FleetMetadata;
  }): Promise<string> {
    const { now, stored, settings, state } = flow;
    const id = flow.flowId ?? crypto.randomUUID();
    if (!/^[A-Za-z0-9_.-]{1,100}$/.test(id)) throw new ConfigurationError('flowId', 'expected 1 to 100 letters, digits, _, . or -');
    const config = flowConfig(stored, settings); // checks the settings now, not in a worker
    const sealKey = this.#options.sealKey;
    const record: FlowRecord = {
      format: 1,
      id,
      seq: 0,
      state,
      authorization: stored,
      settings,
      deviceCode: sealKey === undefined ? flow.deviceCode : await seal(sealKey, id, 'deviceCode', flow.deviceCode),
      metadata: flow.metadata,
      createdAt: now,
    };
    const code: FleetEvent = {
      flowId: id,
      name: 'code',
      payload: {
        userCode: stored.userCode,
        verificationUri: stored.verificationUri,
        ...(stored.verificationUriComplete === undefined ? {} : { verificationUriComplete: stored.verificationUriComplete }),
        expiresInSeconds: stored.expiresInSeconds,
        at: now,
      },
    };
    const ttlMs = ('deadlineAt' in state ? state.deadlineAt : stored.issuedAt + config.lifetimeMs) - now + this.#store.keepSettledMs;
    if (!(await this.#store.create(record, ttlMs, [code]))) throw new ConfigurationError('flowId', `a flow with id ${id} exists already`);
    const delayMs = state.status !== 'idle' && 'phase' in state && state.phase === 'waiting' ? state.dueAt - now : 0;
    await this.#queue.add('poll', { flowId: id, seq: 0 }, pollJobOptions(id, 0, delayMs));
    return id;
  }

  /**
   * Cancels a flow: it settles `cancelled` at once if it waits for its next
   * poll, or as soon as the poll in flight is answered (no token is
   * delivered after a cancel, as with `pollToken`). Does nothing to a settled flow.
   * @returns Whether the flow exists.
   */
  async cancel(flowId: string, reason: string = 'cancelled'): Promise<boolean> {
    if (!(await this.#store.requestCancel(flowId, reason))) return false;
    await this.#queue.add('cancel', { flowId, seq: -1 }, { jobId: `c-${flowId}`, removeOnComplete: true, removeOnFail: true, attempts: 20, backoff: { type: 'fixed', delay: 500 } });
    return true;
  }

  /** A flow's state, without its device code or token; `undefined` for an unknown flow (or one settled longer ago than `keepSettledMs`). */
  async state(flowId: string): Promise<FleetFlowView | undefined> {
    const loaded = await this.#store.load(flowId);
    return loaded && flowView(loaded.record, loaded.cancel !== undefined);
  }

  /**
   * Calls `listener` with every lifecycle event of every flow of this fleet,
   * from whichever process emits it (Redis pub/sub: events published while
   * nobody subscribes are not kept). A listener that throws is ignored.
   * @returns A function that stops the subscription.
   */
  async subscribe(listener: (event: FleetEvent) => void): Promise<() => Promise<void>> {
    const subscriber = connect(this.#options.connection);
    subscriber.on('message', (_channel: string, message: string) => {
      let events: FleetEvent[];
      try {
        events = JSON.parse(message) as FleetEvent[];
      } catch {
        return;
      }
      for (const event of events) {
        try {
          listener(Object.freeze(event));
        } catch {
          // A listener's fault is its own.
        }
      }
    });
    let stopped: (reason: Error) => void = () => undefined;
    const whenStopped = new Promise<never>((_, reject) => (stopped = reject));
    const stop = async (): Promise<void> => {
      this.#subscribers.delete(stop);
      stopped(new Error('the subscription was closed before Redis answered'));
      await closeRedis(subscriber);
    };
    // Closed by close() even while the subscribe waits for Redis (which then rejects); closed here if it fails.
    this.#subscribers.add(stop);
    try {
      await Promise.race([subscriber.subscribe(this.#store.channel), whenStopped]);
    } catch (error) {
      await stop();
      throw error;
    }
    return stop;
  }

  /**
   * Closes the queue's connections and every subscription. Flows go on in the workers.
   * Every connection is closed even when closing one fails; the first failure is then thrown.
   */
  async close(): Promise<void> {
    await settleAll([...[...this.#subscribers].map((stop) => stop()), this.#queue.close(), this.#store.close()]);
  }
}

/** What a flow record keeps of a device authorization: all but the device code (stored apart, sealed when a key is given), issued at `issuedAt` (wall ms). */
function storedAuthorization(
  authorization: Pick<StoredAuthorization, 'userCode' | 'verificationUri' | 'verificationUriComplete' | 'expiresInSeconds' | 'intervalSeconds'>,
  issuedAt: number,
): StoredAuthorization {
  return {
    userCode: authorization.userCode,
    verificationUri: authorization.verificationUri,
    ...(authorization.verificationUriComplete === undefined ? {} : { verificationUriComplete: authorization.verificationUriComplete }),
    expiresInSeconds: authorization.expiresInSeconds,
    ...(authorization.intervalSeconds === undefined ? {} : { intervalSeconds: authorization.intervalSeconds }),
    issuedAt,
  };
}
