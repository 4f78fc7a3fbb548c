/**
 * fast-check arbitraries for device-flow server behaviour, exported as
 * `tokenpoll/testing/arbitraries`. Its types name `fast-check`, the optional
 * peer dependency: install it to use this entry point.
 * @module tokenpoll/testing/arbitraries
 */
export type { DeviceFlowArbitraries, DeviceFlowArbitrariesOptions, FastCheckModule } from './testing/arbitraries.js';
export { deviceFlowArbitraries } from './testing/arbitraries.js';
