import { isLoginRequiredError, type LoginRequiredError } from '../../aws/errors.js';
import { awsSsoPortal, type AwsSsoPortal } from '../../aws/portal.js';
import type { AwsAccountWithRoles } from '../../aws/portal-types.js';
import { ssoCacheEntryFromToken } from '../../node/cache-entry.js';
import type { SsoTokenCacheEntry } from '../../node/sso-cache.js';
import { createSsoTokenSource } from '../../node/token-source.js';
import type { TokenNotSavedError } from '../../errors/token-not-saved.js';
import { flag, type Values } from '../args.js';
import { loginCommand, startAwsLogin, type AwsSessionFlags } from '../aws-login.js';
import { ExitCode, outcomeOf, withFlags } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { announceLockWait, announceLongWaits, describe, followLogin } from '../run-login.js';
import { neutralize } from '../safe-text.js';
import type { Terminal } from '../terminal.js';

/*
 * The part of `tokenpoll aws` that talks to IAM Identity Center: the token
 * source over the SSO cache, the portal client, a device login when one is
 * needed, and how each failure ends the command. commands/aws.ts imports it
 * only when it needs the portal, so that `aws credentials` answered from the
 * role-credential cache loads none of it.
 */

/** A portal client over the session's cached token, and what it could not save. @internal */
export interface OpenPortal {
  readonly portal: AwsSsoPortal;
  /** Tokens the server issued (a refresh, a new login) that the cache would not take: still used, and then exit 1. */
  readonly notSaved: TokenNotSavedError[];
}

/**
 * Opens the portal for a session. The flags reach the library here: a bad
 * one is a usage error; anything later is about what a server or the cache
 * file said.
 * @internal
 */
export function openPortal(session: AwsSessionFlags, portalEndpoint: string | undefined, values: Values, io: CliIo, terminal: Terminal): OpenPortal {
  // Only a person can approve a new login: stdin and stderr must both be a terminal. The AWS CLI and SDKs
  // run credential_process with stdin inherited but stderr piped, where a prompt would reach no one.
  const interactive = io.stdinIsTTY && io.stderr.isTTY === true;
  const notSaved: TokenNotSavedError[] = [];
  const retry = { onRetry: announceLongWaits(terminal) };
  const portal = withFlags(() => {
    const source = createSsoTokenSource({
      startUrl: session.startUrl,
      region: session.region,
      retry,
      sessionName: session.sessionName,
      lock: { onWait: announceLockWait(terminal) },
      onTokenNotSaved: (error: TokenNotSavedError) => void notSaved.push(error),
      ...(session.endpoint === undefined ? {} : { endpoint: session.endpoint }),
      ...(interactive ? { onLoginRequired: (error: LoginRequiredError) => interactiveLogin(error, session, values, io, terminal) } : {}),
    });
    return awsSsoPortal({ region: session.region, token: source, retry, ...(portalEndpoint === undefined ? {} : { endpoint: portalEndpoint }) });
  });
  return { portal, notSaved };
}

/** After the result is printed: exit 1 with one line when a token could not be saved, else 0. @internal */
export function finish(opened: OpenPortal | undefined, terminal: Terminal): number {
  if (opened === undefined || opened.notSaved.length === 0) return ExitCode.granted;
  terminal.line`tokenpoll: ${opened.notSaved[0]!.message}`;
  return ExitCode.failed;
}

/**
 * How a failed `aws` command ends: interrupted (130), a login needed (1, with
 * the command to run), a new login denied or expired (as `tokenpoll login`);
 * anything else is thrown on to the CLI's one line.
 * @internal
 */
export function fail(error: unknown, opened: OpenPortal | undefined, session: AwsSessionFlags, io: CliIo, terminal: Terminal): number {
  // A refresh that was not saved spent the cached refresh token: say so whatever else went wrong.
  if (opened !== undefined && opened.notSaved.length > 0) terminal.line`tokenpoll: ${opened.notSaved[0]!.message}`;
  if (io.signal.aborted) {
    terminal.line`${terminal.style('red', '✖')} Interrupted.`;
    return ExitCode.interrupted;
  }
  if (isLoginRequiredError(error)) {
    terminal.line`tokenpoll: ${error.message.replace(/\.$/, '')}; run: ${loginCommand(session)}`;
    return ExitCode.failed;
  }
  // A new login that was denied or expired ends as `tokenpoll login` would.
  const outcome = outcomeOf(error);
  if (outcome !== 'denied' && outcome !== 'expired') throw error;
  terminal.line`${terminal.style('red', '✖')} ${describe(error)}`;
  return ExitCode[outcome];
}

async function interactiveLogin(error: LoginRequiredError, session: AwsSessionFlags, values: Values, io: CliIo, terminal: Terminal): Promise<SsoTokenCacheEntry> {
  terminal.line(terminal.style('yellow', `${error.message.replace(/\.$/, '')}: starting a device login.`));
  const login = startAwsLogin(session, io.signal, true, announceLongWaits(terminal));
  return ssoCacheEntryFromToken(await followLogin(login, io, terminal, { qr: !flag(values, 'no-qr'), open: flag(values, 'open') }));
}

/** The accounts as a table for a person: every cell is the portal's text, neutralised before it is measured. @internal */
export function accountTable(accounts: readonly AwsAccountWithRoles[]): string {
  if (accounts.length === 0) return 'No accounts: this login has no account assignments.\n';
  const cells = (account: AwsAccountWithRoles): string[] => [account.accountId, account.accountName ?? '', account.emailAddress ?? '', account.roles.join(', ')].map(neutralize);
  const rows = [['ACCOUNT ID', 'NAME', 'EMAIL', 'ROLES'], ...accounts.map(cells)];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ').trimEnd()).join('\n') + '\n';
}
