import { inspect } from 'node:util';
import { describe, expect, test } from 'vitest';
import {
  ConfigurationError,
  ErrorCode,
  constantBackoff,
  openSnapshot,
  pollToken,
  resumeLogin,
  resumePoll,
  sealSnapshot,
  SnapshotExpiredError,
  SnapshotInvalidError,
  SnapshotTamperedError,
  SnapshotUnavailableError,
  SnapshotVersionError,
  startDeviceLogin,
  type CodeEvent,
  type LoginSnapshot,
  type PollSnapshot,
  type TokenRequestContext,
  type TokenSet,
} from '../../src/index.js';
import { ManualClock, scriptedTransport, type ScriptStep } from '../../src/testing.js';

const EPOCH = Date.UTC(2026, 0, 1);
const TOKEN: TokenSet = { accessToken: 'at-1', raw: {} };
const PENDING: ScriptStep = { type: 'authorization_pending' };
const json = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** A poll on a fresh clock, run to `at` ms. */
async function pollUntil(script: readonly ScriptStep[], at: number, options: { timeoutMs?: number; backoff?: ReturnType<typeof constantBackoff> } = {}) {
  const clock = new ManualClock({ wallEpochMs: EPOCH });
  const transport = scriptedTransport(script, { clock, whenExhausted: 'repeat-last' });
  const poll = pollToken({ transport, clock, intervalSeconds: 5, expiresInSeconds: 600, ...options });
  await clock.advance(at);
  return { clock, transport, poll };
}

/** A clock for the second process: its monotonic time elsewhere, its wall time `wallAt`. */
function laterClock(wallAt: number, origin = 987_654): ManualClock {
  return new ManualClock({ now: origin, wallEpochMs: wallAt - origin });
}

describe('PollHandle.snapshot', () => {
  test('should write the state in wall time, Infinity as null, when a poll waits', async () => {
    // Arrange
    const { poll } = await pollUntil([{ type: 'slow_down' }, PENDING], 6000);
    // Act
    const snapshot = poll.snapshot();
    // Assert
    expect(snapshot).toMatchObject({ type: 'tokenpoll.poll', version: 1, takenAt: EPOCH + 6000 });
    expect(snapshot.state).toMatchObject({ status: 'slow-down', phase: 'waiting', intervalMs: 10_000, attempt: 1, deadlineAt: EPOCH + 600_000, timeoutAt: null, lastRequestAt: EPOCH + 5000, dueAt: EPOCH + 15_000 });
    expect(snapshot.config).toMatchObject({ intervalMs: 5000, lifetimeMs: 600_000, timeoutMs: null, backoff: 'default' });
    expect(json(snapshot)).toEqual(snapshot);
  });

  test('should snapshot the state a poll starts in, when asked before it started', () => {
    // Arrange
    const clock = new ManualClock({ now: 100, wallEpochMs: EPOCH });
    const poll = pollToken({ transport: scriptedTransport([PENDING], { clock }), clock, expiresInSeconds: 60, timeoutMs: 30_000 });
    // Act
    const snapshot = poll.snapshot();
    // Assert
    expect(poll.state.status).toBe('idle');
    expect(snapshot.state).toMatchObject({ status: 'pending', phase: 'waiting', attempt: 0, dueAt: EPOCH + 5100, timeoutAt: EPOCH + 30_100, deadlineAt: EPOCH + 60_100 });
    poll.cancel();
  });

  test('should throw SnapshotUnavailableError once the poll settled', async () => {
    // Arrange
    const { poll } = await pollUntil([{ type: 'success', token: TOKEN }], 6000);
    // Act
    const act = (): unknown => poll.snapshot();
    // Assert
    expect(act).toThrow(SnapshotUnavailableError);
    expect(act).toThrow(expect.objectContaining({ code: ErrorCode.SNAPSHOT_UNAVAILABLE, status: 'granted' }));
  });
});

