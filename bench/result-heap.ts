/**
 * Suite 2 (scale), a side measurement: the heap one pending result costs,
 * p-cancelable's `PCancelable` (what the driver used before) against the
 * driver's own `CancelableResult`, each made the way the driver makes it.
 * bench/scale.ts runs it as `scale.mjs results:<kind> <count>`, one fresh
 * process per kind, and prints one JSON line ({@link ResultHeapMeasurement}).
 */
import PCancelable from 'p-cancelable';
import { CancelableResult } from '../src/runtime/result.js';

export const RESULT_KINDS = {
  pCancelable: {
    label: "p-cancelable 4 `PCancelable`, made as the driver made it",
    note: "new PCancelable(executor) keeping resolve and reject on the flow, `onCancel.shouldReject = false` and a cancel handler, `cancel` replaced by one that keeps the reason (p-cancelable passes none to its handlers), and `.catch(noop)` so that a result nobody awaits cannot reject unhandled.",
    awaited: false,
  },
  pCancelableAwaited: {
    label: 'p-cancelable 4 `PCancelable`, awaited by the caller',
    note: 'as above, plus the caller awaiting it (`then(onSettled, onSettled)`), as in the scale rows.',
    awaited: true,
  },
  cancelableResult: {
    label: "tokenpoll's `CancelableResult`",
    note: "new CancelableResult(flow): the native promise is made only when something awaits it, so a result nobody awaits is one small object and needs no catch().",
    awaited: false,
  },
  cancelableResultAwaited: {
    label: "tokenpoll's `CancelableResult`, awaited by the caller",
    note: 'as above, plus the caller awaiting it (`then(onSettled, onSettled)`): the native promise, its resolving functions and the reaction.',
    awaited: true,
  },
} as const;

export type ResultKind = keyof typeof RESULT_KINDS;

export interface ResultHeapMeasurement {
  readonly kind: ResultKind;
  readonly count: number;
  /** Heap used after GC per result, its flow (owner) excluded (bytes). */
  readonly heapBytesPerResult: number;
}

/** Stands for the flow that owns a result: what the driver keeps for p-cancelable, and what CancelableResult cancels. */
class Flow {
  resolve: ((value: unknown) => void) | undefined = undefined;
  reject: ((error: unknown) => void) | undefined = undefined;
  reason: unknown = undefined;
  cancel(_reason?: unknown): void {}
}

const noop = (): void => {};
const onSettled = (): void => {};

function pCancelable(flow: Flow): PromiseLike<unknown> {
  const result = new PCancelable<unknown>((resolve, reject, onCancel) => {
    flow.resolve = resolve;
    flow.reject = reject;
    onCancel.shouldReject = false;
    onCancel(() => flow.cancel(flow.reason));
  });
  const cancel = result.cancel.bind(result);
  Object.defineProperty(result, 'cancel', {
    value: (reason?: unknown): void => {
      flow.reason = reason;
      cancel();
    },
  });
  result.catch(noop);
  return result;
}

/** Makes `count` results of one kind and weighs them; `collect` runs full GCs and returns `heapUsed`. */
export function measureResultHeap(kind: ResultKind, count: number, collect: () => number): ResultHeapMeasurement {
  const make = kind === 'pCancelable' || kind === 'pCancelableAwaited' ? pCancelable : (flow: Flow) => new CancelableResult<unknown>(flow);
  const flows = Array.from({ length: count }, () => new Flow());
  // Both arrays are filled before the first weighing, so only the results themselves are counted.
  const results: (PromiseLike<unknown> | undefined)[] = Array.from({ length: count }, () => undefined);
  for (let i = 0; i < 100; i++) make(new Flow()).then(onSettled, onSettled);
  const base = collect();
  for (let i = 0; i < count; i++) {
    const result = make(flows[i]!);
    if (RESULT_KINDS[kind].awaited) result.then(onSettled, onSettled);
    results[i] = result;
  }
  const heapBytesPerResult = (collect() - base) / count;
  if (results.length !== flows.length) throw new Error('lost results');
  return { kind, count, heapBytesPerResult };
}
