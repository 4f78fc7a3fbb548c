import { renderUnicodeCompact } from 'uqr';
import type { CodeEvent, LoginHandle } from '../flows/device-login.js';
import type { Terminal } from './terminal.js';
import { formatCountdown, formatDuration } from './terminal.js';

/** How {@link showLogin} presents a login. @internal */
export interface ShowLoginOptions {
  /** Print a QR code of the verification URL. */
  readonly qr: boolean;
  /** Called with the URL to open, on the first code (`--open`). */
  readonly open?: ((url: string) => void) | undefined;
  /** A line shown under the code, such as how the demo approves by itself. */
  readonly hint?: string | undefined;
}

/**
 * Shows a login as it happens: the code, the URL and a QR code, a live
 * countdown to expiry (on a terminal), and one line per change in the
 * lifecycle: waiting, slow down, a fault being retried, the outcome. Returns
 * a function that stops the countdown.
 * @internal
 */
export function showLogin<T>(login: LoginHandle<T>, terminal: Terminal, options: ShowLoginOptions): () => void {
  let expiresAt = 0;
  let intervalMs: number | undefined;
  let polls = 0;
  let last: 'pending' | 'slow-down' | 'retrying' | undefined;
  let ticker: ReturnType<typeof setTimeout> | undefined;
  let opened = false;

  const tick = (): void => {
    const left = expiresAt - Date.now();
    const every = intervalMs === undefined ? '' : ` · polling every ${formatDuration(intervalMs)}`;
    const state = polls === 0 ? 'starting' : `${polls} ${polls === 1 ? 'poll' : 'polls'}`;
    terminal.status`${terminal.spin()} Waiting for approval · expires in ${terminal.style('bold', formatCountdown(left))}${every} · ${state}`;
    ticker = setTimeout(tick, 1000 - (Date.now() % 1000) || 1000);
    ticker.unref?.();
  };
  const stop = (): void => {
    if (ticker !== undefined) clearTimeout(ticker);
    ticker = undefined;
    terminal.status();
  };

  login.on('code', (code: CodeEvent) => {
    expiresAt = code.expiresAt;
    polls = 0;
    last = undefined;
    const url = code.verificationUriComplete ?? code.verificationUri;
    terminal.line();
    if (code.restart > 0) terminal.line(terminal.style('yellow', `A new code replaces the last one (restart ${code.restart}): the old code expired, or the client had to register again.`));
    terminal.line`To sign in, open ${terminal.style('cyan', code.verificationUri)}`;
    terminal.line`and enter the code ${terminal.style('bold', code.userCode)}`;
    if (code.verificationUriComplete !== undefined) terminal.line(terminal.style('dim', `(or open ${code.verificationUriComplete}, which has the code in it)`));
    if (options.qr) {
      terminal.line();
      for (const row of renderUnicodeCompact(url, { border: 1 }).split('\n')) terminal.line`  ${row}`;
    }
    terminal.line();
    terminal.line`The code expires in ${formatCountdown(code.expiresInMs)} (at ${new Date(code.expiresAt).toLocaleTimeString()}).`;
    if (options.hint !== undefined) terminal.line(terminal.style('dim', options.hint));
    if (options.open !== undefined && !opened) {
      opened = true;
      options.open(url);
    }
    if (terminal.live && ticker === undefined) tick();
  });
  login.on('attempt', (event) => {
    polls = event.attempt;
    intervalMs = event.intervalMs;
  });
  login.on('pending', (event) => {
    if (last !== 'pending') terminal.line`${terminal.style('dim', '·')} Poll ${event.attempt}: waiting for approval (authorization_pending); next poll in ${formatDuration(event.nextPollInMs)}`;
    last = 'pending';
  });
  login.on('slowDown', (event) => {
    const why = event.reason === 'increment' ? 'slow_down' : 'slow_down with a new interval';
    terminal.line`${terminal.style('yellow', '·')} Poll ${event.attempt}: ${why}; polling every ${formatDuration(event.intervalMs)} now (was ${formatDuration(event.previousIntervalMs)})`;
    intervalMs = event.intervalMs;
    last = 'slow-down';
  });
  login.on('retry', (event) => {
    const left = `${event.retriesLeft} ${event.retriesLeft === 1 ? 'retry' : 'retries'} left`;
    terminal.line`${terminal.style('yellow', '↻')} Poll ${event.attempt}: ${event.fault.message}; retrying in ${formatDuration(event.delayMs)} (${left})`;
    last = 'retrying';
  });
  login.on('warning', (event) => terminal.line`${terminal.style('yellow', '!')} ${event.message}`);
  for (const end of ['granted', 'denied', 'expired', 'failed', 'cancelled'] as const) login.on(end, stop);
  return stop;
}
