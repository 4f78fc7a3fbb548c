/**
 * The testing kit, exported as `tokenpoll/testing`: a virtual clock, a
 * scripted transport, a flow simulator and a seeded random source. It needs
 * no optional dependency and nothing Node-only, so it bundles for the
 * browser. The fast-check arbitraries are in `tokenpoll/testing/arbitraries`
 * and the emulator server (Node) is in `tokenpoll/testing/emulator`.
 * @module tokenpoll/testing
 */
export type { ManualClockOptions } from './testing/manual-clock.js';
export type { ScriptStep, RecordedRequest, ScriptedTransport, ScriptedTransportOptions } from './testing/scripted-transport.js';
export type { SimulatedAnswer, SimulatedRequest, SimulationOptions, SimulationResult } from './testing/simulate.js';
export { ManualClock, flushCallbacks } from './testing/manual-clock.js';
export { scriptedTransport, ScriptExhaustedError } from './testing/scripted-transport.js';
export { seededRandom } from './testing/seeded-random.js';
export { simulateFlow } from './testing/simulate.js';
