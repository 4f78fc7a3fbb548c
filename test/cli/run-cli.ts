import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

/** The built binary, as npm links it (dist/ is built by the global setup). */
export const BIN = join(import.meta.dirname, '../../dist/cli/main.js');

/** What a finished run of the binary left. */
export interface CliRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A running binary: its output so far, a way to wait for a line, and its end. */
export interface RunningCli {
  readonly child: ChildProcess;
  readonly done: Promise<CliRun>;
  stderr(): string;
  /** Resolves once stderr matches. */
  waitFor(pattern: RegExp): Promise<void>;
}

/**
 * Starts the real binary with stdin not a terminal, `NO_COLOR` unset and
 * `HOME` as given (so the AWS cache goes to a temporary folder).
 */
export function startCli(args: readonly string[], env: Readonly<Record<string, string>> = {}): RunningCli {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin!.end();
  let stdout = '';
  let stderr = '';
  const watchers = new Set<() => void>();
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    for (const watcher of watchers) watcher();
  });
  const done = new Promise<CliRun>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return {
    child,
    done,
    stderr: () => stderr,
    waitFor: (pattern) =>
      new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (!pattern.test(stderr)) return;
          watchers.delete(check);
          resolve();
        };
        watchers.add(check);
        void done.then(() => {
          if (watchers.delete(check)) reject(new Error(`the CLI ended before printing ${String(pattern)}:\n${stderr}`));
        });
        check();
      }),
  };
}

/** Runs the binary to its end. */
export function runCli(args: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<CliRun> {
  return startCli(args, env).done;
}

/** Parses the one JSON line `--json` writes to stdout. */
export function jsonOut(run: CliRun): Record<string, unknown> {
  const lines = run.stdout.split('\n').filter((line) => line !== '');
  if (lines.length !== 1) throw new Error(`expected one JSON line on stdout, got ${lines.length}:\n${run.stdout}\n--- stderr ---\n${run.stderr}`);
  return JSON.parse(lines[0]!) as Record<string, unknown>;
}

/**
 * Runs a shell command under script(1), so its stdin, stdout and stderr are a
 * pseudo-terminal (unless the command redirects them); what it printed comes
 * back mixed.
 */
export function runUnderTerminal(command: string, env: Readonly<Record<string, string>>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', command, '/dev/null'], { env: { PATH: process.env['PATH'] ?? '', TERM: 'xterm-256color', ...env }, stdio: ['pipe', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}
