/**
 * The testing kit, exported as `tokenpoll/testing`: a virtual clock, a
 * scripted transport, a seeded random source, fast-check arbitraries, and an
 * emulator server (RFC 8628 and AWS SSO OIDC over real HTTP on loopback).
 * @module tokenpoll/testing
 */
export type { ManualClockOptions } from './testing/manual-clock.js';
export type { ScriptStep, RecordedRequest, ScriptedTransport, ScriptedTransportOptions } from './testing/scripted-transport.js';
export type { DeviceFlowArbitraries, DeviceFlowArbitrariesOptions, FastCheckModule } from './testing/arbitraries.js';
export type {
  Emulator, EmulatorOptions, EmulatorFault, EmulatorClient, EmulatorAccount, EmulatorInjectOptions, EmulatorCode, EmulatorCodeStatus, EmulatorRequest, EmulatorPoll,
} from './testing/emulator/types.js';
export { ManualClock, flushCallbacks } from './testing/manual-clock.js';
export { scriptedTransport, ScriptExhaustedError } from './testing/scripted-transport.js';
export { seededRandom } from './testing/seeded-random.js';
export { simulateFlow } from './testing/simulate.js';
export type { SimulatedAnswer, SimulatedRequest, SimulationOptions, SimulationResult } from './testing/simulate.js';
export { deviceFlowArbitraries } from './testing/arbitraries.js';
export { startEmulator } from './testing/emulator/server.js';
