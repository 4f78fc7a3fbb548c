import { describe, expect, test } from 'vitest';
import { jsonLine, neutralize } from '../../src/cli/safe-text.js';
import { Terminal } from '../../src/cli/terminal.js';
import type { EmulatorOptions } from '../../src/testing-emulator.js';
import { useEmulator } from '../helpers/use-emulator.js';
import { useTempDirs } from '../helpers/use-temp-dirs.js';
import { useHostileServers, rfc8628Routes } from './hostile-server.js';
import { jsonOut, runCli } from './run-cli.js';

// What a hostile server puts in its strings: OSC 52 writes the clipboard, CSI 2J clears the screen, OSC 0 sets
// the window title, U+009B is a one-character CSI, U+202E reverses what follows, and a newline forges a line.
const OSC52 = '\u001B]52;c;ZXZpbA==\u0007';
const CLEAR = '\u001B[2J\u001B[H';
const TITLE = '\u001B]0;pwned\u0007';
const C1 = '\u009B2J';
const BIDI = '\u202E';
const FORGED = '\n✔ Approved: fake';
const EVIL = `${OSC52}${CLEAR}${TITLE}${C1}${BIDI}${FORGED}`;
const EVIL_SHOWN = String.raw`\x1b]52;c;ZXZpbA==\x07\x1b[2J\x1b[H\x1b]0;pwned\x07\x9b2J\u202e\n✔ Approved: fake`;

/** No character that acts on a terminal: only printable text and line ends (off a terminal, no colours either). */
function expectInert(text: string): void {
  expect(text).not.toMatch(/[\u0000-\u0009\u000B-\u001F\u007F-\u009F\u061C\u200E\u200F\u2028\u2029\u202A-\u202E\u2066-\u2069]/);
}

