import { ExitCode, UsageError } from './exit-codes.js';
import { jsonLine } from './safe-text.js';
import { Terminal } from './terminal.js';
import { TOKENPOLL_VERSION } from '../transports/user-agent.js';
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

type Command = (args: readonly string[], io: CliIo) => Promise<number>;
/**
 * Each command's module is imported when that command runs, never before: `tokenpoll --version` loads no
 * command, and `tokenpoll aws credentials` (a credential_process, run by every AWS tool) loads neither the
 * emulator nor the login machinery (test/cli/startup.test.ts checks the module list).
 */
const COMMANDS: Readonly<Record<string, () => Promise<Command>>> = {
  demo: async () => (await import('./commands/demo.js')).demo,
  login: async () => (await import('./commands/login.js')).login,
  aws: async () => (await import('./commands/aws.js')).aws,
};

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
      const topic = command === 'help' ? commandNamed(rest[0]) : undefined;
      if (topic !== undefined) return await (await topic())(['--help'], io);
      io.stderr.write(MAIN_HELP);
      return command === undefined ? ExitCode.usage : 0;
    }
    if (command === '-v' || command === '--version') {
      io.stdout.write(`${TOKENPOLL_VERSION}\n`);
      return 0;
    }
    const run = commandNamed(command);
    if (run === undefined) throw new UsageError(`unknown ${command.startsWith('-') ? 'option' : 'command'} '${command}' (see 'tokenpoll --help')`);
    return await (await run())(rest, io);
  } catch (error) {
    // Only a mistake in the command line is a usage error; what a server or a file said is a failure (see withFlags).
    const usage = error instanceof UsageError;
    const message = error instanceof Error ? error.message : String(error);
    const terminal = new Terminal(io);
    terminal.line`tokenpoll: ${message}`;
    // --json promises one object on stdout, whatever the outcome.
    if (rest.includes('--json')) io.stdout.write(jsonLine({ outcome: usage ? 'usage' : 'failed', error: (await import('./run-login.js')).errorJson(error) }));
    if (!usage && io.env['TOKENPOLL_DEBUG'] && error instanceof Error && error.stack) for (const line of error.stack.split('\n')) terminal.line`${line}`;
    return usage ? ExitCode.usage : ExitCode.failed;
  }
}

/** The command a user-typed name stands for: only the commands themselves, never a name `Object.prototype` answers (`constructor`, `__proto__`). */
function commandNamed(name: string | undefined): (() => Promise<Command>) | undefined {
  return name !== undefined && Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
}
