import type { EmulatorContext } from './context.js';
import { isForm, parseForm, respondHtml, type Exchange, type Handler } from './http-io.js';

/** The approval page at `verification_uri` (`GET`/`POST /device`), for both sides. @internal */
export function approvalRoutes(context: EmulatorContext): Map<string, Handler> {
  return new Map<string, Handler>([
    ['GET /device', (exchange) => respondHtml(exchange, 200, page('Connect a device', form(exchange.query.get('user_code') ?? '')))],
    ['POST /device', (exchange) => decide(exchange, context)],
  ]);
}

function decide(exchange: Exchange, context: EmulatorContext): void {
  const params = isForm(exchange.req) ? parseForm(exchange.body) : {};
  const userCode = params['user_code'] ?? '';
  const action = params['action'];
  if (action !== 'approve' && action !== 'deny') {
    respondHtml(exchange, 400, page('Something went wrong', `<p role="alert">Choose Approve or Deny.</p>${form(userCode)}`));
    return;
  }
  const problem = context.state.decide(userCode, action === 'approve' ? 'approved' : 'denied');
  if (problem !== undefined) {
    respondHtml(exchange, 400, page('That code did not work', `<p role="alert">${escapeHtml(problem)}.</p>${form(userCode)}`));
    return;
  }
  const done = action === 'approve' ? 'Device approved' : 'Device denied';
  respondHtml(exchange, 200, page(done, `<p>${action === 'approve' ? 'You can go back to your device.' : 'The device will not be signed in.'}</p>`));
}

function form(userCode: string): string {
  return [
    '<form method="post" action="/device">',
    '<p><label for="user_code">Enter the code shown on your device</label></p>',
    `<p><input id="user_code" name="user_code" value="${escapeHtml(userCode)}" autocomplete="off" autocapitalize="characters" spellcheck="false" required></p>`,
    '<p><button type="submit" name="action" value="approve">Approve</button> ',
    '<button type="submit" name="action" value="deny">Deny</button></p>',
    '</form>',
  ].join('\n');
}

function page(title: string, content: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(title)} · tokenpoll emulator</title></head>
<body>
<main>
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
