import { Queue, Worker } from 'bullmq';
import { classifyTokenResponse, type Classifier } from '../classify/classify.js';
import type { TokenSet } from '../core/outcome.js';
import { ConfigurationError } from '../errors/failures.js';
import { queueOptions, type PollJobData } from './jobs.js';
import { runPollJob, type JobContext } from './poll-job.js';
import { checkSealKey } from './seal.js';
import { FlowStore, settleAll } from './store.js';
import type { FleetWorkerOptions } from './types.js';

/**
 * The worker side of a fleet: it runs the poll jobs of every flow the queue
 * side ({@link FleetQueue}) started, one BullMQ job per poll, the next poll
 * a delayed job whose delay is the pure core's own wait. Run as many as you
 * like, in as many processes: a flow has at most one poll in flight
 * anywhere. Grants arrive in `onGranted`, in the worker that polled them.
 * @example
 * ```ts
 * import { tokenTransport } from 'tokenpoll';
 * import { FleetWorker } from 'tokenpoll/bullmq';
 * const worker = new FleetWorker({
 *   connection: { host: 'redis.internal', port: 6379 },
 *   sealKey,
 *   transport: (flow) => tokenTransport({ tokenEndpoint: String(flow.metadata.tokenEndpoint), clientId: 'my-app', deviceCode: flow.deviceCode }),
 *   onGranted: async ({ flowId, token }) => saveToken(flowId, token),
 * });
 * ```
 * @group Fleet
 */
export class FleetWorker<TToken = TokenSet> {
  readonly #store: FlowStore;
  readonly #queue: Queue<PollJobData>;
  readonly #worker: Worker<PollJobData>;
  #closed: Promise<void> | undefined;

  /** @throws {@link tokenpoll!ConfigurationError} for a missing `transport`, a bad `sealKey`, or `storeTokens` without one. */
  constructor(options: FleetWorkerOptions<TToken>) {
    if (typeof options?.transport !== 'function') throw new ConfigurationError('transport', 'expected a function that builds the transport for a flow');
    if (options.storeTokens && options.sealKey === undefined) throw new ConfigurationError('storeTokens', 'needs a sealKey: a token is only ever kept in Redis sealed');
    if (options.sealKey !== undefined) checkSealKey(options.sealKey);
    this.#store = new FlowStore(options);
    const bullOptions = queueOptions(options);
    this.#queue = new Queue<PollJobData>(options.name ?? 'tokenpoll', bullOptions);
    // BullMQ reports Redis errors here while it reconnects; commands wait for Redis to come back.
    this.#queue.on('error', () => undefined);
    const context: JobContext<TToken> = {
      store: this.#store,
      queue: this.#queue,
      options,
      classify: options.classify ?? (classifyTokenResponse as unknown as Classifier<TToken>),
      random: options.random ?? Math.random,
      running: new Set(),
    };
    this.#worker = new Worker<PollJobData>(options.name ?? 'tokenpoll', (job, token) => runPollJob(context, job, token), {
      ...bullOptions,
      concurrency: options.concurrency ?? 100,
      lockDuration: options.lockDurationMs ?? 30_000,
      stalledInterval: options.stalledIntervalMs ?? 30_000,
      // A job whose worker died is picked up again however often that happens: its record says what is left.
      maxStalledCount: Number.MAX_SAFE_INTEGER,
    });
    // BullMQ reports Redis errors here while it reconnects; a worker waits them out.
    this.#worker.on('error', () => undefined);
  }

  /** Resolves once the worker is connected and taking jobs. */
  async ready(): Promise<void> {
    await this.#worker.waitUntilReady();
  }

  /**
   * Stops taking jobs, waits for the polls in flight to be answered and
   * recorded, and closes the connections. Safe to call twice. Every
   * connection is closed even when closing one fails; the first failure is
   * then thrown, and a later call tries again.
   */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      // The polls in flight record their answers through the queue and the store: those close after the worker.
      const worker = this.#worker.close();
      await Promise.allSettled([worker]);
      await settleAll([worker, this.#queue.close(), this.#store.close()]);
    })().catch((error: unknown) => {
      this.#closed = undefined;
      throw error;
    });
    return this.#closed;
  }
}
