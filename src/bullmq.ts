/**
 * A fleet runner on BullMQ, exported as `tokenpoll/bullmq`: device logins
 * polled by workers in any number of processes, each poll one BullMQ job,
 * each flow's state in Redis. BullMQ and ioredis are optional peer
 * dependencies, loaded only by this entry point. It runs on Node.
 * @module tokenpoll/bullmq
 */
export type {
  FleetConnection, FleetOptions, FleetPollSettings, FleetMetadata, FleetFlow, FleetGrant, FleetSettled, FleetWorkerOptions, FleetEventName, FleetEvent, FleetFlowView,
} from './bullmq/types.js';
export type { SealKey } from './bullmq/seal.js';
export type { FleetStartOptions, FleetResumeOptions } from './bullmq/queue.js';
export { FleetQueue } from './bullmq/queue.js';
export { FleetWorker } from './bullmq/worker.js';
