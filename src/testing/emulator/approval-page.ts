/// <reference types="node" />
import { createHash } from 'node:crypto';
import type { EmulatorContext } from './context.js';
import { isForm, parseForm, respond, type Exchange, type Handler } from './http-io.js';

/**
 * The pages' one stylesheet, inline (no external asset, no web font): the
 * system font stack, light and dark through `prefers-color-scheme`, and a
 * single column that fits a phone.
 */
const STYLE = `
:root { color-scheme: light dark; --bg: #f4f5f7; --card: #fff; --text: #1b1f24; --muted: #57606a; --line: #d0d7de; --accent: #0969da; --accent-text: #fff; --good: #1a7f37; --bad: #cf222e; }
@media (prefers-color-scheme: dark) { :root { --bg: #0d1117; --card: #161b22; --text: #e6edf3; --muted: #8d96a0; --line: #30363d; --accent: #2f81f7; --good: #3fb950; --bad: #f85149; } }
* { box-sizing: border-box; }
body { margin: 0; min-height: 100vh; display: grid; place-items: center; padding: 1rem; background: var(--bg); color: var(--text); font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { width: 100%; max-width: 26rem; padding: 2rem 1.5rem; background: var(--card); border: 1px solid var(--line); border-radius: 12px; box-shadow: 0 8px 24px rgb(0 0 0 / 0.08); }
.brand { margin: 0 0 1.25rem; color: var(--muted); font-size: 0.875rem; letter-spacing: 0.04em; text-transform: uppercase; }
h1 { margin: 0 0 1rem; font-size: 1.5rem; line-height: 1.25; }
p { margin: 0 0 1rem; }
.hint { color: var(--muted); font-size: 0.875rem; }
label { display: block; font-weight: 600; }
input { width: 100%; padding: 0.5rem 0.75rem; border: 2px solid var(--line); border-radius: 8px; background: var(--bg); color: var(--text); font: 600 2rem/1.2 ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; letter-spacing: 0.15em; text-align: center; text-transform: uppercase; }
input:focus-visible, button:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.actions { display: flex; flex-wrap: wrap; gap: 0.75rem; margin: 1.5rem 0 0; }
button { flex: 1 1 8rem; min-height: 2.75rem; padding: 0.5rem 1rem; border: 1px solid var(--line); border-radius: 8px; background: transparent; color: var(--text); font: inherit; font-weight: 600; cursor: pointer; }
button[value="approve"] { background: var(--accent); border-color: var(--accent); color: var(--accent-text); }
button:hover { filter: brightness(1.08); }
[role="alert"] { padding: 0.75rem 1rem; border-left: 4px solid var(--bad); border-radius: 4px; background: color-mix(in srgb, var(--bad) 12%, transparent); }
.approved h1 { color: var(--good); }
.denied h1 { color: var(--bad); }
`;

/**
 * What the pages allow: nothing but the stylesheet above (by its hash, so no
 * `'unsafe-inline'`) and a form posted back here.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  `style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`,
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The approval page at `verification_uri` (`GET`/`POST /device`), for both sides. @internal */
export function approvalRoutes(context: EmulatorContext): Map<string, Handler> {
  return new Map<string, Handler>([
    ['GET /device', (exchange) => respondPage(exchange, 200, 'Connect a device', form(exchange.query.get('user_code') ?? ''))],
    ['POST /device', (exchange) => decide(exchange, context)],
  ]);
}

function decide(exchange: Exchange, context: EmulatorContext): void {
  const params = isForm(exchange.req) ? parseForm(exchange.body) : {};
  const userCode = params['user_code'] ?? '';
  const action = params['action'];
  if (action !== 'approve' && action !== 'deny') {
    respondPage(exchange, 400, 'Something went wrong', `<p role="alert">Choose Approve or Deny.</p>${form(userCode)}`);
    return;
  }
  const problem = context.state.decide(userCode, action === 'approve' ? 'approved' : 'denied');
  if (problem !== undefined) {
    respondPage(exchange, 400, 'That code did not work', `<p role="alert">${escapeHtml(problem)}.</p>${form(userCode)}`);
    return;
  }
  if (action === 'approve') {
    respondPage(exchange, 200, 'Device approved', '<p>Go back to your device: the app will continue on its own and finish signing in.</p>\n<p class="hint">You can close this tab.</p>', 'approved');
  } else {
    respondPage(exchange, 200, 'Device denied', '<p>The device will not be signed in: the app on it will stop and say that access was denied.</p>\n<p class="hint">If that was a mistake, start again on your device to get a new code. You can close this tab.</p>', 'denied');
  }
}

function form(userCode: string): string {
  return [
    '<form method="post" action="/device">',
    '<p><label for="user_code">Enter the code shown on your device</label></p>',
    `<p><input id="user_code" name="user_code" value="${escapeHtml(userCode)}" autocomplete="off" autocapitalize="characters" spellcheck="false" required aria-describedby="user_code_hint"></p>`,
    '<p class="hint" id="user_code_hint">Only approve if you started signing in on that device and the code matches.</p>',
    '<p class="actions"><button type="submit" name="action" value="approve">Approve</button> ',
    '<button type="submit" name="action" value="deny">Deny</button></p>',
    '</form>',
  ].join('\n');
}

function respondPage(exchange: Exchange, status: number, title: string, content: string, outcome?: 'approved' | 'denied'): void {
  respond(exchange, status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-security-policy': CONTENT_SECURITY_POLICY }, page(title, content, outcome));
}

function page(title: string, content: string, outcome: 'approved' | 'denied' | undefined): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="color-scheme" content="light dark"><title>${escapeHtml(title)} · tokenpoll emulator</title>
<style>${STYLE}</style></head>
<body>
<main${outcome === undefined ? '' : ` class="${outcome}"`}>
<p class="brand">tokenpoll emulator</p>
<h1>${escapeHtml(title)}</h1>
${content}
</main>
</body>
</html>
`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
