import type { CliIo } from './io.js';

const CODES = { bold: [1, 22], dim: [2, 22], red: [31, 39], green: [32, 39], yellow: [33, 39], cyan: [36, 39] } as const;
type Style = keyof typeof CODES;
const ANSI = /\u001B\[[0-9;]*m/g;
const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * Human output on stderr. Colour only on a terminal and without `NO_COLOR`;
 * the live status line (spinner, countdown) only on a terminal. Off a
 * terminal every line is plain and final, so logs stay readable.
 * @internal
 */
export class Terminal {
  readonly live: boolean;
  readonly #color: boolean;
  readonly #stderr: CliIo['stderr'];
  #status: string | undefined;
  #frame = 0;

  constructor(io: Pick<CliIo, 'stderr' | 'env'>) {
    this.#stderr = io.stderr;
    this.live = io.stderr.isTTY === true && io.env['TERM'] !== 'dumb';
    const noColor = io.env['NO_COLOR'] !== undefined && io.env['NO_COLOR'] !== '';
    this.#color = this.live && !noColor;
  }

  /** Wraps text in a style, when colour is on. */
  style(style: Style, text: string): string {
    if (!this.#color) return text;
    const [open, close] = CODES[style];
    return `\u001B[${open}m${text}\u001B[${close}m`;
  }

  /** Prints a line above the status line. */
  line(text = ''): void {
    this.#clearStatus();
    this.#stderr.write(`${text}\n`);
    this.#drawStatus();
  }

  /**
   * Sets the live status line (a terminal only; ignored elsewhere). A line
   * wider than the terminal is cut, without its styles, since a wrapped line
   * could not be cleared in place.
   */
  status(text: string | undefined): void {
    if (!this.live) return;
    this.#clearStatus();
    // A pseudo-terminal may report 0 columns: take 80 then.
    const columns = this.#stderr.columns !== undefined && this.#stderr.columns > 0 ? this.#stderr.columns : 80;
    const width = columns - 1;
    const plain = text?.replace(ANSI, '');
    this.#status = plain !== undefined && plain.length > width ? `${plain.slice(0, Math.max(0, width - 1))}…` : text;
    this.#drawStatus();
  }

  /** Advances the spinner: call it on each countdown tick. */
  spin(): string {
    this.#frame = (this.#frame + 1) % SPINNER.length;
    return this.style('cyan', SPINNER[this.#frame]!);
  }

  #clearStatus(): void {
    if (this.#status !== undefined) this.#stderr.write('\r\u001B[2K');
  }

  #drawStatus(): void {
    if (this.#status !== undefined) this.#stderr.write(this.#status);
  }
}

/** `m:ss` for a countdown. @internal */
export function formatCountdown(ms: number): string {
  const seconds = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

/** A short duration: `250ms`, `1.5s`, `12s`, `5m`. @internal */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 10_000) return `${Number((ms / 1000).toFixed(1))}s`;
  if (ms < 120_000) return `${Math.round(ms / 1000)}s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)}m`;
  return `${Number((ms / 3_600_000).toFixed(1))}h`;
}
