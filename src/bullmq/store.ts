import { Redis, type RedisOptions } from 'ioredis';
import { recordFromJson, recordToJson, type FlowRecord } from './record.js';
import type { FleetConnection, FleetEvent, FleetOptions } from './types.js';

/**
 * The one write of a flow record: a compare-and-set on the hash's `v`
 * counter. With `checkCancel`, a cancel asked for meanwhile wins over the
 * write (the caller then feeds `cancel`). The events of the step go out in
 * the same script, so a subscriber never sees an event whose write lost.
 * The write that starts a poll also takes the flow's lease (KEYS[2], for
 * ARGV[7] ms, holding ARGV[8], a token of that poll's own): while it lives,
 * the worker polling is known to be alive. Every other write drops the lease
 * if it still holds the writer's token, never another worker's.
 * Returns `{1, v}` written, `{0}` lost (another worker wrote first), `{2, reason}` cancelled.
 */
const COMMIT = `
local v = redis.call('HGET', KEYS[1], 'v')
if v ~= ARGV[1] then return {0} end
if ARGV[3] == '1' then
  local c = redis.call('HGET', KEYS[1], 'cancel')
  if c then return {2, c} end
end
local nv = tostring(tonumber(v) + 1)
redis.call('HSET', KEYS[1], 'v', nv, 'data', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
if ARGV[6] ~= '' then redis.call('PUBLISH', ARGV[5], ARGV[6]) end
if ARGV[7] ~= '0' then
  redis.call('SET', KEYS[2], ARGV[8], 'PX', ARGV[7])
elseif redis.call('GET', KEYS[2]) == ARGV[8] then
  redis.call('DEL', KEYS[2])
end
return {1, nv}
`;

/** Keeps a lease alive (PEXPIRE), only while it holds the caller's token: a worker taken for dead never renews its successor's. */
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;

/** Creates the record, unless one with that id exists. */
const CREATE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'v', '0', 'data', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
if ARGV[4] ~= '' then redis.call('PUBLISH', ARGV[3], ARGV[4]) end
return 1
`;

/** Asks for a cancel: sets `cancel` on an existing record. */
const CANCEL = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSETNX', KEYS[1], 'cancel', ARGV[1])
return 1
`;

/** A record as loaded: its CAS counter, its data, the cancel reason when one was asked for, whether a live worker holds its lease. @internal */
export interface LoadedFlow {
  readonly v: string;
  readonly record: FlowRecord;
  readonly cancel: string | undefined;
  readonly leased: boolean;
}

/** What {@link FlowStore.commit} says. @internal */
export type CommitResult = { readonly ok: true; readonly v: string } | { readonly ok: false; readonly cancel?: string };

/**
 * The fleet's own Redis keys (BullMQ keeps its jobs apart): one hash per
 * flow, `<prefix>:<name>:flow:<id>` with `v`, `data` and `cancel`, and one
 * pub/sub channel for the events, `<prefix>:<name>:flow-events`.
 * @internal
 */
export class FlowStore {
  readonly redis: Redis;
  readonly channel: string;
  readonly #keyPrefix: string;
  readonly keepSettledMs: number;

  constructor(options: FleetOptions) {
    this.redis = connect(options.connection);
    const base = `${options.prefix ?? 'tokenpoll'}:${options.name ?? 'tokenpoll'}`;
    this.#keyPrefix = `${base}:flow:`;
    this.channel = `${base}:flow-events`;
    this.keepSettledMs = options.keepSettledMs ?? 86_400_000;
  }

  key(flowId: string): string {
    return this.#keyPrefix + flowId;
  }

  async create(record: FlowRecord, ttlMs: number, events: readonly FleetEvent[]): Promise<boolean> {
    const created = await this.redis.eval(CREATE, 1, this.key(record.id), recordToJson(record), String(Math.ceil(ttlMs)), this.channel, eventsJson(events));
    return created === 1;
  }

  leaseKey(flowId: string): string {
    return `${this.#keyPrefix}${flowId}:lease`;
  }

  async load(flowId: string): Promise<LoadedFlow | undefined> {
    const results = await this.redis.pipeline().hmget(this.key(flowId), 'v', 'data', 'cancel').exists(this.leaseKey(flowId)).exec();
    const [fields, leased] = (results ?? []).map(([error, value]) => {
      if (error) throw error;
      return value;
    }) as [(string | null)[], number];
    const [v, data, cancel] = fields;
    if (v === null || v === undefined || data === null || data === undefined) return undefined;
    return { v, record: recordFromJson(data), cancel: cancel ?? undefined, leased: leased === 1 };
  }

  /** Keeps a lease alive for `ms` more, if it still holds `token`; returns whether it did. */
  async renewLease(flowId: string, ms: number, token: string): Promise<boolean> {
    return (await this.redis.eval(RENEW, 1, this.leaseKey(flowId), token, String(Math.ceil(ms)))) === 1;
  }

  /** `leaseToken`: the writer's own poll token, set as the lease with `leaseMs`, or the lease dropped (if it holds it) without. */
  async commit(v: string, record: FlowRecord, options: { checkCancel: boolean; ttlMs: number; events: readonly FleetEvent[]; leaseMs?: number; leaseToken: string }): Promise<CommitResult> {
    const args = [v, recordToJson(record), options.checkCancel ? '1' : '0', String(Math.max(1, Math.ceil(options.ttlMs))), this.channel, eventsJson(options.events), String(Math.ceil(options.leaseMs ?? 0)), options.leaseToken];
    const result = (await this.redis.eval(COMMIT, 2, this.key(record.id), this.leaseKey(record.id), ...args)) as [number, string?];
    if (result[0] === 1) return { ok: true, v: String(result[1]) };
    if (result[0] === 2) return { ok: false, cancel: String(result[1]) };
    return { ok: false };
  }

  async requestCancel(flowId: string, reason: string): Promise<boolean> {
    return (await this.redis.eval(CANCEL, 1, this.key(flowId), reason)) === 1;
  }

  async close(): Promise<void> {
    await closeRedis(this.redis);
  }
}

/** One published message: the events of one step, as a JSON array (nothing when there are none). */
function eventsJson(events: readonly FleetEvent[]): string {
  return events.length === 0 ? '' : JSON.stringify(events);
}

/**
 * An ioredis client for the fleet: commands wait while Redis is unreachable
 * (no retry limit), so a worker waits out a restart or a blip and resumes.
 * @internal
 */
export function connect(connection: FleetConnection): Redis {
  const redis = new Redis({ ...connection, maxRetriesPerRequest: null } as RedisOptions as never);
  // ioredis reports each failed (re)connect here, and prints it when nobody listens; commands wait for Redis to come back.
  redis.on('error', () => undefined);
  return redis;
}

/** Waits for every one of `closes`, then throws the first failure among them, if any. @internal */
export async function settleAll(closes: readonly Promise<unknown>[]): Promise<void> {
  const failed = (await Promise.allSettled(closes)).find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
}

/** Quits, or disconnects when Redis does not answer the quit (or is not connected: nothing to flush). @internal */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'end') return;
  if (redis.status !== 'ready') {
    redis.disconnect();
    return;
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([redis.quit(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('quit timed out')), 2_000)))]);
  } catch {
    redis.disconnect();
  } finally {
    clearTimeout(timer);
  }
}
