// The few parts of oidc-provider (which ships no types) that the RFC 8628 tests use.
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  interface StoredDeviceCode {
    readonly clientId: string;
    accountId?: string;
    grantId?: string;
    authTime?: number;
    scope?: string;
    error?: string;
    errorDescription?: string;
    save(): Promise<string>;
  }

  interface StoredGrant {
    addOIDCScope(scope: string): void;
    save(): Promise<string>;
  }

  export default class Provider {
    constructor(issuer: string, configuration?: Record<string, unknown>);
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    on(event: string, listener: (...args: unknown[]) => void): this;
    readonly DeviceCode: { findByUserCode(userCode: string, options?: { ignoreExpiration?: boolean }): Promise<StoredDeviceCode | undefined> };
    readonly Grant: new (fields: { accountId: string; clientId: string }) => StoredGrant;
  }
}
