export type {
  IssuerLocation,
  EndpointsLocation,
  ServerLocation,
  ClientAuthenticationMethod,
  ClientOptions,
  HttpOptions,
  OneShotOptions,
} from './options.js';
export type { AuthorizationServerMetadata, DiscoveryOptions } from './discovery.js';
export type { DiscoveryAttempt } from './discovery-error.js';
export type { DeviceAuthorizationRequestOptions } from './device-authorization.js';
export type { TokenTransportOptions, TokenTransportFunction } from './token-transport.js';
export type { TokenEndpointLocation, RefreshTokenSettings, RefreshTokenOptions } from './refresh.js';
export { discover, wellKnownUrls } from './discovery.js';
export { DiscoveryError } from './discovery-error.js';
export { requestDeviceAuthorization, deviceAuthorizationFrom } from './device-authorization.js';
export { tokenTransport, DEVICE_CODE_GRANT_TYPE } from './token-transport.js';
export { basicAuthorization, formUrlEncode } from './client-auth.js';
export { refreshToken } from './refresh.js';
