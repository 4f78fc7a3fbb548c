import { ConfigurationError } from '../../errors/failures.js';
import type { EmulatorAccount, EmulatorOptions } from './types.js';

/** The emulator's options with every default filled in and durations in ms. @internal */
export interface EmulatorSettings {
  readonly host: string;
  readonly port: number;
  readonly intervalSeconds: number;
  readonly intervalMs: number;
  readonly expiresInSeconds: number;
  readonly expiresInMs: number;
  readonly slowDownIncrementMs: number;
  readonly omitInterval: boolean;
  readonly sendVerificationUriComplete: boolean;
  readonly autoApproveAfterMs: number | undefined;
  readonly autoDenyAfterMs: number | undefined;
  readonly approveOnPoll: number | undefined;
  readonly denyOnPoll: number | undefined;
  readonly clients: ReadonlyMap<string, ResolvedClient>;
  readonly accessTokenTtlSeconds: number;
  readonly githubStyle: boolean;
  /** The portal's accounts, every field filled in. */
  readonly accounts: readonly Required<EmulatorAccount>[];
  readonly portalPageSize: number;
  readonly roleCredentialsTtlMs: number;
  /** The emulator's time, in ms. */
  readonly now: () => number;
}

/** A client with its authentication method decided. @internal */
export interface ResolvedClient {
  readonly clientId: string;
  readonly clientSecret: string | undefined;
  readonly authMethod: 'none' | 'client_secret_basic' | 'client_secret_post';
}

/** The default public client on the RFC side. @internal */
export const DEFAULT_CLIENT_ID = 'tokenpoll-test';

/**
 * Checks the options and fills in the defaults.
 * @throws {@link ConfigurationError} for a bad option.
 * @internal
 */
export function resolveSettings(options: EmulatorOptions = {}): EmulatorSettings {
  const intervalSeconds = seconds(options, 'intervalSeconds', 5, false);
  const expiresInSeconds = seconds(options, 'expiresInSeconds', 600, true);
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new ConfigurationError('port', 'expected an integer from 0 to 65535');
  return {
    host: options.host ?? '127.0.0.1',
    port,
    intervalSeconds,
    intervalMs: intervalSeconds * 1000,
    expiresInSeconds,
    expiresInMs: expiresInSeconds * 1000,
    slowDownIncrementMs: seconds(options, 'slowDownIncrementSeconds', 5, false) * 1000,
    omitInterval: options.omitInterval ?? false,
    sendVerificationUriComplete: options.sendVerificationUriComplete ?? true,
    autoApproveAfterMs: delay(options, 'autoApproveAfterMs'),
    autoDenyAfterMs: delay(options, 'autoDenyAfterMs'),
    approveOnPoll: pollNumber(options, 'approveOnPoll'),
    denyOnPoll: pollNumber(options, 'denyOnPoll'),
    clients: resolveClients(options.clients),
    accessTokenTtlSeconds: seconds(options, 'accessTokenTtlSeconds', 3600, true),
    githubStyle: options.githubStyle ?? false,
    accounts: resolveAccounts(options.accounts),
    portalPageSize: pageSize(options.portalPageSize),
    roleCredentialsTtlMs: seconds(options, 'roleCredentialsTtlSeconds', 3600, true) * 1000,
    now: clockOf(options.clock),
  };
}

type NumericOption =
  | 'intervalSeconds'
  | 'expiresInSeconds'
  | 'slowDownIncrementSeconds'
  | 'accessTokenTtlSeconds'
  | 'roleCredentialsTtlSeconds'
  | 'autoApproveAfterMs'
  | 'autoDenyAfterMs';

function seconds(options: EmulatorOptions, name: NumericOption, fallback: number, positive: boolean): number {
  const value = options[name] ?? fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (positive && value === 0)) {
    throw new ConfigurationError(name, positive ? 'expected a finite number above 0' : 'expected a finite number, 0 or more');
  }
  return value;
}

function delay(options: EmulatorOptions, name: 'autoApproveAfterMs' | 'autoDenyAfterMs'): number | undefined {
  return options[name] === undefined ? undefined : seconds(options, name, 0, false);
}

function clockOf(clock: EmulatorOptions['clock']): () => number {
  if (clock === undefined) return () => performance.now();
  if (typeof clock?.now !== 'function') throw new ConfigurationError('clock', 'expected an object with a now() method');
  return () => clock.now();
}

function pollNumber(options: EmulatorOptions, name: 'approveOnPoll' | 'denyOnPoll'): number | undefined {
  const value = options[name];
  if (value !== undefined && !(Number.isInteger(value) && value >= 1)) throw new ConfigurationError(name, 'expected an integer, 1 or more');
  return value;
}

function resolveClients(clients: EmulatorOptions['clients']): EmulatorSettings['clients'] {
  const list = clients ?? [{ clientId: DEFAULT_CLIENT_ID, authMethod: 'none' }];
  const map = new Map<string, ResolvedClient>();
  for (const client of list) {
    if (typeof client.clientId !== 'string' || client.clientId === '') throw new ConfigurationError('clients', 'every client needs a clientId');
    const authMethod = client.authMethod ?? (client.clientSecret === undefined ? 'none' : 'client_secret_basic');
    if (authMethod !== 'none' && !client.clientSecret) throw new ConfigurationError('clients', `client ${client.clientId} uses ${authMethod} but has no clientSecret`);
    if (map.has(client.clientId)) throw new ConfigurationError('clients', `client ${client.clientId} is listed twice`);
    map.set(client.clientId, { clientId: client.clientId, authMethod, clientSecret: client.clientSecret });
  }
  return map;
}

const DEFAULT_ACCOUNTS: readonly EmulatorAccount[] = [{ accountId: '111111111111', roles: ['ReadOnly', 'Admin'] }];

function resolveAccounts(accounts: EmulatorOptions['accounts']): readonly Required<EmulatorAccount>[] {
  const list = accounts ?? DEFAULT_ACCOUNTS;
  if (!Array.isArray(list)) throw new ConfigurationError('accounts', 'expected a list of accounts');
  const ids = new Set<string>();
  return list.map((account: EmulatorAccount) => {
    const { accountId, roles } = account ?? {};
    if (typeof accountId !== 'string' || !/^\d{12}$/.test(accountId)) throw new ConfigurationError('accounts', 'every account needs a 12-digit accountId');
    if (ids.has(accountId)) throw new ConfigurationError('accounts', `account ${accountId} is listed twice`);
    ids.add(accountId);
    if (!Array.isArray(roles) || roles.some((role) => typeof role !== 'string' || role === '') || new Set(roles).size !== roles.length) {
      throw new ConfigurationError('accounts', `account ${accountId} needs a list of distinct, non-empty role names`);
    }
    return Object.freeze({
      accountId,
      accountName: account.accountName ?? `account-${accountId}`,
      emailAddress: account.emailAddress ?? `${accountId}@example.com`,
      roles: Object.freeze([...roles]),
    });
  });
}

function pageSize(value: number | undefined): number {
  if (value === undefined) return 20;
  if (!Number.isInteger(value) || value < 1) throw new ConfigurationError('portalPageSize', 'expected an integer, 1 or more');
  return value;
}
