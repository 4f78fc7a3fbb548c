/**
 * The web app the browser test loads, bundled by esbuild for the browser
 * together with the whole public API of `src/index.ts` (re-exported below,
 * so nothing is tree-shaken away from the bundle check). It starts a device
 * login with the RFC 8628 transport over the page's own `fetch`, and records
 * its events and outcome for the test to read back.
 */
import { loginWithDeviceFlow, type CodeEvent, type LoginEvents, type TokenSet } from '../../src/index.js';

export * from '../../src/index.js';

/** How the login ended, as the page saw it. */
export interface BrowserLoginOutcome {
  readonly status: 'granted' | 'failed';
  readonly accessToken?: string;
  readonly tokenType?: string | undefined;
  readonly error?: string;
  /** The login's events, in order. */
  readonly events: readonly string[];
}

const RECORDED = ['code', 'attempt', 'pending', 'slowDown', 'retry', 'granted', 'denied', 'expired', 'failed', 'cancelled'] as const satisfies readonly (keyof LoginEvents<TokenSet>)[];

let outcome: Promise<BrowserLoginOutcome> | undefined;

/** Starts a login against `issuer` (through discovery) and resolves with the first device code, or rejects if the login ends before one. */
export function startLogin(issuer: string, clientId: string): Promise<CodeEvent> {
  const events: string[] = [];
  const login = loginWithDeviceFlow({ issuer, clientId, scope: 'openid', signal: AbortSignal.timeout(30_000) });
  for (const name of RECORDED) login.on(name, () => events.push(name));
  outcome = login.result.then(
    (token): BrowserLoginOutcome => ({ status: 'granted', accessToken: token.accessToken, tokenType: token.tokenType, events }),
    (error: unknown): BrowserLoginOutcome => ({ status: 'failed', error: String(error), events }),
  );
  return new Promise((resolve, reject) => {
    login.once('code', resolve);
    login.result.catch(reject);
  });
}

/** How the login started by {@link startLogin} ended. */
export function loginOutcome(): Promise<BrowserLoginOutcome> {
  if (outcome === undefined) return Promise.reject(new Error('no login was started'));
  return outcome;
}
