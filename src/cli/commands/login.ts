import { loginWithDeviceFlow } from '../../flows/rfc8628-login.js';
import { ssoCacheEntryFromToken } from '../../node/cache-entry.js';
import { saveIssuedEntry, ssoTokenFileStorage } from '../../node/token-storage.js';
import { systemClock } from '../../clock/clock.js';
import { sessionCachePath, startAwsLogin } from '../aws-login.js';
import { OUTPUT_OPTIONS, flag, parseCommand, refuse, required, text, type Values } from '../args.js';
import { UsageError } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { announceLockWait, runLogin, type OutputFlags } from '../run-login.js';
import type { Terminal } from '../terminal.js';

/** @internal */
export const LOGIN_HELP = `Usage:
  tokenpoll login --issuer URL --client-id ID [--client-secret S] [--scope S]
  tokenpoll login --github --client-id ID [--scope S] [--github-url URL]
  tokenpoll login --aws --start-url URL --region R [--session-name N] [--endpoint URL] [--no-cache]

Logs in with the OAuth device flow and prints the outcome.

Servers:
  --issuer URL            Any RFC 8628 server, found through discovery
                          (/.well-known/oauth-authorization-server, then
                          /.well-known/openid-configuration).
  --github                GitHub (github.com, or --github-url for GitHub
                          Enterprise Server).
  --aws                   AWS IAM Identity Center (SSO OIDC). The token is
                          written to the AWS CLI v2 SSO cache
                          (~/.aws/sso/cache/<sha1>.json, mode 0600), so that
                          'aws' and the AWS SDKs use it.

Options:
  --client-id ID          The OAuth client id (--issuer, --github).
  --client-secret S       The client secret, for a confidential client; prefer
                          the TOKENPOLL_CLIENT_SECRET variable, which stays out
                          of the process list.
  --scope S               The scope to ask for (space-separated; --aws: one
                          scope per --scope, default sso:account:access with
                          --session-name).
  --start-url URL         The AWS access portal URL (--aws).
  --region R              The IAM Identity Center region (--aws).
  --session-name N        The sso-session name; it names the cache file (--aws).
  --endpoint URL          Another SSO OIDC endpoint (--aws).
  --no-cache              Do not write the AWS SSO cache file (--aws).
  --json                  Write the outcome and the token set to stdout as JSON.
  --no-qr                 Do not print the QR code.
  --open                  Open the verification page in the browser.
  -h, --help              Show this help.

Exit codes: 0 granted, 1 failed, 2 usage error, 3 denied, 4 expired,
130 interrupted.
`;

const GITHUB = 'https://github.com';

/** `tokenpoll login`. @internal */
export async function login(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommand('login', args, {
    issuer: { type: 'string' },
    github: { type: 'boolean' },
    'github-url': { type: 'string' },
    aws: { type: 'boolean' },
    'client-id': { type: 'string' },
    'client-secret': { type: 'string' },
    scope: { type: 'string', multiple: true },
    'start-url': { type: 'string' },
    region: { type: 'string' },
    'session-name': { type: 'string' },
    endpoint: { type: 'string' },
    'no-cache': { type: 'boolean' },
    ...OUTPUT_OPTIONS,
  });
  if (flag(values, 'help')) {
    io.stderr.write(LOGIN_HELP);
    return 0;
  }
  const modes = [text(values, 'issuer') !== undefined && '--issuer', flag(values, 'github') && '--github', flag(values, 'aws') && '--aws'].filter(Boolean);
  if (modes.length !== 1) {
    throw new UsageError(`${modes.length === 0 ? 'say which server: --issuer URL, --github or --aws' : `choose one of ${modes.join(', ')}`} (see 'tokenpoll login --help')`);
  }
  const output: OutputFlags = { json: flag(values, 'json'), qr: !flag(values, 'no-qr'), open: flag(values, 'open') };
  if (flag(values, 'aws')) return awsLogin(values, io, output);
  refuse(values, ['start-url', 'region', 'session-name', 'endpoint', 'no-cache'], '--aws', 'login');
  const clientId = required(values, 'client-id', 'login');
  const clientSecret = text(values, 'client-secret') ?? nonEmpty(io.env['TOKENPOLL_CLIENT_SECRET']);
  const scope = scopes(values)?.join(' ');
  const client = { clientId, ...(clientSecret === undefined ? {} : { clientSecret }), ...(scope === undefined ? {} : { scope }) };
  if (flag(values, 'github')) {
    const base = (text(values, 'github-url') ?? GITHUB).replace(/\/+$/, '');
    return runLogin(
      (signal, onRetry) => loginWithDeviceFlow({ ...client, signal, onRetry, deviceAuthorizationEndpoint: `${base}/login/device/code`, tokenEndpoint: `${base}/login/oauth/access_token` }),
      io,
      output,
    );
  }
  refuse(values, ['github-url'], '--github', 'login');
  return runLogin((signal, onRetry) => loginWithDeviceFlow({ ...client, signal, onRetry, issuer: required(values, 'issuer', 'login') }), io, output);
}

async function awsLogin(values: Values, io: CliIo, output: OutputFlags): Promise<number> {
  refuse(values, ['client-id', 'client-secret', 'github-url'], '--issuer or --github', 'login');
  const session = {
    startUrl: required(values, 'start-url', 'login'),
    region: required(values, 'region', 'login'),
    sessionName: text(values, 'session-name'),
    endpoint: text(values, 'endpoint'),
    scopes: scopes(values),
  };
  const writeCache = !flag(values, 'no-cache');
  const path = sessionCachePath(session);
  return runLogin((signal, onRetry) => startAwsLogin(session, signal, writeCache, onRetry), io, output, {
    afterGrant: writeCache
      ? async (token, terminal) => {
          // Under the cache's lock, so a token source refreshing the same file at this moment cannot overwrite the new login;
          // retried, and when it still fails the token goes out anyway (--json) with exit 1 (see runLogin).
          const failure = await saveIssuedEntry(ssoTokenFileStorage(path, { onWait: announceLockWait(terminal) }), ssoCacheEntryFromToken(token), { kind: 'login', clock: systemClock, locked: false, signal: io.signal });
          if (failure) throw failure;
          announce(terminal, path);
          return { cacheFile: path };
        }
      : undefined,
  });
}

function announce(terminal: Terminal, path: string): void {
  terminal.line`${terminal.style('green', '✔')} Saved to the AWS SSO cache: ${path}`;
}

function scopes(values: Values): string[] | undefined {
  const list = values['scope'];
  if (!Array.isArray(list) || list.length === 0) return undefined;
  return list.flatMap((scope) => String(scope).split(/[\s,]+/)).filter((scope) => scope !== '');
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