describe('resumePoll', () => {
  test('should keep the deadline, the raised floor and the due time, on a clock whose monotonic origin differs', async () => {
    // Arrange: a slow_down raised the floor to 10 s; the next poll is due at 15 s
    const first = await pollUntil([{ type: 'slow_down' }, PENDING], 6000);
    const snapshot = json(first.poll.snapshot());
    first.poll.cancel();
    const clock = laterClock(EPOCH + 6000);
    const transport = scriptedTransport([PENDING, { type: 'success', token: TOKEN }], { clock });
    // Act
    const resumed = resumePoll(snapshot, { transport, clock });
    const result = await clock.runUntilSettled(resumed.result);
    // Assert: polls at 15 s and 25 s of the first process's time (wall), 10 s apart
    expect(result).toEqual({ status: 'fulfilled', value: TOKEN });
    expect(transport.requests.map((r) => clock.wallNow() - clock.now() + r.at - EPOCH)).toEqual([15_000, 25_000]);
    expect(clock.pendingTimers).toBe(0);
  });

  test('should count a request in flight at the snapshot as failed in transit, and wait at least the floor after it', async () => {
    // Arrange: request 2 (sent at 10 s) is in flight at 12 s
    const first = await pollUntil([PENDING, { reply: PENDING, latencyMs: 5000 }], 12_000);
    const snapshot = json(first.poll.snapshot());
    first.poll.cancel();
    const clock = laterClock(EPOCH + 12_000);
    const transport = scriptedTransport([{ type: 'success', token: TOKEN }], { clock });
    const retries: unknown[] = [];
    // Act
    const resumed = resumePoll(snapshot, { transport, clock, backoff: constantBackoff(1000) });
    resumed.on('retry', (event) => retries.push(event));
    const result = await clock.runUntilSettled(resumed.result);
    // Assert: a transient network_error at 12 s, then the floor (5 s, above the 1 s backoff) from then
    expect(snapshot.state).toMatchObject({ phase: 'polling', attempt: 2 });
    expect(retries).toEqual([expect.objectContaining({ attempt: 2, faults: 1, delayMs: 5000, fault: expect.objectContaining({ type: 'network_error' }) })]);
    expect(transport.requests.map((r) => ({ attempt: r.attempt, wall: clock.wallNow() - clock.now() + r.at - EPOCH }))).toEqual([{ attempt: 3, wall: 17_000 }]);
    expect(result.status).toBe('fulfilled');
  });

  test('should count a request aborted for its timeout, and not yet answered, as that timeout', async () => {
    // Arrange: a transport that ignores its signal, so the poll waits in 'aborting' for the request's last word
    const clock = new ManualClock({ wallEpochMs: EPOCH });
    const hung = (_context: TokenRequestContext): Promise<never> => new Promise<never>(() => {});
    const poll = pollToken({ transport: hung, clock, intervalSeconds: 5, expiresInSeconds: 600, requestTimeoutMs: 2000 });
    await clock.advance(7500);
    const snapshot = json(poll.snapshot());
    poll.cancel();
    const later = laterClock(EPOCH + 7500);
    const retries: { fault: { type: string } }[] = [];
    // Act
    const resumed = resumePoll(snapshot, { transport: scriptedTransport([PENDING], { clock: later }), clock: later });
    resumed.on('retry', (event) => retries.push(event));
    await later.advance(0);
    // Assert
    expect(snapshot.state.phase).toBe('aborting');
    expect(retries.map((r) => r.fault.type)).toEqual(['timeout']);
    resumed.cancel();
  });

  test('should poll at once when the poll fell due while no process ran', async () => {
    // Arrange
    const first = await pollUntil([PENDING], 6000);
    const snapshot = json(first.poll.snapshot());
    first.poll.cancel();
    const clock = laterClock(EPOCH + 40_000);
    const transport = scriptedTransport([{ type: 'success', token: TOKEN }], { clock });
    // Act
    const resumed = resumePoll(snapshot, { transport, clock });
    await clock.advance(0);
    // Assert
    expect(transport.requests).toHaveLength(1);
    expect(await resumed.result).toEqual(TOKEN);
  });

  test('should keep the spacing from the last request when the wall clock of the resuming machine reads earlier', async () => {
    // Arrange: snapshot at 6 s (next poll due at 10 s); the second machine's wall clock is 3 s behind
    const first = await pollUntil([PENDING], 6000);
    const snapshot = json(first.poll.snapshot());
    first.poll.cancel();
    const clock = laterClock(EPOCH + 3000);
    const transport = scriptedTransport([PENDING], { clock });
    // Act
    const resumed = resumePoll(snapshot, { transport, clock });
    await clock.advance(3999);
    const early = transport.requests.length;
    await clock.advance(1);
    // Assert: still 4 s after resuming, as it was 4 s before the poll was due
    expect(early).toBe(0);
    expect(transport.requests).toHaveLength(1);
    resumed.cancel();
  });

  test('should cancel cleanly before the resumed poll took its first step', async () => {
    const first = await pollUntil([PENDING, { reply: PENDING, latencyMs: 5000 }], 12_000);
    const snapshot = json(first.poll.snapshot());
    first.poll.cancel();
    const clock = laterClock(EPOCH + 12_000);
    const transport = scriptedTransport([PENDING], { clock });
    const resumed = resumePoll(snapshot, { transport, clock });
    resumed.cancel('bye');
    const result = await clock.runUntilSettled(resumed.result);
    expect(result).toMatchObject({ status: 'rejected', reason: { code: ErrorCode.CANCELLED } });
    expect(transport.requests).toHaveLength(0);
    expect(clock.pendingTimers).toBe(0);
  });

  describe('should refuse a snapshot it cannot resume with a typed error, and start nothing', () => {
    const cases: [string, (s: PollSnapshot) => unknown, new (...args: never[]) => Error, string][] = [
      ['not an object', () => 'hello', SnapshotInvalidError, ErrorCode.SNAPSHOT_INVALID],
      ['a login snapshot', (s) => ({ ...s, type: 'tokenpoll.login' }), SnapshotInvalidError, ErrorCode.SNAPSHOT_INVALID],
      ['a sealed snapshot', () => ({ type: 'tokenpoll.sealed', version: 1, alg: 'A-GCM', iv: '', data: '' }), SnapshotInvalidError, ErrorCode.SNAPSHOT_INVALID],
      ['a bad attempt', (s) => ({ ...s, state: { ...s.state, attempt: -1 } }), SnapshotInvalidError, ErrorCode.SNAPSHOT_INVALID],
      ['a missing config member', (s) => ({ ...s, config: { ...s.config, requestTimeoutMs: undefined } }), SnapshotInvalidError, ErrorCode.SNAPSHOT_INVALID],
      ['a deadline further than the lifetime', (s) => ({ ...s, state: { ...s.state, deadlineAt: s.state.deadlineAt + 3_600_000 } }), SnapshotInvalidError, ErrorCode.SNAPSHOT_INVALID],
      ['a request sent after the state', (s) => ({ ...s, state: { ...s.state, lastRequestAt: s.state.at + 60_000 } }), SnapshotInvalidError, ErrorCode.SNAPSHOT_INVALID],
      ['a future version', (s) => ({ ...s, version: 2, state: 'whatever' }), SnapshotVersionError, ErrorCode.SNAPSHOT_VERSION],
      ['a passed deadline', (s) => ({ ...s, state: { ...s.state, deadlineAt: EPOCH + 5000 } }), SnapshotExpiredError, ErrorCode.SNAPSHOT_EXPIRED],
      ['a passed timeout', (s) => ({ ...s, state: { ...s.state, timeoutAt: EPOCH + 5500 } }), SnapshotExpiredError, ErrorCode.SNAPSHOT_EXPIRED],
    ];
    test.each(cases)('when it is %s', async (_name, change, type, code) => {
      // Arrange
      const first = await pollUntil([PENDING], 6000);
      const snapshot = change(json(first.poll.snapshot()));
      first.poll.cancel();
      const clock = laterClock(EPOCH + 6000);
      const transport = scriptedTransport([PENDING], { clock });
      // Act
      const act = (): unknown => resumePoll(snapshot as PollSnapshot, { transport, clock });
      // Assert
      expect(act).toThrow(type);
      expect(act).toThrow(expect.objectContaining({ code }));
      await clock.advance(60_000);
      expect(transport.requests).toHaveLength(0);
      expect(clock.pendingTimers).toBe(0);
    });

    test('when the path of the bad member is named', async () => {
      const first = await pollUntil([PENDING], 6000);
      const snapshot = json(first.poll.snapshot());
      first.poll.cancel();
      const act = (): unknown => resumePoll({ ...snapshot, state: { ...snapshot.state, phase: 'sleeping' } } as never, { transport: () => PENDING });
      expect(act).toThrow(expect.objectContaining({ path: 'state.phase' }));
    });

    test('when the poll had a custom backoff and none is passed again', async () => {
      const first = await pollUntil([PENDING], 6000, { backoff: constantBackoff(2000) });
      const snapshot = json(first.poll.snapshot());
      first.poll.cancel();
      expect(snapshot.config.backoff).toBe('custom');
      expect(() => resumePoll(snapshot, { transport: () => PENDING, clock: laterClock(EPOCH + 6000) })).toThrow(ConfigurationError);
    });
  });
});

