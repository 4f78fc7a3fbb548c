import type { TokenPollError } from '../errors/base.js';
import { PollCancelledError } from '../errors/failures.js';
import { ExpiredTokenError, OAuthError } from '../errors/outcomes.js';

/**
 * What ended a step of a login (the poll, or the request for a code):
 * - `granted`: the poll got the token;
 * - `code-expired`: the device code expired ({@link ExpiredTokenError}, the server's or the local deadline);
 * - `client-rejected`: the provider rejected its registered client (AWS `InvalidClientException`),
 *   for a provider that can register again;
 * - `cancelled`: the caller cancelled;
 * - `other`: anything else (denied, failed, the caller's own timeout).
 * @internal
 */
export type LoginEnd = 'granted' | 'code-expired' | 'client-rejected' | 'cancelled' | 'other';

/**
 * What the login does after a step ended:
 * - `settle`: the step's end is the login's end;
 * - `restart`: ask for a new device code, for the same client;
 * - `re-register`: register the client again, then ask for a new code. At most once per
 *   login; a login that does not re-register (declined, or done once already) forgets the
 *   rejected registration, so that the next login does not reuse it, and then settles.
 *
 * With `ask`, the caller's `restart` policy decides first, the login waiting in `restarting`
 * or `re-registering`; no policy, or any answer but `true`, means no.
 * @internal
 */
export type LoginRule = { readonly then: 'settle' } | { readonly then: 'restart' | 're-register'; readonly ask: boolean };

const SETTLE: LoginRule = Object.freeze({ then: 'settle' });

/**
 * The restart and re-register rules, by where the login was (`polling`: the poll ended;
 * `authorizing`: asking for a code failed) and how the step ended. ARCHITECTURE.md's
 * login table says the same in prose.
 * @internal
 */
export const LOGIN_RULES: { readonly [W in 'authorizing' | 'polling']: { readonly [E in LoginEnd]: LoginRule } } = Object.freeze({
  polling: Object.freeze({
    granted: SETTLE,
    cancelled: SETTLE,
    other: SETTLE,
    // RFC 8628 §3.5: a client SHOULD wait for the user before restarting, so the caller decides.
    'code-expired': Object.freeze({ then: 'restart', ask: true }),
    // The device code belonged to the rejected client: a new code needs the user again, so the caller decides.
    'client-rejected': Object.freeze({ then: 're-register', ask: true }),
  }),
  authorizing: Object.freeze({
    granted: SETTLE,
    cancelled: SETTLE,
    other: SETTLE,
    'code-expired': SETTLE,
    // No code was shown yet: registering again and asking anew needs no one.
    'client-rejected': Object.freeze({ then: 're-register', ask: false }),
  }),
});

/**
 * How an error ends a step: the {@link LoginEnd} its rule is looked up by.
 * @param reregister - The provider can register its client again (AWS).
 * @internal
 */
export function endOf(error: TokenPollError, reregister: boolean): LoginEnd {
  if (error instanceof PollCancelledError) return 'cancelled';
  if (error instanceof ExpiredTokenError) return 'code-expired';
  if (reregister && error instanceof OAuthError && error.reregisterClient) return 'client-rejected';
  return 'other';
}
