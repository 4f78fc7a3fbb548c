import type { TransportAnswer } from '../classify/classify.js';
import type { PollConfig } from '../core/config.js';
import type { PollInput } from '../core/input.js';
import type { TokenOutcome } from '../core/outcome.js';
import { isTerminal, type ActiveState, type PollState, type TerminalState } from '../core/state.js';
import { transition } from '../core/transition.js';
import { abortReason, askTransport, classifyAnswer } from '../runtime/poller.js';
import type { TokenTransport } from '../transports/types.js';
import { leaseMs, queueNext, type JobContext } from './jobs.js';
import { flowConfig, terminalEvent, type FlowRecord } from './record.js';
import { isSealed, seal, unseal } from './seal.js';
import type { LoadedFlow } from './store.js';
import type { FleetEvent, FleetWorkerOptions } from './types.js';

/** A request in flight: its answer (never rejects) and its controller. */
interface InFlight {
  readonly attempt: number;
  readonly answer: Promise<TransportAnswer>;
  readonly controller: AbortController;
}

/** One flow, driven through one job: the in-process driver's loop, with Redis writes at each step that must survive this process. */
export class FlowRun<TToken> {
  readonly #context: JobContext<TToken>;
  readonly #config: PollConfig;
  #v: string;
  #record: FlowRecord;
  #state: PollState<TToken>;
  #events: FleetEvent[] = [];
  #inFlight: InFlight | undefined;
  #timerAt = Number.POSITIVE_INFINITY;
  /** This poll's own lease token: the lease it takes holds it, and only a lease holding it is renewed or dropped by this run. */
  readonly #leaseToken = crypto.randomUUID();

  constructor(context: JobContext<TToken>, loaded: LoadedFlow) {
    this.#context = context;
    this.#v = loaded.v;
    this.#record = loaded.record;
    this.#state = loaded.record.state as PollState<TToken>;
    this.#config = flowConfig(loaded.record.authorization, loaded.record.settings, context.options.backoff);
  }

