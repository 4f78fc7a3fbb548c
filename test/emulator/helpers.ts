import type { Emulator } from '../../src/testing-emulator.js';

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
export const AWS_ERROR_NAMESPACE = 'http://internal.amazon.com/coral/com.amazonaws.sso.oidc/';

export { useEmulator } from '../helpers/use-emulator.js';

export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly json: Record<string, unknown> | undefined;
}

/** Sends a request and reads the whole answer. */
export async function call(url: string, init: RequestInit = {}): Promise<Answer> {
  const response = await fetch(url, init);
  const text = await response.text();
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** POSTs a form (fetch sets application/x-www-form-urlencoded). */
export function postForm(url: string, params: Record<string, string>, headers: Record<string, string> = {}): Promise<Answer> {
  return call(url, { method: 'POST', body: new URLSearchParams(params), headers });
}

/** POSTs JSON, the way the AWS rest-json protocol does. */
export function postJson(url: string, body: unknown): Promise<Answer> {
  return call(url, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
}

/** RFC side: asks for a device code as the default public client. */
export async function authorizeRfc(emulator: Emulator, params: Record<string, string> = { client_id: 'tokenpoll-test' }, headers?: Record<string, string>): Promise<{ deviceCode: string; userCode: string; body: Record<string, unknown> }> {
  const answer = await postForm(`${emulator.url}/device_authorization`, params, headers);
  if (answer.status !== 200 || !answer.json) throw new Error(`device authorization failed: ${answer.status} ${answer.text}`);
  return { deviceCode: answer.json['device_code'] as string, userCode: answer.json['user_code'] as string, body: answer.json };
}

/** RFC side: one device code token request as the default public client. */
export function pollRfc(emulator: Emulator, deviceCode: string, params: Record<string, string> = { client_id: 'tokenpoll-test' }, headers?: Record<string, string>): Promise<Answer> {
  return postForm(`${emulator.url}/token`, { grant_type: DEVICE_CODE_GRANT, device_code: deviceCode, ...params }, headers);
}

/** AWS side: registers a client and starts a device authorization. */
export async function authorizeAws(emulator: Emulator, scopes?: string[]): Promise<{ clientId: string; clientSecret: string; deviceCode: string; userCode: string; body: Record<string, unknown> }> {
  const registration = await postJson(`${emulator.awsEndpoint}/client/register`, { clientName: 'test', clientType: 'public', ...(scopes ? { scopes } : {}) });
  const clientId = registration.json?.['clientId'] as string;
  const clientSecret = registration.json?.['clientSecret'] as string;
  const answer = await postJson(`${emulator.awsEndpoint}/device_authorization`, { clientId, clientSecret, startUrl: 'https://example.awsapps.com/start' });
  if (answer.status !== 200 || !answer.json) throw new Error(`StartDeviceAuthorization failed: ${answer.status} ${answer.text}`);
  return { clientId, clientSecret, deviceCode: answer.json['deviceCode'] as string, userCode: answer.json['userCode'] as string, body: answer.json };
}

/** AWS side: one CreateToken call with the device code grant. */
export function pollAws(emulator: Emulator, client: { clientId: string; clientSecret: string; deviceCode: string }): Promise<Answer> {
  const { clientId, clientSecret, deviceCode } = client;
  return postJson(`${emulator.awsEndpoint}/token`, { clientId, clientSecret, grantType: DEVICE_CODE_GRANT, deviceCode });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
