import type { AwsClients } from './aws-clients.js';
import type { AwsAccessTokens } from './aws-tokens.js';
import type { EmulatorSettings } from './settings.js';
import type { EmulatorState } from './state.js';

/** What the routes need from the running emulator. @internal */
export interface EmulatorContext {
  readonly settings: EmulatorSettings;
  readonly state: EmulatorState;
  /** The AWS side's registered clients. */
  readonly awsClients: AwsClients;
  /** The AWS side's access tokens, for the portal. */
  readonly awsTokens: AwsAccessTokens;
  /** The base URL, known once the server listens. */
  url(): string;
}
