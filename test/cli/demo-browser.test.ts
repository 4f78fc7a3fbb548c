import { describe, expect, test } from 'vitest';
import { chromiumMissing, withBrowser } from '../helpers/browser.js';
import { jsonOut, startCli } from './run-cli.js';

describe.skipIf(chromiumMissing !== undefined)(`the demo's approval page, in headless Chromium${chromiumMissing ? ` (skipped: ${chromiumMissing})` : ''}`, () => {
  test('should let a person type the code and approve, and the CLI then exits 0', async () => {
    const cli = startCli(['demo', '--no-auto-approve', '--interval', '0.1', '--faults', 'none', '--no-qr', '--json']);
    try {
      await cli.waitFor(/and enter the code [A-Z]{4}-[A-Z]{4}\n/);
      const [, verificationUri, userCode] = /To sign in, open (\S+)\nand enter the code (\S+)\n/.exec(cli.stderr())!;
      await withBrowser(async (page) => {
        await page.goto(verificationUri!);
        await page.getByLabel('Enter the code shown on your device').fill(userCode!);
        await page.getByRole('button', { name: 'Approve' }).click();
        expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Device approved');
      });
      const run = await cli.done;
      expect(run.code, run.stderr).toBe(0);
      expect(jsonOut(run)).toMatchObject({ outcome: 'granted' });
      expect(run.stderr).toContain('✔ Approved');
    } finally {
      cli.child.kill();
    }
  });

  test('should exit 3 when the person presses Deny', async () => {
    const cli = startCli(['demo', '--no-auto-approve', '--interval', '0.1', '--faults', 'none', '--no-qr']);
    try {
      await cli.waitFor(/\(or open (\S+), which has the code in it\)\n/);
      const [, complete] = /\(or open (\S+), which has the code in it\)/.exec(cli.stderr())!;
      await withBrowser(async (page) => {
        await page.goto(complete!);
        // The complete URL fills the code in.
        expect(await page.getByLabel('Enter the code shown on your device').inputValue()).toMatch(/^[A-Z]{4}-[A-Z]{4}$/);
        await page.getByRole('button', { name: 'Deny' }).click();
        expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Device denied');
      });
      expect((await cli.done).code).toBe(3);
    } finally {
      cli.child.kill();
    }
  });
});
