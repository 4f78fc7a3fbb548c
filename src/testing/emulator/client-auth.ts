/// <reference types="node" />
import { respondOAuthError, type Exchange } from './http-io.js';
import type { EmulatorSettings } from './settings.js';

/**
 * Authenticates the client the way it is configured to (RFC 6749 §2.3.1);
 * answers 401 `invalid_client` and returns `undefined` on any mismatch.
 * @internal
 */
export function authenticate(exchange: Exchange, params: Record<string, string>, settings: EmulatorSettings): string | undefined {
  const fail = (description: string): undefined => {
    respondOAuthError(exchange, 'invalid_client', description, 401, { 'www-authenticate': 'Basic realm="tokenpoll-emulator"' });
    return undefined;
  };
  const header = exchange.req.headers.authorization;
  let basic: { id: string; secret: string } | undefined;
  if (header !== undefined) {
    const match = /^Basic +([A-Za-z0-9+/=]+)$/i.exec(header.trim());
    const decoded = match ? Buffer.from(match[1]!, 'base64').toString('utf8') : '';
    const colon = decoded.indexOf(':');
    if (colon === -1) return fail('the Authorization header is not HTTP Basic client credentials');
    basic = { id: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
  }
  const bodyId = params['client_id'];
  const bodySecret = params['client_secret'];
  if (basic && bodyId !== undefined && bodyId !== basic.id) return fail('client_id differs from the one in the Authorization header');
  const clientId = basic?.id ?? bodyId;
  if (!clientId) return fail('no client_id');
  const client = settings.clients.get(clientId);
  if (!client) return fail('unknown client');
  switch (client.authMethod) {
    case 'none':
      return basic || bodySecret !== undefined ? fail('this client is public (none): send client_id only, no secret') : clientId;
    case 'client_secret_basic':
      if (!basic || bodySecret !== undefined) return fail('this client authenticates with client_secret_basic only');
      return basic.secret === client.clientSecret ? clientId : fail('wrong client secret');
    case 'client_secret_post':
      if (basic) return fail('this client authenticates with client_secret_post only');
      return bodySecret === client.clientSecret ? clientId : fail('wrong or missing client secret');
    default: {
      const unknown: never = client.authMethod;
      return fail(`unsupported authentication method ${String(unknown)}`);
    }
  }
}

/** Decodes one half of Basic credentials, which RFC 6749 §2.3.1 form-encodes first. */
function formDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}
