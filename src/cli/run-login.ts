import type { TokenSet } from '../core/outcome.js';
import type { LoginHandle } from '../flows/device-login.js';
import type { FileLockWait } from '../node/file-lock.js';
import type { OneShotRetryEvent } from '../retry/retry.js';
import { isTokenPollError } from '../errors/base.js';
import { ExitCode, UsageError, outcomeOf, withFlags } from './exit-codes.js';
import type { CliIo } from './io.js';
import { openUrl } from './open-url.js';
import { jsonLine } from './safe-text.js';
import { showLogin } from './show-login.js';
import { Terminal, formatDuration } from './terminal.js';

/** The output flags every login command shares. @internal */
export interface OutputFlags {
  readonly json: boolean;
  readonly qr: boolean;
  readonly open: boolean;
}

/**
 * What a command does with a granted token before the CLI reports it (write a
 * cache file, say). When it throws, the login ends `failed` (exit 1, one line
 * on stderr), and `--json` still carries the token, beside the error.
 * @internal
 */
export type AfterGrant<T> = (token: T, terminal: Terminal) => Promise<Readonly<Record<string, unknown>> | void>;

/**
 * Runs a login to its end and turns the outcome into output and an exit
 * code: human lines on stderr, and with `--json` one object on stdout with
 * the outcome and, when granted, the token set. Tokens go nowhere else.
 * Ctrl-C (the io's signal) cancels the login: no request is sent after it.
 * @internal
 */
export async function runLogin<T extends TokenSet>(
  start: (signal: AbortSignal, onRetry: (event: OneShotRetryEvent) => void) => LoginHandle<T>,
  io: CliIo,
  flags: OutputFlags,
  options: { readonly hint?: string | undefined; readonly afterGrant?: AfterGrant<T> | undefined } = {},
): Promise<number> {
  const terminal = new Terminal(io);
  // The user's flags reach the library here, and bad ones throw before any output: main() turns them into one usage line.
  const login = withFlags(() => start(io.signal, announceLongWaits(terminal)));
  try {
    const token = await followLogin(login, io, terminal, flags, options.hint);
    let extra: Readonly<Record<string, unknown>>;
    try {
      extra = (await options.afterGrant?.(token, terminal)) ?? {};
    } catch (error) {
      // The server issued the token, so it is never dropped: --json still carries it, and the exit code says what failed.
      terminal.line`${terminal.style('red', '✖')} ${describe(error)}`;
      if (flags.json) io.stdout.write(jsonLine({ outcome: 'failed', token: tokenJson(token), error: errorJson(error) }));
      return ExitCode.failed;
    }
    if (flags.json) io.stdout.write(jsonLine({ outcome: 'granted', token: tokenJson(token), ...extra }));
    return ExitCode.granted;
  } catch (error) {
    const outcome = outcomeOf(error);
    terminal.line`${terminal.style('red', '✖')} ${outcome === 'interrupted' ? 'Interrupted: the login was cancelled.' : describe(error)}`;
    if (flags.json) io.stdout.write(jsonLine({ outcome, error: errorJson(error) }));
    return outcome === 'usage' ? ExitCode.usage : ExitCode[outcome];
  }
}

/**
 * Shows a running login on the terminal until it ends, and resolves with its
 * token (or rejects as the login does), after one line saying it was approved.
 * @internal
 */
export async function followLogin<T extends TokenSet>(login: LoginHandle<T>, io: CliIo, terminal: Terminal, flags: Omit<OutputFlags, 'json'>, hint?: string): Promise<T> {
  const stop = showLogin(login, terminal, {
    qr: flags.qr,
    hint,
    open: flags.open ? (url) => openUrl(url, io, (message) => terminal.line`${terminal.style('yellow', '!')} ${message}`) : undefined,
  });
  try {
    const token = await login.result;
    const lifetime = token.expiresInSeconds === undefined ? '' : `, expires in ${formatDuration(token.expiresInSeconds * 1000)}`;
    const scope = token.scope === undefined || token.scope === '' ? '' : `, scope ${token.scope}`;
    stop();
    terminal.line`${terminal.style('green', '✔')} Approved: ${token.tokenType ?? 'access'} token received${lifetime}${scope}.`;
    return token;
  } finally {
    stop();
  }
}

/** One-shot waits longer than this get a line on stderr saying what the CLI waits for and why. @internal */
export const ANNOUNCED_WAIT_MS = 2000;

/**
 * The `onRetry` for the CLI's one-shot calls (discovery, device authorization,
 * RegisterClient, a refresh, the portal calls): a wait over 2 s gets one line
 * on stderr, so the CLI never sits silent, such as
 * `tokenpoll: discovery at https://…: HTTP 503; retrying in 30s (Retry-After)`.
 * @internal
 */
export function announceLongWaits(terminal: Terminal): (event: OneShotRetryEvent) => void {
  return ({ operation, fault, delayMs }) => {
    if (delayMs <= ANNOUNCED_WAIT_MS) return;
    const why = fault.retryAfterMs !== undefined && delayMs === Math.ceil(fault.retryAfterMs) ? 'Retry-After' : fault.type === 'slow_down' ? 'slow_down' : 'backoff';
    terminal.line`tokenpoll: ${operation ?? 'a request'}: ${fault.message}; retrying in ${formatDuration(delayMs)} (${why})`;
  };
}

/**
 * The `onWait` of the AWS SSO cache's lock (a token source's `lock`, the login's
 * save): a lock held for more than 2 s gets one line on stderr, so the CLI never
 * sits silent for up to 45 s, such as `tokenpoll: waiting for the lock on
 * /home/me/.aws/sso/cache/….json.lock (another tokenpoll is refreshing, pid 4242;
 * gives up after 45s)`.
 * @internal
 */
export function announceLockWait(terminal: Terminal): (wait: FileLockWait) => void {
  return ({ path, holderPid, waitMs }) => {
    const who = holderPid === undefined ? '' : `, pid ${holderPid}`;
    terminal.line`tokenpoll: waiting for the lock on ${path} (another tokenpoll is refreshing${who}; gives up after ${formatDuration(waitMs)})`;
  };
}

/** The token set as `--json` writes it: the standard members, not the raw answer. @internal */
export function tokenJson(token: TokenSet & { readonly expiresAt?: number }): Record<string, unknown> {
  const json: Record<string, unknown> = { accessToken: token.accessToken };
  if (token.tokenType !== undefined) json['tokenType'] = token.tokenType;
  if (token.expiresInSeconds !== undefined) json['expiresIn'] = token.expiresInSeconds;
  if (token.expiresAt !== undefined) json['expiresAt'] = new Date(token.expiresAt).toISOString();
  if (token.refreshToken !== undefined) json['refreshToken'] = token.refreshToken;
  if (token.idToken !== undefined) json['idToken'] = token.idToken;
  if (token.scope !== undefined) json['scope'] = token.scope;
  return json;
}

/** One line for an error: tokenpoll's messages are safe to print; anything else shows its message only. @internal */
export function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/** An error as `--json` writes it: tokenpoll's safe summary (a bad flag's own), or the name and message. @internal */
export function errorJson(error: unknown): Record<string, unknown> {
  if (error instanceof UsageError && isTokenPollError(error.cause)) return error.cause.toJSON();
  if (isTokenPollError(error)) return error.toJSON();
  return { name: error instanceof Error ? error.name : 'Error', message: describe(error) };
}
