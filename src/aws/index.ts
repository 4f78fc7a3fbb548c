export type { AwsSsoPortalOperation, AwsSsoPortalErrorDetail, LoginRequiredReason } from './errors.js';
export type {
  AwsAccountInfo,
  AwsRoleInfo,
  AwsAccountWithRoles,
  AwsRoleCredentials,
  AwsRoleSelection,
  AwsSsoPortalCallOptions,
  AwsSsoPortalListOptions,
  AwsRoleCredentialsOptions,
  AwsAccessTokenRequest,
  AwsSsoAccessTokenProvider,
  AwsSsoPortalOptions,
} from './portal-types.js';
export type { AwsSsoPortal } from './portal.js';
export type { CredentialProcessOutput } from './credential-process.js';
export { AwsSsoPortalError, LoginRequiredError, isLoginRequiredError } from './errors.js';
export { awsSsoPortal, awsSsoPortalEndpoint } from './portal.js';
export { credentialProcessOutput } from './credential-process.js';
