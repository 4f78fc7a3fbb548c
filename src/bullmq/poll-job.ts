import type { Job } from 'bullmq';
import { DelayedError } from 'bullmq';
import type { PollInput } from '../core/input.js';
import { isTerminal } from '../core/state.js';
import { leaseMs, queueNext, type JobContext, type PollJobData } from './jobs.js';
import { FlowRun } from './flow-run.js';

export type { JobContext } from './jobs.js';

/** The message of the transient fault a flow gets when the worker that polled it stopped before recording the answer. */
export const WORKER_LOST_MESSAGE = 'the worker polling this flow stopped before its answer was recorded';

/**
 * Runs one job of a flow: loads its record, feeds the machine the input the
 * job stands for, carries out the effects, and writes the record back.
 *
 * - A job whose number is not the record's is stale: it does nothing (but
 *   makes sure the record's own job exists, for a worker that died between
 *   writing the record and queueing that job).
 * - A record left `polling` by a worker that died is resumed as if its
 *   request had failed in transit: `responseReceived` with a
 *   `network_error`, so the machine's floor and backoff decide the next
 *   poll (counted from now, so never sooner than the floor after the lost
 *   request). While the flow's lease lives (the polling worker renews it
 *   until the answer is recorded), that worker is alive, and the job waits
 *   instead.
 * - A job of a flow this worker already runs a job of waits too: BullMQ
 *   hands a job out again when its lock lapsed (Redis away longer than the
 *   lock), while the first run still delivers a grant or records an answer.
 * @internal
 */
export async function runPollJob<TToken>(context: JobContext<TToken>, job: Job<PollJobData>, lockToken: string | undefined): Promise<void> {
  const { flowId } = job.data;
  if (context.running.has(flowId)) {
    await job.moveToDelayed(Date.now() + leaseMs(context) / 2, lockToken);
    throw new DelayedError();
  }
  context.running.add(flowId);
  try {
    await runFlowJob(context, job, lockToken);
  } finally {
    context.running.delete(flowId);
  }
}

async function runFlowJob<TToken>(context: JobContext<TToken>, job: Job<PollJobData>, lockToken: string | undefined): Promise<void> {
  const { flowId, seq } = job.data;
  const loaded = await context.store.load(flowId);
  if (!loaded) return;
  const { record } = loaded;
  const { state } = record;
  if (isTerminal(state)) {
    if (state.status === 'granted' && record.delivered === false && record.token !== undefined) await new FlowRun(context, loaded).redeliver();
    return;
  }
  const cancelJob = seq === -1;
  if (!cancelJob && seq !== record.seq) {
    if (seq < record.seq && state.status !== 'idle' && state.phase === 'waiting') await queueNext(context, record);
    return;
  }
  const now = Date.now();
  let input: PollInput<TToken>;
  if (state.status !== 'idle' && state.phase !== 'waiting') {
    if (loaded.leased) {
      if (cancelJob) return; // the worker polling it writes its answer with the cancel
      await job.moveToDelayed(now + leaseMs(context) / 2, lockToken);
      throw new DelayedError();
    }
    input = loaded.cancel === undefined ? { type: 'responseReceived', now, attempt: state.attempt, outcome: { type: 'network_error', message: WORKER_LOST_MESSAGE }, random: context.random() } : { type: 'cancel', now, reason: loaded.cancel };
  } else if (loaded.cancel !== undefined) {
    input = { type: 'cancel', now, reason: loaded.cancel };
  } else if (cancelJob) {
    return;
  } else {
    input = state.status === 'idle' ? { type: 'start', now } : { type: 'timerFired', now, random: context.random() };
  }
  await new FlowRun(context, loaded).drive(input);
}
