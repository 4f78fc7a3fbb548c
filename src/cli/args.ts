import { parseArgs } from 'node:util';
import { UsageError } from './exit-codes.js';

/** An option of a command, as `node:util` parseArgs takes it. @internal */
export type OptionSpec = { readonly type: 'string' | 'boolean'; readonly multiple?: boolean; readonly short?: string };

/** The values parseArgs found. @internal */
export type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

/**
 * Parses one command's arguments strictly. Every mistake becomes a
 * {@link UsageError} with one line naming the command and its `--help`.
 * @internal
 */
export function parseCommand(command: string, args: readonly string[], options: Readonly<Record<string, OptionSpec>>, positionals = 0): { values: Values; positionals: string[] } {
  try {
    const parsed = parseArgs({ args: [...args], options: { help: { type: 'boolean', short: 'h' }, ...options }, strict: true, allowPositionals: positionals > 0 });
    if (parsed.positionals.length > positionals) throw new UsageError(`unexpected argument '${parsed.positionals[positionals]}'`);
    return { values: parsed.values as Values, positionals: parsed.positionals };
  } catch (error) {
    // parseArgs says "Unknown option '--x'. To specify…": keep its first sentence, lower-cased like every other CLI message.
    const message = error instanceof Error ? error.message.split(/\.\s|\n/)[0]!.replace(/\.$/, '') : String(error);
    throw new UsageError(`${message.charAt(0).toLowerCase()}${message.slice(1)} (see 'tokenpoll ${command} --help')`);
  }
}

/** A string option's value, or undefined. @internal */
export function text(values: Values, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

/** A required string option. @internal */
export function required(values: Values, name: string, command: string): string {
  const value = text(values, name);
  // Blank counts as missing: the library would refuse it later, where it could no longer be told from a server's fault.
  if (value === undefined || value.trim() === '') throw new UsageError(`--${name} is required (see 'tokenpoll ${command} --help')`);
  return value;
}

/** A boolean option. @internal */
export function flag(values: Values, name: string): boolean {
  return values[name] === true;
}

/** A number of seconds from an option, checked. @internal */
export function seconds(value: string, name: string, command: string, { min = 0, max = 86_400 } = {}): number {
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number) || number < min || number > max) {
    throw new UsageError(`--${name} wants a number of seconds from ${min} to ${max}, got '${value}' (see 'tokenpoll ${command} --help')`);
  }
  return number;
}

/**
 * `--name[=VALUE]`: parseArgs wants a value for a string option, so a bare
 * `--name` is rewritten to `--name=` before parsing.
 * @internal
 */
export function optionalValue(args: readonly string[], name: string): string[] {
  return args.map((arg) => (arg === `--${name}` ? `--${name}=` : arg));
}

/** The options every login-showing command takes: `--json`, `--no-qr`, `--open`. @internal */
export const OUTPUT_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  json: { type: 'boolean' },
  'no-qr': { type: 'boolean' },
  open: { type: 'boolean' },
};

/** Rejects options that belong to another mode of the command. @internal */
export function refuse(values: Values, names: readonly string[], only: string, command: string): void {
  for (const name of names) {
    if (values[name] !== undefined) throw new UsageError(`--${name} goes only with ${only} (see 'tokenpoll ${command} --help')`);
  }
}
