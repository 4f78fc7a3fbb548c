export type { TransportAnswer, ClassifyContext, Classifier } from './classify.js';
export type { HttpTokenResponse } from './http.js';
export { classifyTokenResponse } from './classify.js';
export { classifyHttpResponse, tokenSetFrom, MAX_TOKEN_LIFETIME_SECONDS } from './http.js';
export { classifyThrown } from './thrown.js';
export { outcomeFromOAuthError, AWS_SSO_OIDC_EXCEPTIONS } from './oauth.js';
export { parseRetryAfter } from './retry-after.js';
