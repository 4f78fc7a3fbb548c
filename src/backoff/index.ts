export type { BackoffContext, BackoffStrategy } from './types.js';
export type { ExponentialBackoffOptions, Jitter } from './exponential.js';
export type { LinearBackoffOptions } from './linear.js';
export type { ParsedSeconds } from './device-flow.js';
export { constantBackoff } from './constant.js';
export { linearBackoff } from './linear.js';
export { exponentialBackoff } from './exponential.js';
export { capBackoff } from './cap.js';
export { DEFAULT_INTERVAL_MS, SLOW_DOWN_INCREMENT_MS, slowDownInterval, parseSeconds, deviceFlowBackoff } from './device-flow.js';
