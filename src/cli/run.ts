import { readFileSync } from 'node:fs';
import { aws } from './commands/aws.js';
import { demo } from './commands/demo.js';
import { login } from './commands/login.js';
import { ConfigurationError } from '../errors/failures.js';
import { ExitCode, UsageError } from './exit-codes.js';
import { errorJson } from './run-login.js';
import type { CliIo } from './io.js';

/** @internal */
export const MAIN_HELP = `Usage: tokenpoll <command> [options]

A device-flow login that rides out slow_down, 5xx, 429 and dropped
connections, cancels cleanly, and never prints a secret to stderr.

Commands:
  demo      A full device login against an embedded emulator: no network needed.
  login     Log in to an RFC 8628 server (--issuer), GitHub (--github) or
            AWS IAM Identity Center (--aws).
  aws       With an IAM Identity Center login: list accounts and roles, or
            print role credentials for credential_process.

Run 'tokenpoll <command> --help' for a command's options.

Options:
  -h, --help     Show this help.
  -v, --version  Show the version.

Human output goes to stderr; --json writes one JSON object to stdout.
Exit codes: 0 granted, 1 failed, 2 usage error, 3 denied, 4 expired,
130 interrupted.
`;

const COMMANDS: Readonly<Record<string, (args: readonly string[], io: CliIo) => Promise<number>>> = { demo, login, aws };

/**
 * Runs the CLI and resolves with its exit code. It never throws: a usage
 * error is one line and exit code 2; anything else is one line and 1
 * (`TOKENPOLL_DEBUG=1` adds the stack).
 * @internal
 */
export async function main(args: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = args;
  try {
    if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
      if (command === 'help' && rest[0] !== undefined && rest[0] in COMMANDS) return await COMMANDS[rest[0]]!(['--help'], io);
      io.stderr.write(MAIN_HELP);
      return command === undefined ? ExitCode.usage : 0;
    }
    if (command === '-v' || command === '--version') {
      io.stdout.write(`${version()}\n`);
      return 0;
    }
    const run = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
    if (run === undefined) throw new UsageError(`unknown command '${command}' (see 'tokenpoll --help')`);
    return await run(rest, io);
  } catch (error) {
    const usage = error instanceof UsageError;
    const message = error instanceof Error ? error.message : String(error);
    io.stderr.write(`tokenpoll: ${message}\n`);
    // --json promises one object on stdout, whatever the outcome.
    if (rest.includes('--json')) io.stdout.write(`${JSON.stringify({ outcome: usage || isConfigurationError(error) ? 'usage' : 'failed', error: errorJson(error) })}\n`);
    if (!usage && io.env['TOKENPOLL_DEBUG'] && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
    return usage || isConfigurationError(error) ? ExitCode.usage : ExitCode.failed;
  }
}

function isConfigurationError(error: unknown): boolean {
  return error instanceof ConfigurationError;
}

function version(): string {
  const json = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return json.version;
}