  get #id(): string {
    return this.#record.id;
  }

  async drive(first: PollInput<TToken>): Promise<void> {
    let input: PollInput<TToken> | undefined = first;
    while (input) input = await this.#step(input);
  }

  /** Feeds one input, carries out its effects; returns the next input, or `undefined` when this job is done. */
  async #step(input: PollInput<TToken>): Promise<PollInput<TToken> | undefined> {
    const before = this.#state;
    const mark = this.#events.length;
    const { state, effects } = transition(before, input, this.#config);
    this.#state = state;
    let request: number | undefined;
    let settled: TerminalState<TToken> | undefined;
    for (const effect of effects) {
      switch (effect.type) {
        case 'emit':
          this.#events.push({ flowId: this.#id, name: effect.name, payload: effect.payload as unknown as Record<string, unknown> });
          break;
        case 'schedule':
          this.#timerAt = effect.at;
          break;
        case 'request':
          request = effect.attempt;
          break;
        case 'abort':
          if (this.#inFlight?.attempt === effect.attempt) this.#inFlight.controller.abort(abortReason(effect));
          break;
        case 'settle':
          settled = effect.state;
          break;
      }
    }
    if (settled) return this.#settle(settled, before, mark);
    const active = state as ActiveState;
    if (active.phase === 'waiting') {
      const next = { ...this.#record, seq: this.#record.seq + 1, state: active };
      const written = await this.#commit(next, true);
      if (written === 'cancel') return this.#cancelInstead(before, mark);
      if (written === 'lost') return undefined;
      await queueNext(this.#context, next);
      return undefined;
    }
    if (request !== undefined) {
      const deviceCode = await this.#deviceCode();
      const written = await this.#commit({ ...this.#record, state: active }, true, leaseMs(this.#context));
      if (written === 'cancel') return this.#cancelInstead(before, mark);
      if (written === 'lost') return undefined;
      // Redis (or a busy event loop) may have kept the write waiting: never send at or after the deadline.
      // The check and the transport call run in one synchronous stretch.
      const now = Date.now();
      if (now >= Math.min(active.deadlineAt, active.timeoutAt)) {
        return { type: 'responseReceived', now, attempt: request, outcome: { type: 'network_error', message: 'not sent: the deadline passed while the poll was being recorded' } };
      }
      // The machine took the request's time before the unseal and the write: the request goes out now, and the
      // floor (with intervalFrom 'request') counts from when it really went. (Redis keeps the earlier time; a worker
      // that resumes this flow after this one died counts the lost request as a transient fault, from its own now.)
      if (now > (active.lastRequestAt ?? now)) this.#state = Object.freeze({ ...active, lastRequestAt: now });
      this.#inFlight = this.#send(request, deviceCode);
    }
    return this.#waitForAnswerOrTimer();
  }

  /** The next input while a request is in flight: its answer, or the machine's timer (request timeout, abort grace). */
  async #waitForAnswerOrTimer(): Promise<PollInput<TToken>> {
    const inFlight = this.#inFlight!;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const fired = new Promise<'timer'>((resolve) => (timer = setTimeout(() => resolve('timer'), Math.max(0, this.#timerAt - Date.now()))));
    const stopRenewing = this.#renewLease();
    const answer = await Promise.race([inFlight.answer, fired]);
    clearTimeout(timer);
    stopRenewing();
    if (answer === 'timer') return { type: 'timerFired', now: Date.now(), random: this.#context.random() };
    return { type: 'responseReceived', now: Date.now(), attempt: inFlight.attempt, outcome: this.#classify(answer), random: this.#context.random() };
  }

  /** Renews the flow's lease every half lease while a request is in flight; returns the stop. */
  #renewLease(): () => void {
    const ms = leaseMs(this.#context);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const renew = (): void => {
      timer = setTimeout(() => {
        this.#context.store.renewLease(this.#id, ms, this.#leaseToken).catch(() => undefined);
        renew();
      }, ms / 2);
    };
    renew();
    return () => clearTimeout(timer);
  }

  async #deviceCode(): Promise<string> {
    const { deviceCode, id } = this.#record;
    return isSealed(deviceCode) ? unseal(this.#sealKey(), id, 'deviceCode', deviceCode) : deviceCode;
  }

  /** Starts request `attempt`: the transport is called before this returns. */
  #send(attempt: number, deviceCode: string): InFlight {
    const controller = new AbortController();
    const record = this.#record;
    const run = async (): Promise<TransportAnswer> => {
      let transport: TokenTransport;
      try {
        transport = this.#context.options.transport({ id: record.id, deviceCode, userCode: record.authorization.userCode, metadata: record.metadata });
      } catch (error) {
        return { ok: false, error };
      }
      return askTransport(transport, { attempt, signal: controller.signal });
    };
    return { attempt, controller, answer: run() };
  }

  #classify(answer: TransportAnswer): TokenOutcome<TToken> {
    return classifyAnswer(this.#context.classify, answer, Date.now);
  }

  /** A cancel was asked for while this step ran: the step is dropped (its events too), and the cancel is fed instead. */
  #cancelInstead(before: PollState<TToken>, mark: number): PollInput<TToken> {
    this.#state = before;
    this.#events.length = mark;
    return { type: 'cancel', now: Date.now(), reason: this.#cancelReason };
  }

  #cancelReason: string | undefined;

  /**
   * Writes the record (compare-and-set) with the events gathered so far.
   * `cancel`: a cancel was asked for and wins (nothing written); `lost`:
   * another worker wrote first, and this job lets the flow go.
   */
  async #commit(next: FlowRecord, checkCancel: boolean, lease = 0): Promise<'ok' | 'cancel' | 'lost'> {
    const { store } = this.#context;
    const state = next.state;
    const ttlMs = isTerminal(state) || state.status === 'idle' ? store.keepSettledMs : state.deadlineAt - Date.now() + store.keepSettledMs;
    const result = await store.commit(this.#v, next, { checkCancel, ttlMs, events: this.#events, leaseMs: lease, leaseToken: this.#leaseToken });
    if (result.ok) {
      this.#v = result.v;
      this.#record = next;
      this.#events = [];
      return 'ok';
    }
    if (result.cancel !== undefined) {
      this.#cancelReason = result.cancel;
      return 'cancel';
    }
    return 'lost';
  }

  /** The flow ended: write it, deliver a grant, tell `onSettled`. A cancel asked for meanwhile wins, as in `pollToken`. */
  async #settle(settled: TerminalState<TToken>, before: PollState<TToken>, mark: number): Promise<PollInput<TToken> | undefined> {
    this.#events.push(terminalEvent(this.#id, settled));
    const token = settled.status === 'granted' && this.#context.options.storeTokens ? await seal(this.#sealKey(), this.#id, 'token', JSON.stringify(settled.token)) : undefined;
    const next: FlowRecord = {
      ...this.#record,
      seq: this.#record.seq + 1,
      state: settled,
      ...(settled.status === 'granted' ? { delivered: false } : {}),
      ...(token === undefined ? {} : { token }),
    };
    const written = await this.#commit(next, settled.status !== 'cancelled');
    if (written === 'cancel') return this.#cancelInstead(before, mark);
    if (written === 'lost' && !(settled.status === 'granted' && (await this.#forceGrant(next)))) return undefined;
    if (settled.status === 'granted') await this.#deliver(settled.token, settled.attempt);
    try {
      await this.#context.options.onSettled?.({ flowId: this.#id, state: settled, metadata: this.#record.metadata });
    } catch {
      // The flow is settled and recorded; the callback's fault is its own.
    }
    return undefined;
  }

  /**
   * A grant in hand wins over a record another worker moved on meanwhile (it
   * took this worker for dead while Redis was away), even one it ended: at
   * the deadline, which passed while Redis was away (a grant for a request
   * sent in time is kept, as in `pollToken`), or on the `invalid_grant` this
   * very grant caused. Only a cancel, or a grant, stays; and a cancel asked
   * for but not yet applied wins too (nothing is delivered after a cancel:
   * the flow's own worker, or its cancel job, settles it `cancelled`).
   */
  async #forceGrant(next: FlowRecord): Promise<boolean> {
    for (let tries = 0; tries < 5; tries += 1) {
      const loaded = await this.#context.store.load(this.#id);
      if (!loaded || loaded.cancel !== undefined || (isTerminal(loaded.record.state) && !yieldsToGrant(loaded.record.state))) return false;
      this.#v = loaded.v;
      const written = await this.#commit({ ...next, seq: loaded.record.seq + 1 }, true);
      if (written === 'ok') return true;
      if (written === 'cancel') return false;
    }
    return false;
  }

  async #deliver(token: TToken, attempt: number): Promise<void> {
    const { onGranted, storeTokens } = this.#context.options;
    try {
      await onGranted?.({ flowId: this.#id, token, metadata: this.#record.metadata, attempt });
    } catch (error) {
      // With the token kept (sealed), the job fails and is tried again: the next try delivers it.
      if (storeTokens) throw error;
      return;
    }
    const { token: _sealed, ...rest } = this.#record;
    await this.#commit({ ...rest, delivered: true }, false);
  }

  /** A granted flow whose worker died before `onGranted` returned (only with `storeTokens`): deliver it again, with the same flow id. */
  async redeliver(): Promise<void> {
    const sealed = this.#record.token!;
    const token = JSON.parse(await unseal(this.#sealKey(), this.#id, 'token', sealed)) as TToken;
    const state = this.#record.state as TerminalState<TToken>;
    await this.#deliver(token, state.attempt);
  }

  #sealKey(): NonNullable<FleetWorkerOptions['sealKey']> {
    const key = this.#context.options.sealKey;
    if (key === undefined) throw new TypeError(`flow ${this.#id}: a sealed value needs the fleet's sealKey`);
    return key;
  }
}

/** Whether an end another worker recorded gives way to a grant this one holds. */
function yieldsToGrant(state: PollState<unknown>): boolean {
  return state.status !== 'granted' && state.status !== 'cancelled';
}