describe('terminal escape injection', () => {
  describe('neutralize, jsonLine and the Terminal', () => {
    test('neutralize should show every control character escaped and leave the rest', () => {
      expect(neutralize(`code ${EVIL} ünïcödé ✔`)).toBe(`code ${EVIL_SHOWN} ünïcödé ✔`);
      expect(neutralize('\u0000\u007F\u0085\t\r\u2066\u2028')).toBe(String.raw`\x00\x7f\x85\t\r\u2066\u2028`);
    });

    test('jsonLine should write exact JSON that parses to the same value, with nothing raw that acts on a terminal', () => {
      const value = { tokenType: `Bearer${EVIL}`, nested: [`\u0085${BIDI}`] };
      const line = jsonLine(value);
      expect(line.endsWith('\n')).toBe(true);
      expect(JSON.parse(line)).toEqual(value);
      expectInert(line.slice(0, -1));
    });

    test('a colour terminal should keep its own styles and status moves, and escape every value it is given', () => {
      let written = '';
      const terminal = new Terminal({ stderr: { isTTY: true, columns: 200, write: (text: string) => (written += text) }, env: {} });
      terminal.line`${terminal.style('red', '✖')} ${`server says ${EVIL}`}`;
      terminal.line(terminal.style('dim', `(or open ${OSC52})`));
      terminal.line(`plain ${TITLE}`);
      terminal.status`${terminal.spin()} waiting ${CLEAR}`;
      terminal.status();
      // Only the terminal's own sequences: SGR colours, and the status line's CR + erase-line.
      const own = written.replace(/\u001B\[\d+m/g, '').replace(/\r\u001B\[2K/g, '');
      expect(own.replace(/\n/g, '')).not.toMatch(/[\u0000-\u001F\u007F-\u009F\u202E]/);
      expect(written).toContain(`\u001B[31m✖\u001B[39m server says ${EVIL_SHOWN}\n`);
      expect(written).toContain(`\u001B[2m(or open ${String.raw`\x1b]52;c;ZXZpbA==\x07`})\u001B[22m\n`);
      expect(written).toContain(String.raw`plain \x1b]0;pwned\x07`);
      expect(written).toContain(String.raw`waiting \x1b[2J\x1b[H`);
    });
  });

  describe('the CLI', () => {
    const hostile = useHostileServers();
    const emulator = useEmulator();
    const tempDir = useTempDirs('tokenpoll-home-');

    test('should show a hostile user code, token_type and scope escaped on stderr, and keep them exact in --json', async () => {
      const userCode = `WDJB-MJHT${EVIL}`;
      const tokenType = `Bearer${TITLE}`;
      const scope = `openid${OSC52}${FORGED}`;
      const server = await hostile(
        rfc8628Routes({ user_code: userCode }, (count) =>
          count === 1 ? { status: 400, body: { error: 'authorization_pending' } } : { body: { access_token: 'at-secret-value', token_type: tokenType, scope, expires_in: 3600 } },
        ),
      );
      const run = await runCli(['login', '--issuer', server.url, '--client-id', 'app', '--json']);
      expect(run.code, run.stderr).toBe(0);
      expectInert(run.stderr);
      expect(run.stderr).toContain(`and enter the code WDJB-MJHT${EVIL_SHOWN}\n`);
      expect(run.stderr).toContain(String.raw`✔ Approved: Bearer\x1b]0;pwned\x07 token received, expires in 1h, scope openid\x1b]52;c;ZXZpbA==\x07\n✔ Approved: fake.`);
      // The QR code is drawn as before (its text is the URL, which the library has checked).
      expect(run.stderr).toMatch(/^ {2}[█▀▄ ]{20,}$/m);
      expectInert(run.stdout.trimEnd());
      expect(jsonOut(run)).toMatchObject({ outcome: 'granted', token: { tokenType, scope, accessToken: 'at-secret-value' } });
    });

    test('should show a hostile OAuth error and error_description escaped', async () => {
      const server = await hostile(rfc8628Routes({}, () => ({ status: 400, body: { error: `invalid_grant${CLEAR}`, error_description: `Refused${EVIL}` } })));
      const run = await runCli(['login', '--issuer', server.url, '--client-id', 'app', '--no-qr', '--json']);
      expect(run.code, run.stderr).toBe(1);
      expectInert(run.stderr);
      expect(run.stderr).toContain(String.raw`invalid_grant\x1b[2J\x1b[H`);
      expect(run.stderr).toContain(`Refused${EVIL_SHOWN}`);
      expect(run.stderr).not.toMatch(/^✔ Approved/m);
      expectInert(run.stdout.trimEnd());
      expect(jsonOut(run)).toMatchObject({ outcome: 'failed', error: { message: expect.stringContaining(`Refused${EVIL}`) } });
    });

    /** A session logged in at an emulator, for the aws commands. */
    async function awsSession(accounts?: EmulatorOptions['accounts']): Promise<{ home: string; common: string[]; portal: string }> {
      const server = await emulator({ intervalSeconds: 0.05, approveOnPoll: 1, ...(accounts === undefined ? {} : { accounts }) });
      const home = await tempDir();
      const common = ['--start-url', 'https://d-1234567890.awsapps.com/start', '--region', 'eu-west-1', '--session-name', 'my-sso', '--endpoint', server.awsEndpoint];
      const login = await runCli(['login', '--aws', ...common, '--no-qr'], { HOME: home });
      expect(login.code, login.stderr).toBe(0);
      return { home, common, portal: server.awsPortalEndpoint };
    }

    test('should show hostile account names, emails and role names escaped in the aws accounts table, and exact with --json', async () => {
      const accounts = [{ accountId: '111122223333', accountName: `Prod${OSC52}`, emailAddress: `ops${TITLE}@example.com`, roles: [`Admin${CLEAR}`, `Read${C1}${BIDI}`] }];
      const { home, common, portal } = await awsSession(accounts);
      const table = await runCli(['aws', 'accounts', ...common, '--portal-endpoint', portal], { HOME: home });
      expect(table.code, table.stderr).toBe(0);
      expectInert(table.stdout);
      const lines = table.stdout.split('\n');
      expect(lines).toHaveLength(3);
      expect(lines[1]).toBe(String.raw`111122223333  Prod\x1b]52;c;ZXZpbA==\x07  ops\x1b]0;pwned\x07@example.com  Admin\x1b[2J\x1b[H, Read\x9b2J\u202e`);
      // The header is padded to the escaped width, so the columns line up.
      expect(lines[0]!.indexOf('EMAIL')).toBe(lines[1]!.indexOf('ops'));
      const json = await runCli(['aws', 'accounts', ...common, '--portal-endpoint', portal, '--json'], { HOME: home });
      expectInert(json.stdout.trimEnd());
      expect(JSON.parse(json.stdout)).toEqual({ accounts });
    });

    test("should show a hostile portal error message escaped", async () => {
      const { home, common } = await awsSession();
      const portal = await hostile(() => ({ status: 400, body: { message: `No such account${EVIL}` }, headers: { 'x-amzn-errortype': 'InvalidRequestException' } }));
      const run = await runCli(['aws', 'credentials', ...common, '--portal-endpoint', portal.url, '--account-id', '111122223333', '--role-name', 'ReadOnly'], { HOME: home });
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expectInert(run.stderr);
      expect(run.stderr).toContain(`No such account${EVIL_SHOWN}`);
    });
  });
});
