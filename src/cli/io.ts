/**
 * What the CLI touches of the outside world, passed in so tests can drive it
 * in-process as well as through the real binary.
 * @internal
 */
export interface CliIo {
  /** Machine output: only `--json`'s object and the `credential_process` JSON. */
  readonly stdout: { write(text: string): unknown };
  /** Human output. */
  readonly stderr: { write(text: string): unknown; readonly isTTY?: boolean | undefined; readonly columns?: number | undefined };
  /** Whether a person can answer: stdin is a terminal. */
  readonly stdinIsTTY: boolean;
  /** The environment (`NO_COLOR`, `BROWSER`, `HOME`…). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Aborted on Ctrl-C (SIGINT) or SIGTERM. */
  readonly signal: AbortSignal;
}
