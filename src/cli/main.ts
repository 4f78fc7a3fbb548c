#!/usr/bin/env node
/**
 * The `tokenpoll` command (the package's bin): wires the process to the CLI.
 * The first Ctrl-C (or SIGTERM, SIGHUP) cancels the login cleanly and exits with 130;
 * a second one exits at once.
 * @internal
 * @module
 */
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

const code = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdinIsTTY: process.stdin.isTTY === true,
  env: process.env,
  signal: controller.signal,
});
for (const signal of SIGNALS) process.off(signal, interrupt);
process.exitCode = interrupted && code !== 0 ? 130 : code;
