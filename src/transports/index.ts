export type { TokenTransport, TokenRequestFunction, TokenRequestContext } from './types.js';
export type { HttpRequestOptions } from './http.js';
export { readHttpResponse } from './read-response.js';
export { httpRequest, assertSecureUrl, ResponseTooLargeError, DEFAULT_MAX_BODY_BYTES } from './http.js';
