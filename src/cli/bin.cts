#!/usr/bin/env node
/*
 * The `tokenpoll` command (package.json "bin"). It hands every command to the
 * CLI, an ES module (./main.js), except two it answers itself
 * (./bin-fast.cts): `tokenpoll --version`, and `tokenpoll aws credentials`
 * while the role-credential cache holds the role's credentials with more than
 * 15 minutes left. The latter
 * command is a credential_process, which every AWS tool runs, often many
 * times a minute, so its warm call must start about as fast as Node itself:
 * this file is CommonJS (Node starts an ES module entry a few ms later), uses
 * Node's built-ins only, and writes its answer straight to fd 1
 * (process.stdout builds a stream first).
 */
const { writeSync } = require('node:fs') as typeof import('node:fs');
const { versionAnswer, warmAnswer } = require('./bin-fast.cjs') as Record<'versionAnswer' | 'warmAnswer', (args: readonly string[]) => string | undefined>;

/** Writes the answer to fd 1 in one call; as main.js does, a reader that went away is exit code 1, quietly, and another failure one line. */
function print(answer: string): void {
  const bytes = Buffer.from(answer, 'utf8');
  let written = 0;
  try {
    written = writeSync(1, bytes);
    if (written === bytes.length) return;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EAGAIN') {
      if (code !== 'EPIPE') process.stderr.write(`tokenpoll: could not write to stdout (${code ?? String(error)})\n`);
      process.exitCode = 1;
      return;
    }
  }
  // A non-blocking stdout that is full, or a short write: the stream writes the rest when it can.
  process.stdout.on('error', () => void (process.exitCode = 1));
  process.stdout.write(bytes.subarray(written));
}

const args = process.argv.slice(2);
const answer = versionAnswer(args) ?? warmAnswer(args);
if (answer === undefined) void import('./main.js');
else print(answer);
