import { spawn } from 'node:child_process';
import { assertSecureUrl } from '../transports/http.js';
import type { CliIo } from './io.js';

/**
 * Opens a URL in the browser: the `BROWSER` command when set (the first of
 * a colon-separated list, with its arguments; `%s` stands for the URL), else the
 * platform's opener (`open`, `xdg-open`, `rundll32`). It never waits for the
 * browser, and a failure is a warning, not an error: the URL is printed anyway.
 *
 * The URL came from a server, so only an `https:` one (or `http:` on a
 * loopback host) is opened, as the parsed URL's `href`: that always begins
 * with its scheme, so no program can take it for an option (`--remote-debugging-port=…`),
 * and `javascript:`, `file:` and the like never reach the browser.
 * @returns Whether a browser was started.
 * @internal
 */
export function openUrl(url: string, io: Pick<CliIo, 'env'>, warn: (message: string) => void): boolean {
  const safe = openableUrl(url);
  if (safe === undefined) {
    warn('not opening the verification URL: only https: URLs (or http: on a loopback host) are opened; open it yourself if you trust it');
    return false;
  }
  const [command, ...args] = browserCommand(safe, io.env['BROWSER']);
  try {
    const child = spawn(command, args, { stdio: 'ignore', detached: true });
    child.once('error', () => warn(`could not open a browser (${command}); open the URL yourself`));
    child.unref();
    return true;
  } catch {
    warn(`could not open a browser (${command}); open the URL yourself`);
    return false;
  }
}

/**
 * The URL to hand a browser, or undefined when it must not be opened: not a
 * URL, not `https:` (or `http:` on a loopback host), or with a user name or
 * password in it (`https://bank.example@evil.example/`).
 * @internal
 */
export function openableUrl(url: string): string | undefined {
  try {
    return assertSecureUrl(url, 'verificationUri').href;
  } catch {
    return undefined;
  }
}

/** The command line that opens `url`: from `BROWSER` when set, else the platform's opener. */
function browserCommand(url: string, browser: string | undefined): [string, ...string[]] {
  // BROWSER may list several commands, colon-separated (the first is used), each with arguments and a %s for the URL.
  const [command, ...args] = browser?.split(':')[0]?.trim().split(/\s+/).filter(Boolean) ?? [];
  // A function replacement, so `$&` or `$'` in the URL are not read as replacement patterns.
  if (command !== undefined) return [command, ...(args.some((arg) => arg.includes('%s')) ? args.map((arg) => arg.replace('%s', () => url)) : [...args, url])];
  if (process.platform === 'darwin') return ['open', url];
  // Not `cmd /c start`: cmd.exe would read the URL's `&`, `|` and `^` as its own syntax.
  if (process.platform === 'win32') return ['rundll32', 'url.dll,FileProtocolHandler', url];
  return ['xdg-open', url];
}
