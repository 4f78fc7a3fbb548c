import { constantBackoff, loginWithDeviceFlow, type DeviceFlowLoginSettings, type LoginHandle, type TokenSet } from '../../src/index.js';
import type { Emulator } from '../../src/testing-emulator.js';
import { recordEvents, type RecordedLoginEvent } from './record-events.js';

/** What the test does as "the user", and when. */
export type UserAction = 'approve-on-code' | 'approve-on-pending' | 'deny-on-pending' | 'expire-on-pending' | 'nothing';

export interface EmulatorRun {
  readonly login: LoginHandle<TokenSet>;
  readonly settled: PromiseSettledResult<TokenSet>;
  readonly events: RecordedLoginEvent[];
  /** Token requests the emulator received (answered or not). */
  readonly tokenRequests: number;
  /** Device authorization requests the emulator received. */
  readonly deviceAuthorizations: number;
  /** From the approval to the settled result, in real ms. */
  readonly approvalToTokenMs: number | undefined;
  /** When the result settled, as performance.now(). */
  readonly endedAt: number;
}

export interface RunOptions {
  readonly user?: UserAction;
  /** Settings for loginWithDeviceFlow, over fast defaults. */
  readonly login?: Partial<DeviceFlowLoginSettings>;
  /** Called with the login as soon as it starts (to cancel it, say). */
  readonly started?: (login: LoginHandle<TokenSet>) => void;
}

/** Fast retry waits (10 ms) for the poll and for one-shot calls, so fault scenarios take milliseconds. */
export const FAST_RETRIES = { backoff: constantBackoff(10) } as const;

/**
 * Runs loginWithDeviceFlow against the emulator (discovering it from its
 * issuer), playing the user as `user` says, and measures what happened.
 */
export async function runEmulatorLogin(emulator: Emulator, options: RunOptions = {}): Promise<EmulatorRun> {
  const { poll, ...settings } = options.login ?? {};
  const login = loginWithDeviceFlow({
    issuer: emulator.url,
    clientId: 'tokenpoll-test',
    requestTimeoutMs: 1000,
    ...FAST_RETRIES,
    ...settings,
    poll: { ...FAST_RETRIES, ...poll },
  } as Parameters<typeof loginWithDeviceFlow>[0]);
  const events = recordEvents(login);
  let approvedAt: number | undefined;
  let userCode: string | undefined;
  const user = options.user ?? 'approve-on-pending';
  login.on('code', (code) => {
    userCode = code.userCode;
    if (user === 'approve-on-code') {
      emulator.approve(code.userCode);
      approvedAt = performance.now();
    }
  });
  login.once('pending', () => {
    if (userCode === undefined) return;
    if (user === 'approve-on-pending') {
      emulator.approve(userCode);
      approvedAt = performance.now();
    } else if (user === 'deny-on-pending') {
      emulator.deny(userCode);
      approvedAt = performance.now();
    } else if (user === 'expire-on-pending') {
      emulator.expire(userCode);
    }
  });
  options.started?.(login);
  const [settled] = await Promise.allSettled([login.result]);
  const endedAt = performance.now();
  return {
    login,
    settled: settled!,
    events,
    tokenRequests: emulator.requests.filter((r) => r.path === '/token').length,
    deviceAuthorizations: emulator.requests.filter((r) => r.path === '/device_authorization').length,
    approvalToTokenMs: approvedAt === undefined ? undefined : endedAt - approvedAt,
    endedAt,
  };
}

/** The rejection reason of a settled login. */
export function reasonOf(run: EmulatorRun): unknown {
  return run.settled.status === 'rejected' ? run.settled.reason : undefined;
}
