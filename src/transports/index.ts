export type { TokenTransport, TokenRequestFunction, TokenRequestContext } from './types.js';
