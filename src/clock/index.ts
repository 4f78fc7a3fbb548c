export type { Clock, TimerOptions } from './clock.js';
export { systemClock, MAX_TIMER_DELAY_MS } from './clock.js';
