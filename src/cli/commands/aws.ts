import { credentialProcessOutput } from '../../aws/credential-process.js';
import { cachedRoleCredentials } from '../../node/role-credentials.js';
import { OUTPUT_OPTIONS, flag, parseCommand, refuse, required, text } from '../args.js';
import type { AwsSessionFlags } from '../aws-login.js';
import { UsageError } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { jsonLine } from '../safe-text.js';
import { Terminal, formatDuration } from '../terminal.js';
import type { OpenPortal } from './aws-portal.js';

// Start-up matters here: `aws credentials` is a credential_process, run by every AWS tool, often many times a
// minute. This module loads only what answers it from the role-credential cache; the portal, the token source
// and the login machinery (./aws-portal.js) are imported only when a request is needed.

/** @internal */
export const AWS_HELP = `Usage:
  tokenpoll aws accounts --start-url URL --region R [options]
  tokenpoll aws credentials --start-url URL --region R --account-id ID --role-name NAME [options]
  tokenpoll aws logout --start-url URL [options]   (see 'tokenpoll aws logout --help')

Uses the login in the AWS CLI v2 SSO cache (written by 'tokenpoll login --aws'
or 'aws sso login'), refreshing its token when less than 5 minutes are left.

  accounts      Lists the accounts and roles the login can use (stdout).
  credentials   Prints short-term credentials for a role as the
                credential_process JSON the AWS CLI and SDKs read (stdout):
                  [profile dev]
                  credential_process = tokenpoll aws credentials --start-url URL --region R --account-id ID --role-name NAME
                They are cached in the AWS CLI's ~/.aws/cli/cache (shared with
                it) and reused while more than 15 minutes are left.
  logout        Signs out as 'aws sso logout' does: the portal's Logout, then the
                cached token and role credentials are removed.

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

const SUBCOMMANDS = ['accounts', 'credentials', 'logout'] as const;

/** `tokenpoll aws accounts|credentials|logout`. @internal */
export async function aws(args: readonly string[], io: CliIo): Promise<number> {
  if (args[0] === 'logout') return (await import('./aws-logout.js')).awsLogout(args.slice(1), io);
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
  if (subcommand === 'logout') throw new UsageError("'logout' comes right after 'aws': tokenpoll aws logout [options] (see 'tokenpoll aws logout --help')");
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
  const session: AwsSessionFlags = { startUrl, region, sessionName: text(values, 'session-name'), endpoint: text(values, 'endpoint') };
  const portalEndpoint = text(values, 'portal-endpoint');
  let opened: OpenPortal | undefined;
  const portalCommands = (): Promise<typeof import('./aws-portal.js')> => import('./aws-portal.js');
  const open = async (): Promise<OpenPortal> => (opened = (await portalCommands()).openPortal(session, portalEndpoint, values, io, terminal));
  try {
    if (role !== undefined) {
      // From the AWS CLI's own role-credential cache while they have more than 15 minutes left; else from the
      // portal, under the cache file's lock, and written back for the next call (and the AWS CLI).
      const credentials = await cachedRoleCredentials(
        {
          location: { startUrl, sessionName: session.sessionName, ...role },
          signal: io.signal,
          lock: { onWait: ({ path, holderPid, waitMs }) => terminal.line`tokenpoll: waiting for the lock on ${path} (another tokenpoll is getting these role credentials${holderPid === undefined ? '' : `, pid ${holderPid}`}; gives up after ${formatDuration(waitMs)})` },
          onCacheError: (error) => terminal.line`tokenpoll: role credential cache: ${error.message}`,
        },
        async (signal) => (await open()).portal.getRoleCredentials(role, { signal }),
      );
      io.stdout.write(jsonLine(credentialProcessOutput(credentials)));
    } else {
      const { accountTable } = await portalCommands();
      const accounts = await (await open()).portal.listAccountsWithRoles({ signal: io.signal });
      io.stdout.write(flag(values, 'json') ? jsonLine({ accounts }) : accountTable(accounts));
    }
    return opened === undefined ? 0 : (await portalCommands()).finish(opened, terminal);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    return (await portalCommands()).fail(error, opened, session, io, terminal);
  }
}
