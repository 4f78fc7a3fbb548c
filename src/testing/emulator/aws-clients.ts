import { randomToken } from './random.js';

/** How long a registration's secret lasts: 90 days, as AWS does. */
const SECRET_LIFETIME_SECONDS = 90 * 24 * 3600;

/** A client registered with RegisterClient. @internal */
export interface AwsClient {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly clientName: string;
  readonly scopes: readonly string[];
  readonly clientIdIssuedAt: number;
  readonly clientSecretExpiresAt: number;
}

/** The AWS side's client registrations. @internal */
export class AwsClients {
  readonly #clients = new Map<string, AwsClient & { valid: boolean }>();

  /** Registers a client; times are epoch seconds. */
  register(clientName: string, scopes: readonly string[]): AwsClient {
    const issuedAt = Math.floor(Date.now() / 1000);
    const client = {
      clientId: `aws-client-${randomToken().slice(0, 22)}`,
      clientSecret: `aws-secret-${randomToken()}`,
      clientName,
      scopes,
      clientIdIssuedAt: issuedAt,
      clientSecretExpiresAt: issuedAt + SECRET_LIFETIME_SECONDS,
      valid: true,
    };
    this.#clients.set(client.clientId, client);
    return client;
  }

  /** The client these credentials name, if they are valid and current. */
  check(clientId: unknown, clientSecret: unknown): AwsClient | undefined {
    const client = typeof clientId === 'string' ? this.#clients.get(clientId) : undefined;
    if (!client || !client.valid || client.clientSecret !== clientSecret) return undefined;
    return client.clientSecretExpiresAt * 1000 > Date.now() ? client : undefined;
  }

  /** Invalidates every registration made so far. */
  expireAll(): void {
    for (const client of this.#clients.values()) client.valid = false;
  }
}
