// The wait rules for a transient fault live in the core, which applies them to the poll;
// the one-shot retry uses the same ones from here.
export { backoffDelay, transientWaitMs } from '../core/backoff-strategy.js';
