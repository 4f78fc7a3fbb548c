/**
 * Characters that act on a terminal instead of printing: the C0 controls (ESC
 * starts every escape sequence: OSC 52 writes the clipboard, `CSI 2J` clears
 * the screen, OSC 0 sets the window title; CR and LF forge or overwrite
 * lines), DEL, the C1 controls (U+009B is a one-character CSI on some
 * terminals), and the Unicode formatting characters that reorder or break
 * what is shown (bidirectional marks, embeddings, overrides and isolates;
 * the line and paragraph separators).
 */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text from outside the CLI (a server, a file) as a person may see it: each
 * control character shown escaped (`\x1b`, `\n`, `\u202e`), everything else
 * as it was. Every line the CLI prints for a person goes through it, in
 * {@link Terminal} and the `aws accounts` table.
 * @internal
 */
export function neutralize(text: string): string {
  return text.replace(CONTROL, escapeOne);
}

/**
 * One line of JSON for stdout. `JSON.stringify` already escapes the C0
 * controls; the ones it writes raw (DEL, C1, the bidirectional marks) are
 * written as `\u` escapes too, so the line parses to exactly the same value
 * and still cannot act on a terminal it is shown on.
 * @internal
 */
export function jsonLine(value: unknown): string {
  return `${JSON.stringify(value).replace(CONTROL, (char) => `\\u${hex(char, 4)}`)}\n`;
}

function escapeOne(char: string): string {
  if (char === '\n') return '\\n';
  if (char === '\r') return '\\r';
  if (char === '\t') return '\\t';
  return char.charCodeAt(0) <= 0xff ? `\\x${hex(char, 2)}` : `\\u${hex(char, 4)}`;
}

function hex(char: string, digits: number): string {
  return char.charCodeAt(0).toString(16).padStart(digits, '0');
}
