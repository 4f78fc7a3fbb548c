import { spawn } from 'node:child_process';
import type { CliIo } from './io.js';

/**
 * Opens a URL in the browser: the `BROWSER` command when set (the first of
 * a colon-separated list, with its arguments; `%s` stands for the URL), else the
 * platform's opener (`open`, `xdg-open`, `start`). It never waits for the
 * browser, and a failure is a warning, not an error: the URL is printed anyway.
 * @internal
 */
export function openUrl(url: string, io: Pick<CliIo, 'env'>, warn: (message: string) => void): void {
  const [command, ...args] = browserCommand(url, io.env['BROWSER']);
  try {
    const child = spawn(command, args, { stdio: 'ignore', detached: true });
    child.once('error', () => warn(`could not open a browser (${command}); open the URL yourself`));
    child.unref();
  } catch {
    warn(`could not open a browser (${command}); open the URL yourself`);
  }
}

/** The command line that opens `url`: from `BROWSER` when set, else the platform's opener. */
function browserCommand(url: string, browser: string | undefined): [string, ...string[]] {
  // BROWSER may list several commands, colon-separated (the first is used), each with arguments and a %s for the URL.
  const [command, ...args] = browser?.split(':')[0]?.trim().split(/\s+/).filter(Boolean) ?? [];
  if (command !== undefined) return [command, ...(args.some((arg) => arg.includes('%s')) ? args.map((arg) => arg.replace('%s', url)) : [...args, url])];
  if (process.platform === 'darwin') return ['open', url];
  if (process.platform === 'win32') return ['cmd', '/c', 'start', '""', url.replace(/&/g, '^&')];
  return ['xdg-open', url];
}
