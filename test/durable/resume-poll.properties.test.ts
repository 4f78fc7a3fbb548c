import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { pollToken, resumePoll, SnapshotExpiredError, SnapshotUnavailableError, type PollEvents, type PollHandle, type PollSnapshot, type TokenSet } from '../../src/index.js';
import { ManualClock, scriptedTransport, seededRandom, type ScriptStep, type ScriptedTransport } from '../../src/testing.js';
import { arb, flowSettings, RUNS, type FlowSettings } from '../helpers/arbitraries.js';

// The property of issue 12: a flow snapshotted at any point, serialised with JSON.stringify and resumed
// on a fresh driver (a fresh ManualClock whose monotonic origin differs, at the same wall time) sends
// its remaining requests at the same wall times and ends the same way as a flow never interrupted.
// A cut with a request in flight is compared with the flow in which that request failed in transit
// at the cut (a network error), since that is what resuming makes of it.

const EPOCH = Date.UTC(2026, 0, 1);
const EVENT_NAMES = ['stateChange', 'attempt', 'pending', 'slowDown', 'retry', 'warning', 'granted', 'denied', 'expired', 'failed', 'cancelled'] as const;
const RESET: ScriptStep = { fail: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) };

interface Settings extends FlowSettings {
  readonly timeoutMs: number | undefined;
}

interface Run {
  readonly clock: ManualClock;
  readonly transport: ScriptedTransport;
  readonly poll: PollHandle<TokenSet>;
  /** Every event, with its wall time. */
  readonly events: { readonly name: string; readonly wallAt: number; readonly attempt: unknown }[];
}

function watch(clock: ManualClock, transport: ScriptedTransport, poll: PollHandle<TokenSet>): Run {
  const events: Run['events'] = [];
  for (const name of EVENT_NAMES) {
    poll.on(name, (payload: PollEvents[typeof name]) => events.push({ name, wallAt: clock.wallNow(), attempt: (payload as { attempt?: unknown }).attempt }));
  }
  return { clock, transport, poll, events };
}

function start(script: readonly ScriptStep[], settings: Settings, random: () => number): Run {
  const clock = new ManualClock({ wallEpochMs: EPOCH });
  const transport = scriptedTransport(script, { clock, whenExhausted: 'repeat-last' });
  const { seed: _seed, timeoutMs, ...options } = settings;
  const poll = pollToken({ ...options, ...(timeoutMs === undefined ? {} : { timeoutMs }), transport, clock, random });
  return watch(clock, transport, poll);
}

/** The script step request `index` (0-based) gets, as a repeat-last scripted transport picks it. */
const stepAt = (script: readonly ScriptStep[], index: number): ScriptStep => script[Math.min(index, script.length - 1)]!;

/** How a flow ended, in terms that do not depend on which process ran it. */
function ending(result: PromiseSettledResult<TokenSet>, poll: PollHandle<TokenSet>, wallOffset: number): unknown {
  const state = poll.state;
  const common = { status: state.status, attempt: 'attempt' in state ? state.attempt : undefined, wallAt: 'at' in state ? state.at + wallOffset : undefined };
  if (result.status === 'fulfilled') return { ...common, token: result.value };
  const error = result.reason as { name: string; code: string };
  return { ...common, error: error.name, code: error.code, source: 'source' in state ? state.source : undefined };
}

const settingsArb: fc.Arbitrary<Settings> = fc.tuple(flowSettings, fc.option(fc.integer({ min: 10_000, max: 600_000 }), { nil: undefined })).map(([s, timeoutMs]) => ({ ...s, timeoutMs }));
/** Where to cut: in flight (a request of the uninterrupted run, at a point before its answer and its timeout) or anywhere. */
const cutArb = fc.record({ inFlight: fc.boolean(), pick: fc.nat(), fraction: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }) });
/** The resumed process's monotonic origin: another than the first's. */
const originArb = fc.integer({ min: 1, max: 10_000_000 });

