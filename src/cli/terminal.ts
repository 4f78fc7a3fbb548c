import type { CliIo } from './io.js';
import { neutralize } from './safe-text.js';

const CODES = { bold: [1, 22], dim: [2, 22], red: [31, 39], green: [32, 39], yellow: [33, 39], cyan: [36, 39] } as const;
type Style = keyof typeof CODES;
const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * A piece of text in a style, from {@link Terminal.style}. It holds no escape
 * codes: the terminal adds them when it writes the piece. Inside a plain
 * string it is its text alone, unstyled.
 * @internal
 */
export class Styled {
  readonly style: Style;
  readonly text: string;
  constructor(style: Style, text: string) {
    this.style = style;
    this.text = text;
  }
  toString(): string {
    return this.text;
  }
}

/**
 * What {@link Terminal.line} and {@link Terminal.status} print: a tagged
 * template, whose literal parts are the CLI's own and whose every value
 * (a server's or a file's text included) is neutralised; or one plain string
 * or {@link Styled} piece, neutralised whole.
 * @internal
 */
export type TerminalText = [strings: TemplateStringsArray, ...values: unknown[]] | [text?: string | Styled];

/**
 * Human output on stderr, and the one way the CLI prints for a person. Every
 * value it prints has its control characters shown escaped ({@link neutralize}),
 * so a user code, a URL or an error description from a server cannot write
 * the clipboard, clear the screen or set the window title; the only escape
 * codes written are its own styles and status-line moves. Colour only on a
 * terminal and without `NO_COLOR`; the live status line (spinner, countdown)
 * only on a terminal. Off a terminal every line is plain and final, so logs
 * stay readable.
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

  /** Text in a style, which {@link line} and {@link status} draw in colour when colour is on. */
  style(style: Style, text: string): Styled {
    return new Styled(style, text);
  }

  /**
   * Prints a line above the status line: ``terminal.line`✖ ${message}` ``
   * (each value neutralised), or `terminal.line(text)` (neutralised whole).
   */
  line(...text: TerminalText): void {
    this.#clearStatus();
    this.#stderr.write(`${this.#render(text, true)}\n`);
    this.#drawStatus();
  }

  /**
   * Sets the live status line (a terminal only; ignored elsewhere), written
   * as {@link line} takes it; `status()` removes it. A line wider than the
   * terminal is cut, without its styles, since a wrapped line could not be
   * cleared in place.
   */
  status(...text: TerminalText): void {
    if (!this.live) return;
    this.#clearStatus();
    // A pseudo-terminal may report 0 columns: take 80 then.
    const columns = this.#stderr.columns !== undefined && this.#stderr.columns > 0 ? this.#stderr.columns : 80;
    const width = columns - 1;
    const empty = text.length === 0 || text[0] === undefined;
    const plain = empty ? undefined : this.#render(text, false);
    this.#status = plain === undefined ? undefined : plain.length > width ? `${plain.slice(0, Math.max(0, width - 1))}…` : this.#render(text, true);
    this.#drawStatus();
  }

  /** Advances the spinner: call it on each countdown tick. */
  spin(): Styled {
    this.#frame = (this.#frame + 1) % SPINNER.length;
    return this.style('cyan', SPINNER[this.#frame]!);
  }

  #render(text: TerminalText, styled: boolean): string {
    const [first, ...values] = text;
    if (first === undefined) return '';
    if (!isTemplate(first)) return this.#piece(first, styled);
    return first.reduce((out, literal, index) => out + (index === 0 ? '' : this.#piece(values[index - 1], styled)) + literal, '');
  }

  #piece(value: unknown, styled: boolean): string {
    if (!(value instanceof Styled)) return neutralize(String(value));
    const text = neutralize(value.text);
    if (!styled || !this.#color) return text;
    const [open, close] = CODES[value.style];
    return `\u001B[${open}m${text}\u001B[${close}m`;
  }

  #clearStatus(): void {
    if (this.#status !== undefined) this.#stderr.write('\r\u001B[2K');
  }

  #drawStatus(): void {
    if (this.#status !== undefined) this.#stderr.write(this.#status);
  }
}

function isTemplate(value: unknown): value is TemplateStringsArray {
  return Array.isArray(value) && Object.hasOwn(value, 'raw');
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
