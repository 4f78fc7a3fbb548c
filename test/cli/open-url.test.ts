import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test, vi } from 'vitest';
import { openableUrl, openUrl } from '../../src/cli/open-url.js';
import { useTempDirs } from '../helpers/use-temp-dirs.js';
import { useHostileServers, rfc8628Routes } from './hostile-server.js';
import { jsonOut, runCli } from './run-cli.js';

const REFUSED = [
  'javascript:alert(document.cookie)',
  'file:///etc/passwd',
  '--remote-debugging-port=9222',
  '-a Calculator',
  'http://id.example.com/device',
  'https://id.example.com@evil.example/device',
  'data:text/html,<script>alert(1)</script>',
  'not a url',
];

describe('opening the verification URL (--open)', () => {
  const tempDir = useTempDirs('tokenpoll-open-');

  /** A BROWSER command that writes its arguments, one a line, to a file. */
  async function recordingBrowser(): Promise<{ command: string; opened: string }> {
    const dir = await tempDir();
    const command = join(dir, 'browser.sh');
    const opened = join(dir, 'opened.txt');
    await writeFile(command, `#!/bin/sh\nprintf '%s\\n' "$@" > '${opened}'\n`);
    await chmod(command, 0o755);
    return { command, opened };
  }

  test.each(REFUSED)('should never hand %j to a browser, and say so', async (url) => {
    expect(openableUrl(url)).toBeUndefined();
    const warnings: string[] = [];
    const browser = await recordingBrowser();
    // openUrl decides before it spawns anything: false means no process was started.
    expect(openUrl(url, { env: { BROWSER: browser.command } }, (message) => warnings.push(message))).toBe(false);
    expect(warnings).toEqual([expect.stringMatching(/^not opening the verification URL: only https: URLs/)]);
  });

  test.each([
    ['https://id.example.com/device?user_code=WDJB-MJHT', 'https://id.example.com/device?user_code=WDJB-MJHT'],
    ['HTTPS://ID.example.com', 'https://id.example.com/'],
    ['http://127.0.0.1:8080/device', 'http://127.0.0.1:8080/device'],
    ['http://localhost/device', 'http://localhost/device'],
  ])('should open %j, as %j', (url, href) => {
    expect(openableUrl(url)).toBe(href);
  });

  test('should hand the URL exactly, even with $& or $\' in it, where BROWSER says %s', async () => {
    const browser = await recordingBrowser();
    const url = "https://id.example.com/device?a=$&b=$'&c=$`";
    expect(openUrl(url, { env: { BROWSER: `${browser.command} --new-window --app=%s` } }, () => {})).toBe(true);
    // The browser runs detached: wait for it to have written.
    const args = await vi.waitFor(async () => (await readFile(browser.opened, 'utf8')).split('\n').slice(0, -1), { timeout: 5000 });
    expect(args).toEqual(['--new-window', `--app=${new URL(url).href}`]);
  });

  describe('a login whose server sends a verification URI that is not https:', () => {
    const hostile = useHostileServers();

    test.each([
      ['verification_uri_complete', 'javascript:alert(1)'],
      ['verification_uri', '--remote-debugging-port=9222'],
      ['verification_uri', 'file:///etc/passwd'],
    ])('should fail (exit 1, not 2) with --open when %s is %j', async (member, uri) => {
      const browser = await recordingBrowser();
      const server = await hostile(rfc8628Routes({ [member]: uri }, () => ({ status: 400, body: { error: 'authorization_pending' } })));
      const run = await runCli(['login', '--issuer', server.url, '--client-id', 'app', '--no-qr', '--open', '--json'], { BROWSER: browser.command });
      expect(run.code, run.stderr).toBe(1);
      expect(jsonOut(run)).toMatchObject({ outcome: 'failed', error: { code: 'ERR_INVALID_RESPONSE' } });
      expect(run.stderr).toContain(`has a ${member} that is not an https: URL`);
      expect(run.stderr).not.toContain('To sign in');
      // No code was shown, so nothing was polled (and nothing opened).
      expect(server.paths).not.toContain('/token');
    });
  });
});