describe('sealSnapshot and openSnapshot', () => {
  const rawKey = new Uint8Array(32).map((_, i) => i);

  test('should round-trip a snapshot through JSON, with a CryptoKey or raw bytes', async () => {
    // Arrange
    const { poll } = await pollUntil([PENDING], 6000);
    const snapshot = poll.snapshot();
    poll.cancel();
    const cryptoKey = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
    // Act
    const sealed = json(await sealSnapshot(snapshot, cryptoKey));
    const opened = await openSnapshot(sealed, cryptoKey);
    const openedRaw = await openSnapshot(json(await sealSnapshot(snapshot, rawKey)), rawKey.buffer);
    // Assert
    expect(sealed).toMatchObject({ type: 'tokenpoll.sealed', version: 1, alg: 'A-GCM' });
    expect(JSON.stringify(sealed)).not.toContain('deadlineAt');
    expect(opened).toEqual(json(snapshot));
    expect(openedRaw).toEqual(json(snapshot));
  });

  test('should refuse a changed sealed snapshot, or the wrong key, with SnapshotTamperedError', async () => {
    // Arrange
    const { poll } = await pollUntil([PENDING], 6000);
    const sealed = await sealSnapshot(poll.snapshot(), rawKey);
    poll.cancel();
    const flipped = { ...sealed, data: (sealed.data[0] === 'A' ? 'B' : 'A') + sealed.data.slice(1) };
    const otherKey = new Uint8Array(32).fill(7);
    // Act + Assert
    await expect(openSnapshot(flipped, rawKey)).rejects.toBeInstanceOf(SnapshotTamperedError);
    await expect(openSnapshot({ ...sealed, iv: 'AAAAAAAAAAAAAAAA' }, rawKey)).rejects.toBeInstanceOf(SnapshotTamperedError);
    await expect(openSnapshot(sealed, otherKey)).rejects.toMatchObject({ code: ErrorCode.SNAPSHOT_TAMPERED });
  });

  test('should open only with the context it was sealed for', async () => {
    const { poll } = await pollUntil([PENDING], 6000);
    const sealed = await sealSnapshot(poll.snapshot(), rawKey, { context: 'flow-1' });
    poll.cancel();
    await expect(openSnapshot(sealed, rawKey, { context: 'flow-1' })).resolves.toMatchObject({ type: 'tokenpoll.poll' });
    await expect(openSnapshot(sealed, rawKey, { context: 'flow-2' })).rejects.toBeInstanceOf(SnapshotTamperedError);
    await expect(openSnapshot(sealed, rawKey)).rejects.toBeInstanceOf(SnapshotTamperedError);
  });

  test('should refuse a bad envelope, a newer envelope and a bad key with typed errors', async () => {
    const { poll } = await pollUntil([PENDING], 6000);
    const sealed = await sealSnapshot(poll.snapshot(), rawKey);
    poll.cancel();
    await expect(openSnapshot({ ...sealed, data: 'not base64!' }, rawKey)).rejects.toBeInstanceOf(SnapshotInvalidError);
    await expect(openSnapshot({ ...sealed, version: 9 }, rawKey)).rejects.toBeInstanceOf(SnapshotVersionError);
    await expect(openSnapshot(json(poll.state), rawKey)).rejects.toBeInstanceOf(SnapshotInvalidError);
    await expect(openSnapshot(sealed, new Uint8Array(10))).rejects.toBeInstanceOf(ConfigurationError);
    await expect(sealSnapshot({ hello: 1 } as never, rawKey)).rejects.toBeInstanceOf(SnapshotInvalidError);
  });
});

