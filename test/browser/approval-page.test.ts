/**
 * The emulator's approval page and its result pages render styled in headless
 * Chromium: each is screenshotted (a non-empty PNG, not a pixel match), and
 * computed styles show the one inline stylesheet applied under the page's
 * Content-Security-Policy, in light and dark, with nothing loaded from
 * anywhere else.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startEmulator, type Emulator } from '../../src/testing-emulator.js';
import { authorizeRfc } from '../emulator/helpers.js';
import { chromiumMissing, withBrowser } from '../helpers/browser.js';

const LABEL = 'Enter the code shown on your device';
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

describe('browser (approval page)', () => {
  let emulator: Emulator;
  let shots: string;

  beforeAll(async () => {
    emulator = await startEmulator();
    shots = await mkdtemp(join(tmpdir(), 'tokenpoll-screenshots-'));
  });

  afterAll(async () => {
    await emulator?.close();
    if (shots !== undefined) await rm(shots, { recursive: true, force: true });
  });

  describe('should render styled', () => {
    test('when the approval page opens, light and dark: monospaced code, a primary Approve and a secondary Deny', async ({ skip }) => {
      skip(chromiumMissing !== undefined, chromiumMissing);

      // Arrange
      const { userCode } = await authorizeRfc(emulator);

      await withBrowser(async (page) => {
        const watch = watchPage(page);

        // Act
        await page.emulateMedia({ colorScheme: 'light' });
        await page.goto(`${emulator.url}/device?user_code=${userCode}`);
        const light = await screenshot(page, 'approval-light');
        const lightLook = await look(page);
        await page.emulateMedia({ colorScheme: 'dark' });
        const dark = await screenshot(page, 'approval-dark');
        const darkLook = await look(page);

        // Assert
        expect(await page.getByLabel(LABEL).inputValue()).toBe(userCode);
        for (const png of [light, dark]) expectPng(png);
        expect(lightLook.inputFont).toMatch(/monospace/);
        expect(lightLook.bodyFont).toMatch(/system-ui/);
        expect(lightLook.approveBackground).not.toBe(lightLook.denyBackground);
        expect(darkLook.approveBackground).not.toBe(darkLook.denyBackground);
        expect(luminance(lightLook.bodyBackground)).toBeGreaterThan(0.8);
        expect(luminance(darkLook.bodyBackground)).toBeLessThan(0.2);
        expect(luminance(darkLook.bodyColor)).toBeGreaterThan(0.6);
        expect(watch.cspViolations).toEqual([]);
        expect(watch.foreign).toEqual([]);
      });
    });

    test('when a code is approved, denied or refused, each result page says what happens next', async ({ skip }) => {
      skip(chromiumMissing !== undefined, chromiumMissing);

      // Arrange
      const approved = await authorizeRfc(emulator);
      const denied = await authorizeRfc(emulator);

      await withBrowser(async (page) => {
        const watch = watchPage(page);
        await page.emulateMedia({ colorScheme: 'dark' });

        // Act
        const results = [];
        for (const [userCode, button, heading] of [
          [approved.userCode, 'Approve', 'Device approved'],
          [denied.userCode, 'Deny', 'Device denied'],
          ['BCDF-GHJK', 'Approve', 'That code did not work'],
        ] as const) {
          await page.goto(`${emulator.url}/device`);
          await page.getByLabel(LABEL).fill(userCode);
          await page.getByRole('button', { name: button }).click();
          await page.getByRole('heading', { level: 1, name: heading }).waitFor();
          results.push({ heading, png: await screenshot(page, heading), look: await look(page), text: await page.locator('main').innerText() });
        }

        // Assert
        const [approvedPage, deniedPage, refusedPage] = results;
        expect(approvedPage!.text).toMatch(/Go back to your device: the app will continue/);
        expect(deniedPage!.text).toMatch(/will not be signed in/);
        expect(refusedPage!.text).toMatch(/unknown user code/);
        expect(await page.getByRole('alert').count()).toBe(1);
        expect(await page.getByRole('button', { name: 'Approve' }).count()).toBe(1);
        for (const result of results) {
          expectPng(result.png);
          expect(luminance(result.look.bodyBackground), result.heading).toBeLessThan(0.2);
          expect(result.look.bodyFont, result.heading).toMatch(/system-ui/);
        }
        expect(refusedPage!.look.inputFont).toMatch(/monospace/);
        expect(emulator.codes.map((code) => code.status)).toEqual(['pending', 'approved', 'denied']);
        expect(watch.cspViolations).toEqual([]);
        expect(watch.foreign).toEqual([]);
      });
    });
  });

  // Helpers

  /** Collects what the page reports as blocked by its CSP, and requests that leave the emulator. */
  function watchPage(page: Page): { cspViolations: string[]; foreign: string[] } {
    const watch = { cspViolations: [] as string[], foreign: [] as string[] };
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) watch.cspViolations.push(message.text());
    });
    page.on('request', (request) => {
      if (!request.url().startsWith(`${emulator.url}/`)) watch.foreign.push(request.url());
    });
    return watch;
  }

  /** Screenshots the whole page into the temp folder and reads the PNG back. */
  async function screenshot(page: Page, name: string): Promise<Buffer> {
    const path = join(shots, `${name.replace(/\W+/g, '-')}.png`);
    await page.screenshot({ path, fullPage: true });
    return readFile(path);
  }

  /** The computed styles that show the stylesheet applied (the input and buttons only when the page has a form). */
  function look(page: Page): Promise<{ bodyFont: string; bodyBackground: string; bodyColor: string; inputFont?: string; approveBackground?: string; denyBackground?: string }> {
    return page.evaluate(() => {
      const style = (selector: string): CSSStyleDeclaration | undefined => {
        const element = document.querySelector(selector);
        return element === null ? undefined : getComputedStyle(element);
      };
      const body = getComputedStyle(document.body);
      return {
        bodyFont: body.fontFamily,
        bodyBackground: body.backgroundColor,
        bodyColor: body.color,
        ...(style('input') === undefined ? {} : { inputFont: style('input')!.fontFamily }),
        ...(style('button[value="approve"]') === undefined ? {} : { approveBackground: style('button[value="approve"]')!.backgroundColor }),
        ...(style('button[value="deny"]') === undefined ? {} : { denyBackground: style('button[value="deny"]')!.backgroundColor }),
      };
    });
  }
});

function expectPng(png: Buffer): void {
  expect(png.subarray(0, 8)).toEqual(PNG_SIGNATURE);
  expect(png.byteLength).toBeGreaterThan(1_000);
}

/** Relative luminance (0 black to 1 white) of a computed `rgb(…)`/`rgba(…)` colour. */
function luminance(color: string): number {
  const [r, g, b] = (color.match(/[\d.]+/g) ?? []).map(Number).map((channel) => channel / 255).map((c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  if (r === undefined || g === undefined || b === undefined) throw new Error(`not an rgb colour: ${color}`);
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
