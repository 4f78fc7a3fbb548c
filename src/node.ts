/**
 * The Node-only part of tokenpoll, exported as `tokenpoll/node`: the AWS CLI
 * v2 SSO token cache on disk, its cross-process lock, and the token source
 * that refreshes it. Everything else runs wherever `fetch` does.
 * @module tokenpoll/node
 */
export type { SsoTokenCacheEntry, SsoCacheLocation } from './node/sso-cache.js';
export {
  SsoCacheError,
  defaultSsoCacheDir,
  ssoCacheKey,
  ssoCachePath,
  toCacheTime,
  parseCacheTime,
  readSsoTokenCache,
  writeSsoTokenCache,
} from './node/sso-cache.js';
export type { FileLockOptions, FileLockWait } from './node/file-lock.js';
export type { SsoTokenStorage } from './node/token-storage.js';
export type { SsoTokenSourceOptions, SsoTokenSource } from './node/token-source.js';
export { withFileLock } from './node/file-lock.js';
export { ssoTokenFileStorage } from './node/token-storage.js';
export { createSsoTokenSource } from './node/token-source.js';
export { TokenNotSavedError } from './errors/token-not-saved.js';
export { ssoCacheEntryFromToken } from './node/cache-entry.js';
