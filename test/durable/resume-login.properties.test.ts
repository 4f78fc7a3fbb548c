import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { resumeLogin, SnapshotExpiredError, startDeviceLogin, type DeviceLoginOptions, type LoginHandle, type LoginSnapshot, type TokenSet } from '../../src/index.js';
import { ManualClock, scriptedTransport, seededRandom, type ScriptStep, type ScriptedTransport } from '../../src/testing.js';
import { arb, RUNS } from '../helpers/arbitraries.js';

// The property of resume-poll.properties.test.ts, one level up: a whole login (startDeviceLogin),
// snapshotted at any point after its code, serialised, and resumed with resumeLogin on a fresh clock,
// polls for the same device code at the same wall times and ends the same way as the login never cut.

const EPOCH = Date.UTC(2026, 0, 1);
const DEVICE_CODE = 'dc-property-secret';
const RESET: ScriptStep = { fail: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) };
const stepAt = (script: readonly ScriptStep[], index: number): ScriptStep => script[Math.min(index, script.length - 1)]!;

interface Login {
  readonly clock: ManualClock;
  readonly handle: LoginHandle<TokenSet>;
  readonly transports: ScriptedTransport[];
}

interface Settings {
  readonly intervalSeconds: number;
  readonly expiresInSeconds: number;
  readonly requestTimeoutMs: number;
  readonly seed: number;
}

function options(clock: ManualClock, script: readonly ScriptStep[], settings: Settings, random: () => number, transports: ScriptedTransport[]): DeviceLoginOptions<TokenSet> {
  return {
    clock,
    poll: { random, requestTimeoutMs: settings.requestTimeoutMs },
    authorize: async () => ({ deviceCode: DEVICE_CODE, userCode: 'BDWP-HQPK', verificationUri: 'https://example.com/device', expiresInSeconds: settings.expiresInSeconds, intervalSeconds: settings.intervalSeconds, issuedAt: clock.now() }),
    transportFor: ({ deviceCode }) => {
      const transport = scriptedTransport(script, { clock, params: { device_code: deviceCode }, whenExhausted: 'repeat-last' });
      transports.push(transport);
      return transport;
    },
  };
}

function start(script: readonly ScriptStep[], settings: Settings, random: () => number): Login {
  const clock = new ManualClock({ wallEpochMs: EPOCH });
  const transports: ScriptedTransport[] = [];
  return { clock, handle: startDeviceLogin(options(clock, script, settings, random, transports)), transports };
}

/** Every request of a login, with its device code and wall time. */
const requestsOf = (login: { clock: ManualClock; transports: ScriptedTransport[] }): { code: string | undefined; wallAt: number }[] =>
  login.transports.flatMap((t) => t.requests.map((r) => ({ code: r.params['device_code'], wallAt: login.clock.wallNow() - login.clock.now() + r.at })));

function ending(result: PromiseSettledResult<TokenSet>): unknown {
  return result.status === 'fulfilled' ? { token: result.value } : { code: (result.reason as { code: string }).code };
}

const settingsArb: fc.Arbitrary<Settings> = fc.record({
  intervalSeconds: fc.integer({ min: 1, max: 10 }),
  expiresInSeconds: fc.integer({ min: 30, max: 600 }),
  requestTimeoutMs: fc.integer({ min: 1000, max: 20_000 }),
  seed: fc.integer(),
});

describe('resumeLogin', () => {
  test('should poll for the same code at the same wall times and end the same way, when cut anywhere after the code', async () => {
    const tally = { inFlight: 0, resumed: 0 };
    await fc.assert(
      fc.asyncProperty(arb.script, settingsArb, fc.boolean(), fc.nat(), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), async (script, settings, inFlight, pick, fraction) => {
        // Arrange: a dry run finds the timeline
        const dry = start(script, settings, seededRandom(settings.seed));
        await dry.clock.runUntilSettled(dry.handle.result);
        const endAt = dry.clock.now();
        const windows = dry.transports
          .flatMap((t) => t.requests)
          .map((r) => ({ from: r.at, to: Math.min(r.answeredAt ?? r.abortedAt ?? endAt, r.at + settings.requestTimeoutMs) - 1 }))
          .filter((w) => w.to >= w.from);
        const window = windows[pick % Math.max(1, windows.length)];
        const cutAt = inFlight && window ? window.from + Math.floor(fraction * (window.to - window.from + 1)) : Math.floor(fraction * endAt);

        // Act 1: the first process, cut
        const random = seededRandom(settings.seed);
        const first = start(script, settings, () => random());
        await first.clock.advance(cutAt);
        if (first.handle.state.status !== 'pending' && first.handle.state.status !== 'slow-down' && first.handle.state.status !== 'retrying') return;
        const snapshot = JSON.parse(JSON.stringify(first.handle.snapshot())) as LoginSnapshot;
        first.handle.cancel();
        await first.clock.runUntilSettled(first.handle.result);
        const sent = first.transports[0]!.requests.length;
        const wasInFlight = snapshot.poll.state.phase !== 'waiting';
        if (wasInFlight) tally.inFlight++;

        // The reference: never cut, a request in flight at the cut failing in transit then.
        const reference = wasInFlight
          ? Array.from({ length: Math.max(script.length, sent + 1) }, (_, i) => (i === sent - 1 ? { ...RESET, latencyMs: cutAt - first.transports[0]!.requests[sent - 1]!.at } : stepAt(script, i)))
          : script;
        const whole = start(reference, settings, seededRandom(settings.seed));
        const wholeResult = await whole.clock.runUntilSettled(whole.handle.result);

        // Act 2: resumed on a fresh clock at the same wall time
        const origin = 1 + (pick % 5_000_000);
        const clock = new ManualClock({ now: origin, wallEpochMs: EPOCH + cutAt - origin });
        const transports: ScriptedTransport[] = [];
        const rest = Array.from({ length: Math.max(1, script.length - sent) }, (_, i) => stepAt(script, sent + i));
        let resumed: LoginHandle<TokenSet>;
        try {
          resumed = resumeLogin(snapshot, options(clock, rest, settings, () => random(), transports));
        } catch (error) {
          expect(error).toBeInstanceOf(SnapshotExpiredError);
          expect(whole.handle.state.status).toBe('expired');
          return;
        }
        tally.resumed++;
        const codes: unknown[] = [];
        resumed.on('code', (code) => codes.push(code));
        const result = await clock.runUntilSettled(resumed.result);

        // Assert
        expect(codes).toEqual([expect.objectContaining({ resumed: true, userCode: 'BDWP-HQPK', expiresAt: snapshot.authorization.expiresAt })]);
        expect(requestsOf({ clock, transports })).toEqual(requestsOf(whole).filter((r) => r.wallAt > EPOCH + cutAt));
        expect(ending(result)).toEqual(ending(wholeResult));
        expect(resumed.state.status).toBe(whole.handle.state.status);
        expect(clock.pendingTimers).toBe(0);
      }),
      { numRuns: Math.round(RUNS / 2) },
    );
    expect(tally.resumed).toBeGreaterThan(RUNS / 4);
    expect(tally.inFlight).toBeGreaterThan(RUNS / 20);
  }, 300_000);
});
