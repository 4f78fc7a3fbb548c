import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { authorizeAws, authorizeRfc, call, pollAws, pollRfc, postForm, useEmulator } from './helpers.js';

const start = useEmulator();

describe('emulator (approval page)', () => {
  describe('should serve a form at verification_uri', () => {
    test('when opened at verification_uri_complete, the code is filled in, with Approve and Deny buttons', async () => {
      const emulator = await start();
      const { body, userCode } = await authorizeRfc(emulator);
      const page = await call(body['verification_uri_complete'] as string);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(page.text).toContain('<form method="post" action="/device">');
      expect(page.text).toContain(`name="user_code" value="${userCode}"`);
      expect(page.text).toMatch(/<button type="submit" name="action" value="approve">Approve<\/button>/);
      expect(page.text).toMatch(/<button type="submit" name="action" value="deny">Deny<\/button>/);
    });

    test('when opened at verification_uri, the field is empty, and odd input is escaped', async () => {
      const emulator = await start();
      const { body } = await authorizeRfc(emulator);
      expect((await call(body['verification_uri'] as string)).text).toContain('name="user_code" value=""');
      expect((await call(`${emulator.url}/device?user_code=%22%3E%3Cscript%3E`)).text).not.toContain('"><script>');
    });

    test('when any page is served, its CSP allows only its one inline stylesheet, by hash, and posting back to itself', async () => {
      const emulator = await start();
      const pages = [await call(`${emulator.url}/device`), await postForm(`${emulator.url}/device`, { user_code: 'BCDF-GHJK', action: 'approve' })];
      for (const page of pages) {
        const policy = page.headers.get('content-security-policy') ?? '';
        const styles = [...page.text.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((match) => match[1]!);
        expect(styles).toHaveLength(1);
        expect(page.text).not.toMatch(/<link|<script|\sstyle=|url\(/);
        expect(policy.split('; ')).toEqual([
          "default-src 'none'",
          `style-src 'sha256-${createHash('sha256').update(styles[0]!).digest('base64')}'`,
          "form-action 'self'",
          "base-uri 'none'",
          "frame-ancestors 'none'",
        ]);
      }
    });
  });

  describe('should apply what the person chose', () => {
    test('when they type the code and click Approve, the token endpoint grants', async () => {
      const emulator = await start({ intervalSeconds: 0 });
      const { deviceCode, userCode } = await authorizeRfc(emulator);
      const before = await pollRfc(emulator, deviceCode);
      const page = await postForm(`${emulator.url}/device`, { user_code: userCode, action: 'approve' });
      const after = await pollRfc(emulator, deviceCode);
      expect(before.json).toMatchObject({ error: 'authorization_pending' });
      expect(page.status).toBe(200);
      expect(page.text).toContain('Device approved');
      expect(after.status).toBe(200);
      expect(after.json).toMatchObject({ access_token: expect.any(String), token_type: 'Bearer' });
    });

    test('when they type the code loosely (lower case, no dash) and click Deny, the token endpoint answers access_denied', async () => {
      const emulator = await start({ intervalSeconds: 0 });
      const { deviceCode, userCode } = await authorizeRfc(emulator);
      const page = await postForm(`${emulator.url}/device`, { user_code: userCode.toLowerCase().replace('-', ''), action: 'deny' });
      expect(page.status).toBe(200);
      expect(page.text).toContain('Device denied');
      expect((await pollRfc(emulator, deviceCode)).json).toMatchObject({ error: 'access_denied' });
    });

    test('when the code came from the AWS side, its CreateToken grants', async () => {
      const emulator = await start({ intervalSeconds: 0 });
      const client = await authorizeAws(emulator);
      expect(client.body['verificationUri']).toBe(`${emulator.url}/device`);
      await postForm(`${emulator.url}/device`, { user_code: client.userCode, action: 'approve' });
      const answer = await pollAws(emulator, client);
      expect(answer.status).toBe(200);
      expect(answer.json).toMatchObject({ accessToken: expect.any(String), tokenType: 'Bearer' });
    });
  });

  describe('should refuse with a 400 page', () => {
    test('when the code is unknown', async () => {
      const emulator = await start();
      const page = await postForm(`${emulator.url}/device`, { user_code: 'BCDF-GHJK', action: 'approve' });
      expect(page.status).toBe(400);
      expect(page.text).toContain('unknown user code');
      expect(page.text).toContain('<form');
    });

    test('when no action is chosen', async () => {
      const emulator = await start();
      const { userCode } = await authorizeRfc(emulator);
      expect((await postForm(`${emulator.url}/device`, { user_code: userCode })).status).toBe(400);
      expect(emulator.codes[0]?.status).toBe('pending');
    });

    test('when the code has expired or was already decided the other way', async () => {
      const emulator = await start();
      const expired = await authorizeRfc(emulator);
      const denied = await authorizeRfc(emulator);
      emulator.expire(expired.userCode);
      emulator.deny(denied.userCode);
      const late = await postForm(`${emulator.url}/device`, { user_code: expired.userCode, action: 'approve' });
      const reversed = await postForm(`${emulator.url}/device`, { user_code: denied.userCode, action: 'approve' });
      expect([late.status, reversed.status]).toEqual([400, 400]);
      expect(late.text).toContain('already expired');
      expect(emulator.codes.map((code) => code.status)).toEqual(['expired', 'denied']);
    });
  });
});
