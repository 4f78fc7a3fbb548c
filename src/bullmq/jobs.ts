import type { JobsOptions, Queue, QueueOptions } from 'bullmq';
import type { Classifier } from '../classify/classify.js';
import { isTerminal } from '../core/state.js';
import type { FlowRecord } from './record.js';
import type { FlowStore } from './store.js';
import type { FleetOptions, FleetWorkerOptions } from './types.js';

/** A poll job: which flow, and which step of it (`seq`; -1 for a cancel). @internal */
export interface PollJobData {
  readonly flowId: string;
  readonly seq: number;
}

/**
 * Poll job `seq` of a flow. Its id makes adding it twice a no-op (BullMQ
 * keeps one job per id), removed once done, so the id is free for nothing
 * else: the flow's next job has the next number. A job that throws (Redis
 * gone mid-job) is tried again; its record says what is left to do.
 * @internal
 */
export function pollJobOptions(flowId: string, seq: number, delayMs: number): JobsOptions {
  return {
    jobId: `p-${flowId}-${seq}`,
    delay: Math.max(0, Math.ceil(delayMs)),
    removeOnComplete: true,
    removeOnFail: true,
    attempts: 1_000,
    backoff: { type: 'fixed', delay: 1_000 },
  };
}

/** The BullMQ options both sides use. @internal */
export function queueOptions(options: FleetOptions): QueueOptions {
  return {
    connection: { ...options.connection, maxRetriesPerRequest: null },
    prefix: options.prefix ?? 'tokenpoll',
    // BullMQ's event stream is for its own QueueEvents; the fleet publishes its own events, so keep the stream short.
    streams: { events: { maxLen: 100 } },
  };
}

/** What every poll job of one worker shares. @internal */
export interface JobContext<TToken> {
  readonly store: FlowStore;
  readonly queue: Queue<PollJobData>;
  readonly options: FleetWorkerOptions<TToken>;
  readonly classify: Classifier<TToken>;
  readonly random: () => number;
  /** The flows this worker runs a job of right now (BullMQ may hand it a job it still runs, once the job's lock lapsed while Redis was away). */
  readonly running: Set<string>;
}

/** How long a poll's lease lasts without renewal: BullMQ's own lock duration. @internal */
export function leaseMs(context: { readonly options: { readonly lockDurationMs?: number | undefined } }): number {
  return context.options.lockDurationMs ?? 30_000;
}

/** Queues the job the record waits for (a no-op when it exists). */
export async function queueNext<TToken>(context: JobContext<TToken>, record: FlowRecord): Promise<void> {
  const { state } = record;
  const delayMs = state.status === 'idle' || isTerminal(state) ? 0 : state.dueAt - Date.now();
  await context.queue.add('poll', { flowId: record.id, seq: record.seq }, pollJobOptions(record.id, record.seq, delayMs));
}
