export type { TokenTransport, TokenRequestFunction, TokenRequestContext } from './types.js';
export { readHttpResponse } from './read-response.js';
