import { spawn } from 'node:child_process';
import type { CliIo } from './io.js';

/**
 * Opens a URL in the browser: the `BROWSER` command when set, else the
 * platform's opener (`open`, `xdg-open`, `start`). It never waits for the
 * browser, and a failure is a warning, not an error: the URL is printed anyway.
 * @internal
 */
export function openUrl(url: string, io: Pick<CliIo, 'env'>, warn: (message: string) => void): void {
  const browser = io.env['BROWSER'];
  const [command, args] =
    browser !== undefined && browser !== ''
      ? [browser, [url]]
      : process.platform === 'darwin'
        ? ['open', [url]]
        : process.platform === 'win32'
          ? ['cmd', ['/c', 'start', '""', url.replace(/&/g, '^&')]]
          : ['xdg-open', [url]];
  try {
    const child = spawn(command, args, { stdio: 'ignore', detached: true });
    child.once('error', () => warn(`could not open a browser (${command}); open the URL yourself`));
    child.unref();
  } catch {
    warn(`could not open a browser (${command}); open the URL yourself`);
  }
}
