import { AwsSsoPortalError } from '../../aws/errors.js';
import { awsSsoPortal, awsSsoPortalEndpoint } from '../../aws/portal.js';
import { PollCancelledError } from '../../errors/failures.js';
import { withFileLock } from '../../node/file-lock.js';
import { defaultRoleCredentialCacheDir, removeSsoRoleCredentialCaches } from '../../node/role-credentials.js';
import { defaultSsoCacheDir, ssoCachePath } from '../../node/sso-cache.js';
import { listCachedSsoTokens, readCachedSsoToken, removeCachedSsoToken, removeOrphanRefreshRecords, removeRefreshRecords, removeStaleLocks } from '../../node/sso-logout.js';
import { flag, parseCommand, refuse, required, text } from '../args.js';
import { ExitCode, withFlags } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { announceLockWait, announceLongWaits, describe, errorJson } from '../run-login.js';
import { jsonLine } from '../safe-text.js';
import { Terminal } from '../terminal.js';

/** @internal */
export const AWS_LOGOUT_HELP = `Usage:
  tokenpoll aws logout --start-url URL [--session-name N] [options]
  tokenpoll aws logout --all [options]

Signs out as 'aws sso logout' does: sends the portal's Logout call with the
cached access token, so the portal ends the session and refuses the token,
then removes the token's cache file (~/.aws/sso/cache/<sha1>.json), the
record of its last refresh (~/.aws/sso/tokenpoll/<sha1>.json.refresh) and every
cached SSO role credential (~/.aws/cli/cache, ProviderType "sso": their file
names are hashes, so those of one session cannot be told apart; the next
'tokenpoll aws credentials' fetches them again). Role credentials already
handed out stay valid until they expire, at AWS as with the AWS CLI.

The files are removed even when the Logout call fails (no network, the
portal's answer): the command then says so and exits 1, as the session may
stay open at the portal until the token expires. A token the portal already
refuses (expired, or signed out before) counts as signed out.

Options:
  --start-url URL         The AWS access portal URL (names the cache file).
  --session-name N        The sso-session name; it names the cache file instead.
  --all                   Every token in the cache, as 'aws sso logout' does;
                          also the refresh records of tokens already gone
                          and lock files a stopped tokenpoll left (untouched
                          for over 30 s).
  --region R              The region to send Logout to when the cache file
                          names none (the file's region comes first).
  --portal-endpoint URL   Another portal endpoint
                          (default https://portal.sso.{region}.amazonaws.com).
  --json                  Write what was done as one JSON line on stdout.
  -h, --help              Show this help.

Exit codes: 0 signed out, 1 a Logout call or a removal failed (the files that
could be removed were), 2 usage, 130 interrupted.
`;

/** What happened at the portal for one token. */
type PortalOutcome = 'signed-out' | 'already-signed-out' | 'failed' | 'not-sent';

/** One cache file signed out. */
interface SessionResult {
  readonly path: string;
  readonly startUrl: string | undefined;
  readonly portal: PortalOutcome;
  readonly error?: unknown;
  readonly removed: readonly string[];
}

/** Retries of the Logout call: a few, briefly; a person is waiting, and the files go either way. */
const LOGOUT_RETRY = { retries: 2, maxRetryTimeMs: 15_000 } as const;