describe('LoginHandle.snapshot and resumeLogin (a login of the caller own)', () => {
  const DEVICE_CODE = 'dc-very-secret-0123456789';
  /** A login whose code is issued at 0 and expires after 600 s; its transport answers from `script`. */
  function login(clock: ManualClock, script: readonly ScriptStep[]) {
    const transports: ReturnType<typeof scriptedTransport>[] = [];
    const options = {
      clock,
      authorize: async () => ({ deviceCode: DEVICE_CODE, userCode: 'WDJB-MJHT', verificationUri: 'https://example.com/device', expiresInSeconds: 600, intervalSeconds: 5, issuedAt: clock.now() }),
      transportFor: ({ deviceCode }: { deviceCode: string }) => {
        const transport = scriptedTransport(script, { clock, params: { device_code: deviceCode }, whenExhausted: 'repeat-last' });
        transports.push(transport);
        return transport;
      },
    };
    return { options, transports };
  }

  test('should snapshot from the code event on, and resume polling for the same code in a fresh process', async () => {
    // Arrange
    const clock = new ManualClock({ wallEpochMs: EPOCH });
    const first = login(clock, [{ type: 'slow_down' }, PENDING]);
    const handle = startDeviceLogin(first.options);
    let taken: LoginSnapshot | undefined;
    handle.on('code', () => (taken = handle.snapshot()));
    await clock.advance(7000);
    const snapshot = json(handle.snapshot());
    handle.cancel();
    const later = laterClock(EPOCH + 7000);
    const second = login(later, [PENDING, { type: 'success', token: TOKEN }]);
    const codes: CodeEvent[] = [];
    // Act
    const resumed = resumeLogin(snapshot, second.options);
    resumed.on('code', (code) => codes.push(code));
    const result = await later.runUntilSettled(resumed.result);
    // Assert
    expect(taken?.poll.state.attempt).toBe(0);
    expect(snapshot).toMatchObject({ type: 'tokenpoll.login', provider: { type: 'custom' }, restarts: 0, authorization: { deviceCode: DEVICE_CODE, userCode: 'WDJB-MJHT', issuedAt: EPOCH, expiresAt: EPOCH + 600_000 } });
    expect(codes).toEqual([expect.objectContaining({ userCode: 'WDJB-MJHT', resumed: true, restart: 0, expiresAt: EPOCH + 600_000 })]);
    expect(result).toEqual({ status: 'fulfilled', value: TOKEN });
    // The floor raised by slow_down (10 s) still holds: polls at 15 s and 25 s of wall time from the code.
    expect(second.transports[0]!.requests.map((r) => [r.params['device_code'], later.wallNow() - later.now() + r.at - EPOCH])).toEqual([
      [DEVICE_CODE, 15_000],
      [DEVICE_CODE, 25_000],
    ]);
  });

  test('should write the device code with JSON.stringify, and leave it out of toString, util.inspect and errors', async () => {
    // Arrange
    const clock = new ManualClock({ wallEpochMs: EPOCH });
    const handle = startDeviceLogin(login(clock, [PENDING]).options);
    await clock.advance(1000);
    // Act
    const snapshot = handle.snapshot();
    handle.cancel();
    let expired: Error | undefined;
    try {
      resumeLogin(json(snapshot), login(laterClock(EPOCH + 700_000), [PENDING]).options);
    } catch (error) {
      expired = error as Error;
    }
    // Assert
    expect(JSON.stringify(snapshot)).toContain(DEVICE_CODE);
    expect(String(snapshot)).not.toContain(DEVICE_CODE);
    expect(String(snapshot)).toContain('WDJB-MJHT');
    expect(inspect(snapshot, { depth: 10 })).not.toContain(DEVICE_CODE);
    expect(inspect(snapshot.authorization)).not.toContain(DEVICE_CODE);
    expect(expired).toBeInstanceOf(SnapshotExpiredError);
    expect(JSON.stringify(expired)).not.toContain(DEVICE_CODE);
    expect(expired!.message).not.toContain(DEVICE_CODE);
  });

  test('should ask restart when the resumed code expires, and ask for a new code with the options it was resumed with', async () => {
    // Arrange
    const clock = new ManualClock({ wallEpochMs: EPOCH });
    const handle = startDeviceLogin(login(clock, [PENDING]).options);
    await clock.advance(1000);
    const snapshot = json(handle.snapshot());
    handle.cancel();
    const later = laterClock(EPOCH + 1000);
    const second = login(later, [PENDING]);
    let authorizations = 0;
    const options = {
      ...second.options,
      authorize: async () => (authorizations++, second.options.authorize()),
      transportFor: (a: { deviceCode: string }) => (a.deviceCode === DEVICE_CODE && authorizations > 0 ? scriptedTransport([{ type: 'success', token: TOKEN }], { clock: later }) : second.options.transportFor(a)),
      restart: () => true,
    };
    const codes: CodeEvent[] = [];
    // Act
    const resumed = resumeLogin(snapshot, options);
    resumed.on('code', (code) => codes.push(code));
    const result = await later.runUntilSettled(resumed.result);
    // Assert: the first code expired at 600 s of wall time, then a new one was asked for
    expect(codes.map((c) => [c.restart, c.resumed ?? false])).toEqual([
      [0, true],
      [1, false],
    ]);
    expect(authorizations).toBe(1);
    expect(later.wallNow()).toBeGreaterThanOrEqual(EPOCH + 600_000);
    expect(result).toEqual({ status: 'fulfilled', value: TOKEN });
  });

  test('should throw SnapshotUnavailableError before the code, and once settled', async () => {
    const clock = new ManualClock({ wallEpochMs: EPOCH });
    const handle = startDeviceLogin(login(clock, [{ type: 'success', token: TOKEN }]).options);
    expect(() => handle.snapshot()).toThrow(expect.objectContaining({ code: ErrorCode.SNAPSHOT_UNAVAILABLE, status: 'authorizing' }));
    await clock.runUntilSettled(handle.result);
    expect(() => handle.snapshot()).toThrow(expect.objectContaining({ code: ErrorCode.SNAPSHOT_UNAVAILABLE, status: 'granted' }));
  });

  test('should refuse a poll snapshot, a tampered member and a snapshot of another provider', async () => {
    const clock = new ManualClock({ wallEpochMs: EPOCH });
    const handle = startDeviceLogin(login(clock, [PENDING]).options);
    await clock.advance(1000);
    const snapshot = json(handle.snapshot());
    handle.cancel();
    const options = login(laterClock(EPOCH + 1000), [PENDING]).options;
    expect(() => resumeLogin(snapshot.poll as never, options)).toThrow(SnapshotInvalidError);
    expect(() => resumeLogin({ ...snapshot, authorization: { ...snapshot.authorization, verificationUri: 'javascript:alert(1)' } }, options)).toThrow(
      expect.objectContaining({ path: 'authorization.verificationUri' }),
    );
    expect(() => resumeLogin({ ...snapshot, provider: { type: 'rfc8628', clientId: 'c', issuer: null, tokenEndpoint: 'https://a.test/t', deviceAuthorizationEndpoint: 'https://a.test/d' } }, options)).toThrow(
      expect.objectContaining({ path: 'provider.type' }),
    );
  });
});
