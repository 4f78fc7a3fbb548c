/**
 * The testing kit, exported as `tokenpoll/testing`: a virtual clock, a
 * scripted transport, a seeded random source and fast-check arbitraries.
 * @module tokenpoll/testing
 */
export type { ManualClockOptions } from './testing/manual-clock.js';
export type { ScriptStep, RecordedRequest, ScriptedTransport, ScriptedTransportOptions } from './testing/scripted-transport.js';
export type { DeviceFlowArbitraries, DeviceFlowArbitrariesOptions, FastCheckModule } from './testing/arbitraries.js';
export { ManualClock, flushCallbacks } from './testing/manual-clock.js';
export { scriptedTransport, ScriptExhaustedError } from './testing/scripted-transport.js';
export { seededRandom } from './testing/seeded-random.js';
export { deviceFlowArbitraries } from './testing/arbitraries.js';