/** `tokenpoll aws logout`. @internal */
export async function awsLogout(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommand('aws logout', args, {
    'start-url': { type: 'string' },
    'session-name': { type: 'string' },
    region: { type: 'string' },
    'portal-endpoint': { type: 'string' },
    all: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  if (flag(values, 'help')) {
    io.stderr.write(AWS_LOGOUT_HELP);
    return 0;
  }
  const all = flag(values, 'all');
  if (all) refuse(values, ['start-url', 'session-name'], 'one session, not --all', 'aws logout');
  const startUrl = all ? undefined : required(values, 'start-url', 'aws logout');
  const region = text(values, 'region');
  const portalEndpoint = text(values, 'portal-endpoint');
  // A bad --portal-endpoint or --region is the user's mistake: say so before anything is removed.
  if (region !== undefined || portalEndpoint !== undefined) withFlags(() => awsSsoPortalEndpoint(region ?? 'us-east-1', portalEndpoint));

  const terminal = new Terminal(io);
  const json = flag(values, 'json');
  const cacheDir = defaultSsoCacheDir();
  const sessions: SessionResult[] = [];
  let removalError: unknown;
  try {
    const paths = all ? (await listCachedSsoTokens(cacheDir)).map((token) => token.path) : [ssoCachePath({ startUrl: startUrl!, sessionName: text(values, 'session-name'), cacheDir })];
    for (const path of paths) {
      const result = await signOut(path, { region, portalEndpoint, io, terminal });
      sessions.push(result);
      report(result, terminal);
    }
    const orphans = all ? await removeOrphanRefreshRecords(cacheDir) : [];
    const credentials = await removeSsoRoleCredentialCaches();
    const locks = all ? [...(await removeStaleLocks(cacheDir)), ...(await removeStaleLocks(defaultRoleCredentialCacheDir()))] : [];
    if (orphans.length > 0) terminal.line`Removed ${String(orphans.length)} refresh record(s) of tokens an earlier logout removed.`;
    if (credentials.length > 0) terminal.line`Removed ${String(credentials.length)} cached role credential file(s).`;
    if (locks.length > 0) terminal.line`Removed ${String(locks.length)} stale lock file(s) a stopped tokenpoll left behind.`;
    if (sessions.every((session) => session.removed.length === 0) && credentials.length === 0 && orphans.length === 0 && locks.length === 0) {
      terminal.line`Nothing to sign out: ${all ? `no cached token in ${cacheDir}` : `no cached token at ${paths[0]!}`}.`;
    }
    const failed = sessions.some((session) => session.portal === 'failed');
    if (json) io.stdout.write(jsonLine({ outcome: failed ? 'failed' : 'signed-out', sessions: sessions.map(sessionJson), removed: [...sessions.flatMap((session) => session.removed), ...orphans, ...credentials, ...locks] }));
    return failed ? ExitCode.failed : ExitCode.granted;
  } catch (error) {
    removalError = error;
  }
  // Interrupted, a lock that could not be taken, or a file that could not be removed: what was done is said above.
  const interrupted = io.signal.aborted || removalError instanceof PollCancelledError;
  terminal.line`${terminal.style('red', '✖')} ${interrupted ? 'Interrupted: the logout was cancelled.' : describe(removalError)}`;
  if (json) io.stdout.write(jsonLine({ outcome: interrupted ? 'interrupted' : 'failed', sessions: sessions.map(sessionJson), error: errorJson(removalError) }));
  return interrupted ? ExitCode.interrupted : ExitCode.failed;
}

interface SignOutOptions {
  readonly region: string | undefined;
  readonly portalEndpoint: string | undefined;
  readonly io: CliIo;
  readonly terminal: Terminal;
}

/**
 * Signs one cache file out, under its lock (so a token source refreshing it
 * right now cannot write it back): Logout with its token, then the file goes,
 * whatever the portal said. A file that holds no token is left as it is (as
 * the AWS CLI leaves it), but tokenpoll's refresh records for it go.
 */
async function signOut(path: string, options: SignOutOptions): Promise<SessionResult> {
  const { io, terminal } = options;
  const token = await readCachedSsoToken(path);
  if (token === undefined) return { path, startUrl: undefined, portal: 'not-sent', removed: await removeRefreshRecords(path) };
  return withFileLock(
    `${path}.lock`,
    async () => {
      const current = (await readCachedSsoToken(path)) ?? token;
      let portal: PortalOutcome = 'not-sent';
      let error: unknown;
      const region = current.region ?? options.region;
      if (current.accessToken !== undefined && region !== undefined) {
        try {
          const client = awsSsoPortal({ region, token: current.accessToken, retry: { ...LOGOUT_RETRY, onRetry: announceLongWaits(terminal) }, ...(options.portalEndpoint === undefined ? {} : { endpoint: options.portalEndpoint }) });
          await client.logout({ signal: io.signal });
          portal = 'signed-out';
        } catch (caught) {
          if (io.signal.aborted) throw caught;
          if (caught instanceof AwsSsoPortalError && caught.exception === 'UnauthorizedException') portal = 'already-signed-out';
          else [portal, error] = ['failed', caught];
        }
      }
      return { path, startUrl: current.startUrl, portal, error, removed: await removeCachedSsoToken(path) };
    },
    { onWait: announceLockWait(terminal), signal: io.signal },
  );
}

/** One session's lines on stderr. */
function report(result: SessionResult, terminal: Terminal): void {
  const who = result.startUrl ?? result.path;
  switch (result.portal) {
    case 'signed-out':
      terminal.line`${terminal.style('green', '✔')} Signed out of ${who}: the portal ended the session.`;
      break;
    case 'already-signed-out':
      terminal.line`${terminal.style('green', '✔')} Signed out of ${who}: the portal already refused its token (expired, or signed out before).`;
      break;
    case 'failed':
      terminal.line`${terminal.style('red', '✖')} The portal's Logout for ${who} failed: ${describe(result.error)}`;
      terminal.line`  The cached token is removed anyway; the session may stay open at the portal until the token expires.`;
      break;
    case 'not-sent':
      if (result.removed.includes(result.path)) terminal.line`No Logout sent for ${who}: the cache file holds no usable access token or names no region (see --region).`;
      break;
  }
  for (const path of result.removed) terminal.line`Removed ${path}`;
}

function sessionJson(result: SessionResult): Record<string, unknown> {
  return {
    path: result.path,
    ...(result.startUrl === undefined ? {} : { startUrl: result.startUrl }),
    portal: result.portal,
    ...(result.error === undefined ? {} : { error: errorJson(result.error) }),
    removed: result.removed,
  };
}
