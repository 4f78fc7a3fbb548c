/**
 * The Node-only part of tokenpoll, exported as `tokenpoll/node`: the AWS CLI
 * v2 SSO token cache on disk. Everything else runs wherever `fetch` does.
 * @module tokenpoll/node
 */
export type { SsoTokenCacheEntry, SsoCacheLocation } from './node/sso-cache.js';
export {
  SsoCacheError,
  defaultSsoCacheDir,
  ssoCacheKey,
  ssoCachePath,
  toCacheTime,
  readSsoTokenCache,
  writeSsoTokenCache,
} from './node/sso-cache.js';