describe('resumePoll', () => {
  describe('should send the remaining requests at the same wall times and end the same way', () => {
    test('when a flow is snapshotted at any point, serialised, and resumed on a fresh clock', async () => {
      const tally = { runs: 0, inFlight: 0, waiting: 0, settled: 0, expired: 0 };
      await fc.assert(
        fc.asyncProperty(arb.script, settingsArb, cutArb, originArb, async (script, settings, cut, origin) => {
          tally.runs++;
          // Arrange: a dry run finds the timeline, so a cut can land while a request is in flight.
          const dry = start(script, settings, seededRandom(settings.seed));
          await dry.clock.runUntilSettled(dry.poll.result);
          const endAt = dry.clock.now();
          const windows = dry.transport.requests
            .map((r) => ({ from: r.at, to: Math.min(r.answeredAt ?? r.abortedAt ?? endAt, r.at + settings.requestTimeoutMs) - 1 }))
            .filter((w) => w.to >= w.from);
          const window = windows[cut.pick % Math.max(1, windows.length)];
          const cutAt = cut.inFlight && window ? window.from + Math.floor(cut.fraction * (window.to - window.from + 1)) : Math.floor(cut.fraction * endAt);

          // Act 1: the first process runs to the cut, is snapshotted, and dies.
          const random = seededRandom(settings.seed);
          const first = start(script, settings, () => random());
          await first.clock.advance(cutAt);
          if (first.events.some((e) => ['granted', 'denied', 'expired', 'failed', 'cancelled'].includes(e.name))) {
            tally.settled++;
            expect(() => first.poll.snapshot()).toThrow(SnapshotUnavailableError);
            return;
          }
          const snapshot = JSON.parse(JSON.stringify(first.poll.snapshot())) as PollSnapshot;
          first.poll.cancel(new Error('the process died'));
          await first.clock.runUntilSettled(first.poll.result);
          const sent = first.transport.requests.length;
          const inFlight = snapshot.state.phase !== 'waiting';
          expect(snapshot.state.phase).not.toBe('aborting'); // the scripted transport answers an abort at once
          if (inFlight) tally.inFlight++;
          else tally.waiting++;

          // The reference: the same flow never interrupted, in which a request in flight at the cut fails in transit then.
          const reference = inFlight
            ? Array.from({ length: Math.max(script.length, sent + 1) }, (_, i) =>
                i === sent - 1 ? { ...RESET, latencyMs: cutAt - first.transport.requests[sent - 1]!.at } : stepAt(script, i),
              )
            : script;
          const whole = start(reference, settings, seededRandom(settings.seed));
          const wholeResult = await whole.clock.runUntilSettled(whole.poll.result);

          // Act 2: a fresh process, its monotonic clock elsewhere, the same wall time.
          const clock = new ManualClock({ now: origin, wallEpochMs: EPOCH + cutAt - origin });
          const rest = Array.from({ length: Math.max(1, script.length - sent) }, (_, i) => stepAt(script, sent + i));
          const transport = scriptedTransport(rest, { clock, whenExhausted: 'repeat-last' });
          let resumed: PollHandle<TokenSet>;
          try {
            resumed = resumePoll(snapshot, { transport, clock, random: () => random() });
          } catch (error) {
            // Only a flow whose deadline or timeout had come (with a request still in flight) cannot resume.
            expect(error).toBeInstanceOf(SnapshotExpiredError);
            expect(inFlight).toBe(true);
            expect(['expired']).toContain(whole.poll.state.status);
            tally.expired++;
            return;
          }
          const run = watch(clock, transport, resumed);
          const result = await clock.runUntilSettled(resumed.result);

          // Assert: the same requests after the cut, at the same wall times, and the same end.
          const wholeRequests = whole.transport.requests.filter((r) => r.at > cutAt).map((r) => ({ attempt: r.attempt, wallAt: EPOCH + r.at }));
          const resumedRequests = transport.requests.map((r) => ({ attempt: r.attempt, wallAt: clock.wallNow() - clock.now() + r.at }));
          expect(resumedRequests).toEqual(wholeRequests);
          expect(ending(result, resumed, EPOCH + cutAt - origin)).toEqual(ending(wholeResult, whole.poll, EPOCH));
          const after = (e: Run['events'][number]): boolean => e.wallAt > EPOCH + cutAt;
          expect(run.events.filter(after).map((e) => [e.name, e.wallAt, e.attempt])).toEqual(whole.events.filter(after).map((e) => [e.name, e.wallAt, e.attempt]));
          expect(clock.pendingTimers).toBe(0);
          expect(transport.inFlight).toBe(0);
        }),
        { numRuns: RUNS },
      );
      // The cuts must reach both kinds of moment often enough for the property to mean something.
      expect(tally.inFlight).toBeGreaterThan(tally.runs * 0.15);
      expect(tally.waiting).toBeGreaterThan(tally.runs * 0.15);
    }, 300_000);
  });
});
