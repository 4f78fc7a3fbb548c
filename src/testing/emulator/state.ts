import { ConfigurationError } from '../../errors/failures.js';
import { normalizeUserCode as normalize, randomToken, randomUserCode } from './random.js';
import type { EmulatorSettings } from './settings.js';
import type { EmulatorCode, EmulatorCodeStatus, EmulatorPoll } from './types.js';

/** A poll up to this much too early is let through, to absorb timer granularity (1 ms in Node). */
const EARLY_TOLERANCE_MS = 1;

/** A device code held by the emulator. @internal */
export interface DeviceCodeEntry extends Omit<EmulatorCode, 'status'> {
  readonly deviceCode: string;
  readonly clientId: string;
  readonly scope: string | undefined;
  readonly expiresAt: number;
  status: EmulatorCodeStatus;
  intervalMs: number;
  /** How many token requests reached this code. */
  polls: number;
  lastPollAt?: number;
  approvedAt?: number;
  consumedAt?: number;
}

/** What a device code token request gets. @internal */
export type PollVerdict =
  | { readonly type: 'invalid_grant'; readonly description: string }
  | { readonly type: 'expired_token' | 'access_denied' | 'authorization_pending' }
  | { readonly type: 'slow_down'; readonly intervalSeconds: number }
  | { readonly type: 'granted'; readonly entry: DeviceCodeEntry };

/** A refresh token the emulator issued. @internal */
export interface RefreshEntry {
  readonly side: 'rfc' | 'aws';
  readonly clientId: string;
  readonly scope: string | undefined;
}

/**
 * The emulator's device codes and refresh tokens, and the timers that approve
 * or deny codes on their own. Time is the settings' `now()` (`performance.now()` by default).
 * @internal
 */
export class EmulatorState {
  readonly #settings: EmulatorSettings;
  readonly #byDeviceCode = new Map<string, DeviceCodeEntry>();
  readonly #byUserCode = new Map<string, DeviceCodeEntry>();
  readonly #refreshTokens = new Map<string, RefreshEntry>();
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  readonly #pollListeners = new Set<(poll: EmulatorPoll) => void>();
  #closed = false;

  constructor(settings: EmulatorSettings) {
    this.#settings = settings;
  }

