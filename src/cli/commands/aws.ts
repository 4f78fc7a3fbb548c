import { credentialProcessOutput } from '../../aws/credential-process.js';
import { isLoginRequiredError, type LoginRequiredError } from '../../aws/errors.js';
import { awsSsoPortal } from '../../aws/portal.js';
import type { AwsAccountWithRoles } from '../../aws/portal-types.js';
import { ssoCacheEntryFromToken } from '../../node/cache-entry.js';
import type { SsoTokenCacheEntry } from '../../node/sso-cache.js';
import { createSsoTokenSource } from '../../node/token-source.js';
import type { TokenNotSavedError } from '../../errors/token-not-saved.js';
import { OUTPUT_OPTIONS, flag, parseCommand, refuse, required, text, type Values } from '../args.js';
import { loginCommand, startAwsLogin, type AwsSessionFlags } from '../aws-login.js';
import { ExitCode, UsageError, outcomeOf, withFlags } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { announceLockWait, announceLongWaits, describe, followLogin } from '../run-login.js';
import { jsonLine, neutralize } from '../safe-text.js';
import { Terminal } from '../terminal.js';

/** @internal */
export const AWS_HELP = `Usage:
  tokenpoll aws accounts --start-url URL --region R [options]
  tokenpoll aws credentials --start-url URL --region R --account-id ID --role-name NAME [options]

Uses the login in the AWS CLI v2 SSO cache (written by 'tokenpoll login --aws'
or 'aws sso login'), refreshing its token when less than 5 minutes are left.

  accounts      Lists the accounts and roles the login can use (stdout).
  credentials   Prints short-term credentials for a role as the
                credential_process JSON the AWS CLI and SDKs read (stdout):
                  [profile dev]
                  credential_process = tokenpoll aws credentials --start-url URL --region R --account-id ID --role-name NAME

When a new login is needed (the refresh token was rejected, or the client
registration expired), a terminal gets a device login on stderr; without a
terminal the command exits 1 with one line saying what to run.

Options:
  --start-url URL         The AWS access portal URL.
  --region R              The IAM Identity Center region.
  --session-name N        The sso-session name; it names the cache file.
  --account-id ID         The account (credentials).
  --role-name NAME        The role (credentials).
  --endpoint URL          Another SSO OIDC endpoint (for the refresh and a login).
  --portal-endpoint URL   Another portal endpoint
                          (default https://portal.sso.{region}.amazonaws.com).
  --json                  accounts: write JSON instead of a table.
  --no-qr                 Do not print the QR code of a login.
  --open                  Open the verification page of a login in the browser.
  -h, --help              Show this help.
`;

const SUBCOMMANDS = ['accounts', 'credentials'] as const;

/** `tokenpoll aws accounts|credentials`. @internal */
export async function aws(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand(
    'aws',
    args,
    {
      'start-url': { type: 'string' },
      region: { type: 'string' },
      'session-name': { type: 'string' },
      'account-id': { type: 'string' },
      'role-name': { type: 'string' },
      endpoint: { type: 'string' },
      'portal-endpoint': { type: 'string' },
      ...OUTPUT_OPTIONS,
    },
    1,
  );
  if (flag(values, 'help')) {
    io.stderr.write(AWS_HELP);
    return 0;
  }
  const subcommand = positionals[0];
  if (subcommand !== 'accounts' && subcommand !== 'credentials') {
    throw new UsageError(`${subcommand === undefined ? 'say what to do:' : `unknown aws command '${subcommand}': use`} ${SUBCOMMANDS.join(' or ')} (see 'tokenpoll aws --help')`);
  }
  const command = `aws ${subcommand}`;
  const startUrl = required(values, 'start-url', command);
  const region = required(values, 'region', command);
  const role = subcommand === 'credentials' ? { accountId: required(values, 'account-id', command), roleName: required(values, 'role-name', command) } : undefined;
  if (subcommand === 'accounts') refuse(values, ['account-id', 'role-name'], "'aws credentials'", 'aws');
  else refuse(values, ['json'], "'aws accounts'", 'aws');

  const terminal = new Terminal(io);
  const session = { startUrl, region, sessionName: text(values, 'session-name'), endpoint: text(values, 'endpoint') };
  // Only a person can approve a new login: stdin and stderr must both be a terminal. The AWS CLI and SDKs
  // run credential_process with stdin inherited but stderr piped, where a prompt would reach no one.
  const interactive = io.stdinIsTTY && io.stderr.isTTY === true;
  // A token the server issued (a refresh, a new login) that the cache would not take: still used, and then exit 1.
  const notSaved: TokenNotSavedError[] = [];
  const retry = { onRetry: announceLongWaits(terminal) };
  const portalEndpoint = text(values, 'portal-endpoint');
  // The flags reach the library here: a bad one is a usage error; anything later is about what a server or the cache file said.
  const portal = withFlags(() => {
    const source = createSsoTokenSource({
      startUrl,
      region,
      retry,
      sessionName: session.sessionName,
      lock: { onWait: announceLockWait(terminal) },
      onTokenNotSaved: (error: TokenNotSavedError) => void notSaved.push(error),
      ...(session.endpoint === undefined ? {} : { endpoint: session.endpoint }),
      ...(interactive ? { onLoginRequired: (error: LoginRequiredError) => interactiveLogin(error, session, values, io, terminal) } : {}),
    });
    return awsSsoPortal({ region, token: source, retry, ...(portalEndpoint === undefined ? {} : { endpoint: portalEndpoint }) });
  });
  try {
    if (role !== undefined) {
      const credentials = await portal.getRoleCredentials(role, { signal: io.signal });
      io.stdout.write(jsonLine(credentialProcessOutput(credentials)));
    } else {
      const accounts = await portal.listAccountsWithRoles({ signal: io.signal });
      io.stdout.write(flag(values, 'json') ? jsonLine({ accounts }) : accountTable(accounts));
    }
    if (notSaved.length > 0) {
      terminal.line`tokenpoll: ${notSaved[0]!.message}`;
      return ExitCode.failed;
    }
    return ExitCode.granted;
  } catch (error) {
    // A refresh that was not saved spent the cached refresh token: say so whatever else went wrong.
    if (notSaved.length > 0) terminal.line`tokenpoll: ${notSaved[0]!.message}`;
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
}

async function interactiveLogin(error: LoginRequiredError, session: AwsSessionFlags, values: Values, io: CliIo, terminal: Terminal): Promise<SsoTokenCacheEntry> {
  terminal.line(terminal.style('yellow', `${error.message.replace(/\.$/, '')}: starting a device login.`));
  const login = startAwsLogin(session, io.signal, true, announceLongWaits(terminal));
  return ssoCacheEntryFromToken(await followLogin(login, io, terminal, { qr: !flag(values, 'no-qr'), open: flag(values, 'open') }));
}

/** The accounts as a table for a person: every cell is the portal's text, neutralised before it is measured. */
function accountTable(accounts: readonly AwsAccountWithRoles[]): string {
  if (accounts.length === 0) return 'No accounts: this login has no account assignments.\n';
  const cells = (account: AwsAccountWithRoles): string[] => [account.accountId, account.accountName ?? '', account.emailAddress ?? '', account.roles.join(', ')].map(neutralize);
  const rows = [['ACCOUNT ID', 'NAME', 'EMAIL', 'ROLES'], ...accounts.map(cells)];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ').trimEnd()).join('\n') + '\n';
}

