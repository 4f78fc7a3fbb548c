#!/usr/bin/env node
/**
 * The `tokenpoll` command (the package's bin): wires the process to the CLI.
 * The first Ctrl-C (or SIGTERM, SIGHUP) cancels the login cleanly and exits with 130;
 * a second one exits at once. A closed stdout or stderr never crashes it.
 * @internal
 * @module
 */
import { ExitCode } from './exit-codes.js';
import { main } from './run.js';

const controller = new AbortController();
let interrupted = false;
const interrupt = (): void => {
  if (interrupted) process.exit(130);
  interrupted = true;
  controller.abort(new Error('interrupted'));
};
// SIGHUP (the terminal closed) too, so a lock file or the demo's emulator is never left behind.
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
for (const signal of SIGNALS) process.on(signal, interrupt);

// A write that fails must not crash the CLI with a stack trace. stdout carries the command's result, so losing
// it is exit code 1 (as for any writer whose reader left): quietly when the reader went away (EPIPE,
// `tokenpoll aws accounts | head -1`), with one line for another failure (a full disk). stderr is best effort:
// a closed one must not cost the result on stdout.
let stdoutFailed = false;
let finished = false;
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (stdoutFailed) return;
  stdoutFailed = true;
  if (error.code !== 'EPIPE') process.stderr.write(`tokenpoll: could not write to stdout (${error.code ?? error.message})\n`);
  if (finished && !process.exitCode) process.exitCode = ExitCode.failed;
});
process.stderr.on('error', () => {});

const code = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdinIsTTY: process.stdin.isTTY === true,
  env: process.env,
  signal: controller.signal,
});
for (const signal of SIGNALS) process.off(signal, interrupt);
finished = true;
process.exitCode = interrupted && code !== 0 ? ExitCode.interrupted : stdoutFailed && code === 0 ? ExitCode.failed : code;