  /** Issues a device code, and schedules its automatic approval or denial. */
  issue(side: 'rfc' | 'aws', clientId: string, scope: string | undefined): DeviceCodeEntry {
    const now = this.#settings.now();
    let userCode: string;
    do userCode = randomUserCode();
    while (this.#byUserCode.has(normalize(userCode)));
    const entry: DeviceCodeEntry = {
      side,
      deviceCode: `dc-${randomToken()}`,
      userCode,
      clientId,
      scope,
      issuedAt: now,
      expiresAt: now + this.#settings.expiresInMs,
      status: 'pending',
      intervalMs: this.#settings.intervalMs,
      polls: 0,
    };
    this.#byDeviceCode.set(entry.deviceCode, entry);
    this.#byUserCode.set(normalize(userCode), entry);
    const { autoApproveAfterMs, autoDenyAfterMs } = this.#settings;
    if (autoApproveAfterMs !== undefined) this.#later(autoApproveAfterMs, () => this.#decide(entry, 'approved'));
    if (autoDenyAfterMs !== undefined) this.#later(autoDenyAfterMs, () => this.#decide(entry, 'denied'));
    return entry;
  }

  /**
   * Answers one device code token request: the decisions taken on this poll
   * (`approveOnPoll`, `denyOnPoll`, `onPoll` listeners), then reuse, expiry,
   * the interval, then the user's decision.
   */
  poll(side: 'rfc' | 'aws', deviceCode: string, clientId: string): PollVerdict {
    const entry = this.#byDeviceCode.get(deviceCode);
    if (!entry || entry.side !== side || entry.clientId !== clientId) return { type: 'invalid_grant', description: 'unknown device code' };
    this.#polled(entry);
    const now = this.#settings.now();
    const status = this.#statusOf(entry, now);
    if (status === 'consumed') return { type: 'invalid_grant', description: 'the device code has already been used' };
    if (status === 'expired') return { type: 'expired_token' };
    const tooEarly = entry.lastPollAt !== undefined && now < entry.lastPollAt + entry.intervalMs - EARLY_TOLERANCE_MS;
    entry.lastPollAt = now;
    if (tooEarly) {
      entry.intervalMs += this.#settings.slowDownIncrementMs;
      return { type: 'slow_down', intervalSeconds: entry.intervalMs / 1000 };
    }
    if (status === 'pending') return { type: 'authorization_pending' };
    if (status === 'denied') return { type: 'access_denied' };
    entry.status = 'consumed';
    entry.consumedAt = now;
    return { type: 'granted', entry };
  }

  /** Adds an `onPoll` listener; returns its remover. */
  addPollListener(listener: (poll: EmulatorPoll) => void): () => void {
    const own = (poll: EmulatorPoll): void => listener(poll); // a wrapper, so adding one function twice gives two listeners
    this.#pollListeners.add(own);
    return () => void this.#pollListeners.delete(own);
  }

  /** Issues a refresh token for a client. */
  issueRefreshToken(side: 'rfc' | 'aws', clientId: string, scope: string | undefined): string {
    const token = `rt-${randomToken()}`;
    this.#refreshTokens.set(token, { side, clientId, scope });
    return token;
  }

  /** Spends a refresh token (they rotate); `undefined` when it is unknown, used, or another client's. */
  redeemRefreshToken(side: 'rfc' | 'aws', token: string, clientId: string): RefreshEntry | undefined {
    const entry = this.#refreshTokens.get(token);
    if (!entry || entry.side !== side || entry.clientId !== clientId) return undefined;
    this.#refreshTokens.delete(token);
    return entry;
  }

  /** Revokes every refresh token issued so far. */
  revokeRefreshTokens(): void {
    this.#refreshTokens.clear();
  }

  /** Applies the user's decision, from the API or the approval page; an error message when it cannot. */
  decide(userCode: string, decision: 'approved' | 'denied' | 'expired'): string | undefined {
    const entry = this.#byUserCode.get(normalize(userCode));
    if (!entry) return 'unknown user code';
    const status = this.#statusOf(entry, this.#settings.now());
    if (decision === 'expired') {
      if (status !== 'consumed') entry.status = 'expired';
      return undefined;
    }
    if (status === decision || (decision === 'approved' && status === 'consumed')) return undefined;
    if (status !== 'pending') return `the code is already ${status}`;
    this.#decide(entry, decision);
    return undefined;
  }

  /** {@link EmulatorState.decide}, throwing. */
  command(userCode: string, decision: 'approved' | 'denied' | 'expired'): void {
    const problem = this.decide(userCode, decision);
    if (problem !== undefined) throw new ConfigurationError('userCode', `${problem}: ${userCode}`);
  }

  /** Every code, as tests see it. */
  codes(): EmulatorCode[] {
    const now = this.#settings.now();
    return [...this.#byDeviceCode.values()].map((entry) => {
      const code: { -readonly [K in keyof EmulatorCode]: EmulatorCode[K] } = {
        userCode: entry.userCode,
        status: this.#statusOf(entry, now),
        side: entry.side,
        issuedAt: entry.issuedAt,
      };
      if (entry.approvedAt !== undefined) code.approvedAt = entry.approvedAt;
      if (entry.consumedAt !== undefined) code.consumedAt = entry.consumedAt;
      return code;
    });
  }

  /** Clears every timer; no new ones are set afterwards. */
  close(): void {
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }

  /** Counts a poll of the code and takes the decisions that wait for it. */
  #polled(entry: DeviceCodeEntry): void {
    entry.polls += 1;
    const { approveOnPoll, denyOnPoll } = this.#settings;
    if (entry.polls === approveOnPoll) this.#decide(entry, 'approved');
    if (entry.polls === denyOnPoll) this.#decide(entry, 'denied');
    for (const listener of [...this.#pollListeners]) {
      listener(Object.freeze({ userCode: entry.userCode, side: entry.side, count: entry.polls, status: this.#statusOf(entry, this.#settings.now()) }));
    }
  }

  #statusOf(entry: DeviceCodeEntry, now: number): EmulatorCodeStatus {
    if ((entry.status === 'pending' || entry.status === 'approved' || entry.status === 'denied') && now >= entry.expiresAt) entry.status = 'expired';
    return entry.status;
  }

  #decide(entry: DeviceCodeEntry, decision: 'approved' | 'denied'): void {
    if (this.#statusOf(entry, this.#settings.now()) !== 'pending') return;
    entry.status = decision;
    if (decision === 'approved') entry.approvedAt = this.#settings.now();
  }

  #later(delayMs: number, callback: () => void): void {
    if (this.#closed) return;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      callback();
    }, delayMs);
    this.#timers.add(timer);
  }
}
