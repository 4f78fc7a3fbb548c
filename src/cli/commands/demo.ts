import { loginWithDeviceFlow } from '../../flows/rfc8628-login.js';
import { startEmulator } from '../../testing/emulator/server.js';
import type { EmulatorFault } from '../../testing/emulator/types.js';
import { OUTPUT_OPTIONS, flag, optionalValue, parseCommand, seconds, text } from '../args.js';
import { UsageError } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { runLogin } from '../run-login.js';
import { Terminal, formatDuration } from '../terminal.js';

/** @internal */
export const DEMO_HELP = `Usage: tokenpoll demo [options]

Runs a whole device login against an emulator started on 127.0.0.1, with no
network: the code, the verification URL and a QR code, a live countdown, and
each step of the lifecycle (pending, slow down, retrying after a fault).
Approve on the emulator's page in a browser, or let the demo approve by itself.

Options:
  --auto-approve[=SECONDS]  Approve by itself after SECONDS (default 3). On when
                            stdin is not a terminal.
  --no-auto-approve         Wait for a person to approve, even without a terminal.
  --deny                    Deny by itself instead of approving, after the
                            --auto-approve delay (default 3), even on a terminal.
  --faults LIST             Faults for the first polls, in order, comma-separated:
                            5xx, 429, reset, slow (no answer until the request
                            times out), slow_down, malformed, or none.
                            (default 5xx,slow_down)
  --interval SECONDS        The polling interval the emulator asks for (default 1).
  --expires-in SECONDS      How long the code lives (default 300).
  --json                    Write the outcome and the token set to stdout as JSON.
  --no-qr                   Do not print the QR code.
  --open                    Open the verification page in the browser.
  -h, --help                Show this help.
`;

const FAULTS: Readonly<Record<string, EmulatorFault>> = {
  '5xx': { type: 'server_error', status: 502 },
  '429': { type: 'rate_limited', retryAfterSeconds: 1 },
  reset: { type: 'reset' },
  slow: { type: 'hang' },
  slow_down: { type: 'github_200', error: 'slow_down' },
  malformed: { type: 'malformed' },
};
/** The request timeout the demo polls with, so a `slow` fault is ridden out quickly. */
const DEMO_REQUEST_TIMEOUT_MS = 2000;

/** `tokenpoll demo`. @internal */
export async function demo(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommand('demo', optionalValue(args, 'auto-approve'), {
    'auto-approve': { type: 'string' },
    'no-auto-approve': { type: 'boolean' },
    deny: { type: 'boolean' },
    faults: { type: 'string' },
    interval: { type: 'string' },
    'expires-in': { type: 'string' },
    ...OUTPUT_OPTIONS,
  });
  if (flag(values, 'help')) {
    io.stderr.write(DEMO_HELP);
    return 0;
  }
  const faults = parseFaults(text(values, 'faults') ?? '5xx,slow_down');
  const autoValue = text(values, 'auto-approve');
  if (autoValue !== undefined && flag(values, 'no-auto-approve')) throw new UsageError("--auto-approve and --no-auto-approve contradict each other (see 'tokenpoll demo --help')");
  const deny = flag(values, 'deny');
  if (deny && flag(values, 'no-auto-approve')) throw new UsageError("--deny and --no-auto-approve contradict each other (see 'tokenpoll demo --help')");
  // --deny always answers by itself; approving does when asked, or when no person is at stdin.
  const answerByItself = !flag(values, 'no-auto-approve') && (autoValue !== undefined || deny || !io.stdinIsTTY);
  const auto = answerByItself ? seconds(autoValue || '3', 'auto-approve', 'demo', { max: 3600 }) : undefined;
  const intervalSeconds = seconds(text(values, 'interval') ?? '1', 'interval', 'demo', { min: 0.01, max: 60 });
  const expiresInSeconds = seconds(text(values, 'expires-in') ?? '300', 'expires-in', 'demo', { min: 1, max: 3600 });

  const emulator = await startEmulator({
    intervalSeconds,
    expiresInSeconds,
    slowDownIncrementSeconds: 1,
    ...(auto === undefined ? {} : deny ? { autoDenyAfterMs: auto * 1000 } : { autoApproveAfterMs: auto * 1000 }),
  });
  try {
    for (const fault of faults) emulator.inject(fault, { path: '/token' });
    const terminal = new Terminal(io);
    terminal.line`${terminal.style('bold', 'tokenpoll demo')}: a device login against the emulator at ${emulator.url} (no network needed)`;
    if (faults.length > 0) terminal.line(terminal.style('dim', `Faults injected into the first polls: ${faultNames(text(values, 'faults') ?? '5xx,slow_down')}`));
    const hint =
      auto === undefined
        ? 'Open the page, enter the code and press Approve (or Deny). Ctrl-C cancels.'
        : `The emulator will ${deny ? 'deny' : 'approve'} by itself in ${formatDuration(auto * 1000)}${io.stdinIsTTY ? ', or approve on the page yourself' : ' (stdin is not a terminal)'}. Ctrl-C cancels.`;
    return await runLogin(
      (signal) => loginWithDeviceFlow({ issuer: emulator.url, clientId: 'tokenpoll-test', signal, requestTimeoutMs: DEMO_REQUEST_TIMEOUT_MS }),
      io,
      { json: flag(values, 'json'), qr: !flag(values, 'no-qr'), open: flag(values, 'open') },
      { hint },
    );
  } finally {
    await emulator.close();
  }
}

function parseFaults(list: string): EmulatorFault[] {
  const names = list.split(',').map((name) => name.trim()).filter((name) => name !== '' && name !== 'none');
  return names.map((name) => {
    // Own names only: `constructor` or `__proto__` must not find Object.prototype's members.
    const fault = Object.hasOwn(FAULTS, name) ? FAULTS[name] : undefined;
    if (fault === undefined) throw new UsageError(`unknown fault '${name}': use ${Object.keys(FAULTS).join(', ')} or none (see 'tokenpoll demo --help')`);
    return fault;
  });
}

function faultNames(list: string): string {
  return list.split(',').map((name) => name.trim()).filter((name) => name !== '').join(', ');
}
