import { afterEach, describe, expect, test } from 'vitest';
import {
  classifyThrown,
  classifyTokenResponse,
  constantBackoff,
  discover,
  DiscoveryError,
  InvalidResponseError,
  LostGrantError,
  loginWithDeviceFlow,
  OAuthError,
  refreshToken,
  requestDeviceAuthorization,
  ResponseTooLargeError,
  tokenTransport,
  type LoginEvents,
  type RetryEvent,
} from '../../src/index.js';
import { ManualClock } from '../../src/testing.js';
import { startLocalServer, type LocalServer, type Reply, type SeenRequest } from './local-server.js';
import { recordEvents } from './record-events.js';

const DEVICE_CODE = 'dc-wire-secret';
const SECRET = "s3cr:et p@ss+/%&=~ü";
const fast = { backoff: constantBackoff(1) };

let server: LocalServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(handle: (request: SeenRequest, index: number) => Reply): Promise<LocalServer> {
  server = await startLocalServer(handle);
  return server;
}

describe('rfc8628 over the wire', () => {
  describe('should send the token request RFC 8628 §3.4 describes', () => {
    test('when the client is public, the form holds the grant, the device code, client_id and the extras', async () => {
      // Arrange
      const local = await serve(() => ({ status: 400, body: { error: 'authorization_pending' } }));
      const transport = tokenTransport({
        tokenEndpoint: `${local.url}/token`,
        clientId: 'cli',
        deviceCode: DEVICE_CODE,
        parameters: { code_verifier: 'verifier-1', resource: 'https://api.test/' },
      });
      // Act
      const answer = await transport({ signal: new AbortController().signal, attempt: 1 });
      await transport({ signal: new AbortController().signal, attempt: 2 });
      // Assert
      expect(answer.status).toBe(400);
      expect(local.requests).toHaveLength(2);
      for (const request of local.requests) {
        expect(request.method).toBe('POST');
        expect(request.path).toBe('/token');
        expect(request.form).toEqual({
          grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
          device_code: DEVICE_CODE,
          client_id: 'cli',
          code_verifier: 'verifier-1',
          resource: 'https://api.test/',
        });
        expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
        expect(request.headers['accept']).toBe('application/json');
        expect(request.headers['authorization']).toBeUndefined();
      }
    });

    test('when the client uses client_secret_basic, id and secret are form-urlencoded in the Basic header', async () => {
      const local = await serve(() => ({ status: 400, body: { error: 'authorization_pending' } }));
      const clientId = 'cli:ent id';
      await tokenTransport({ tokenEndpoint: `${local.url}/token`, clientId, clientSecret: SECRET, clientAuthentication: 'client_secret_basic', deviceCode: DEVICE_CODE })({
        signal: new AbortController().signal,
        attempt: 1,
      });
      const [request] = local.requests;
      const header = request!.headers['authorization']!;
      expect(header).toMatch(/^Basic [A-Za-z0-9+/]+=*$/);
      const decoded = Buffer.from(header.slice(6), 'base64').toString('latin1');
      expect(decoded).toBe('cli%3Aent+id:s3cr%3Aet+p%40ss%2B%2F%25%26%3D%7E%C3%BC');
      const colon = decoded.indexOf(':');
      expect(decodeURIComponent(decoded.slice(0, colon).replaceAll('+', ' '))).toBe(clientId);
      expect(decodeURIComponent(decoded.slice(colon + 1).replaceAll('+', ' '))).toBe(SECRET);
      expect(request!.form['client_secret']).toBeUndefined();
      expect(request!.form['client_id']).toBe(clientId);
    });

    test('when the client uses client_secret_post, the secret is in the form and there is no header', async () => {
      const local = await serve(() => ({ status: 400, body: { error: 'authorization_pending' } }));
      await tokenTransport({ tokenEndpoint: `${local.url}/token`, clientId: 'cli', clientSecret: SECRET, clientAuthentication: 'client_secret_post', deviceCode: DEVICE_CODE })({
        signal: new AbortController().signal,
        attempt: 1,
      });
      const [request] = local.requests;
      expect(request!.headers['authorization']).toBeUndefined();
      expect(request!.form).toMatchObject({ client_id: 'cli', client_secret: SECRET, device_code: DEVICE_CODE });
    });
  });

  describe('should keep each token request safe', () => {
    test("when the driver's signal aborts mid-request, the fetch is aborted", async () => {
      // Arrange
      const local = await serve(() => 'hang');
      const controller = new AbortController();
      const transport = tokenTransport({ tokenEndpoint: `${local.url}/token`, clientId: 'cli', deviceCode: DEVICE_CODE });
      // Act
      const pending = transport({ signal: controller.signal, attempt: 1 });
      await until(() => local.requests.length === 1);
      controller.abort(new DOMException('cancelled', 'AbortError'));
      // Assert
      await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
      await until(() => local.aborted.length === 1);
    });

    test('when the server hangs, the request times out and is classified as a timeout', async () => {
      const local = await serve(() => 'hang');
      const transport = tokenTransport({ tokenEndpoint: `${local.url}/token`, clientId: 'cli', deviceCode: DEVICE_CODE, requestTimeoutMs: 50 });
      const error = await transport({ signal: new AbortController().signal, attempt: 1 }).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'TimeoutError' });
      expect(classifyThrown(error).type).toBe('timeout');
    });

    test('when the answer is larger than the cap, it is not read and counts as an unreadable success', async () => {
      const local = await serve(() => ({ status: 200, body: JSON.stringify({ access_token: 'x'.repeat(5000) }), headers: { 'content-type': 'application/json' } }));
      const transport = tokenTransport({ tokenEndpoint: `${local.url}/token`, clientId: 'cli', deviceCode: DEVICE_CODE, maxBodyBytes: 1000 });
      const answer = await transport({ signal: new AbortController().signal, attempt: 1 });
      expect(answer.bodyError).toBeInstanceOf(ResponseTooLargeError);
      expect(classifyTokenResponse({ ok: true, value: answer }, { wallNow: Date.now() }).type).toBe('unreadable_success');
    });
  });

  describe('should ask for a device code as RFC 8628 §3.1 describes', () => {
    test('when the server sends numbers as strings, the answer is normalised and issuedAt comes from the clock', async () => {
      // Arrange
      const local = await serve(() => ({
        status: 200,
        body: { device_code: DEVICE_CODE, user_code: 'WDJB-MJHT', verification_uri: 'https://x.test/device', expires_in: '900', interval: '2' },
      }));
      const clock = new ManualClock({ now: 12_345 });
      // Act
      const authorization = await requestDeviceAuthorization({
        deviceAuthorizationEndpoint: `${local.url}/device`,
        clientId: 'cli',
        clientSecret: SECRET,
        scope: ['openid', 'offline_access'],
        parameters: { audience: 'https://api.test' },
        clock,
      });
      // Assert
      expect(authorization).toMatchObject({ deviceCode: DEVICE_CODE, userCode: 'WDJB-MJHT', expiresInSeconds: 900, intervalSeconds: 2, issuedAt: 12_345 });
      const [request] = local.requests;
      expect(request!.form).toEqual({ client_id: 'cli', scope: 'openid offline_access', audience: 'https://api.test' });
      expect(request!.headers['authorization']).toMatch(/^Basic /);
      expect(request!.headers['accept']).toBe('application/json');
    });

    test('when the server answers form-encoded, the answer is read', async () => {
      const local = await serve(() => ({
        status: 200,
        headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
        body: `device_code=${DEVICE_CODE}&expires_in=899&interval=5&user_code=ABCD-1234&verification_uri=https%3A%2F%2Fgithub.com%2Flogin%2Fdevice`,
      }));
      const authorization = await requestDeviceAuthorization({ deviceAuthorizationEndpoint: `${local.url}/login/device/code`, clientId: 'cli' });
      expect(authorization).toMatchObject({ userCode: 'ABCD-1234', verificationUri: 'https://github.com/login/device', expiresInSeconds: 899, intervalSeconds: 5 });
    });

    test('when the server fails transiently (5xx HTML, 429), the request is retried', async () => {
      const replies: Reply[] = [
        { status: 503, body: '<html>Service Unavailable</html>', headers: { 'content-type': 'text/html' } },
        { status: 429, headers: { 'retry-after': '0' } },
        { status: 200, body: { device_code: DEVICE_CODE, user_code: 'U', verification_uri: 'https://x.test/d', expires_in: 600 } },
      ];
      const local = await serve((_request, index) => replies[index]!);
      const retries: RetryEvent[] = [];
      const authorization = await requestDeviceAuthorization({ deviceAuthorizationEndpoint: `${local.url}/device`, clientId: 'cli', ...fast, onRetry: (e) => retries.push(e) });
      expect(authorization.userCode).toBe('U');
      expect(local.requests).toHaveLength(3);
      expect(retries.map((r) => r.fault.type)).toEqual(['server_error', 'rate_limited']);
    });

    test('when the server answers an OAuth error, it becomes an OAuthError without retrying or echoing the secret', async () => {
      const local = await serve(() => ({ status: 401, body: { error: 'invalid_client', error_description: 'client authentication failed' } }));
      const error = await requestDeviceAuthorization({ deviceAuthorizationEndpoint: `${local.url}/device`, clientId: 'cli', clientSecret: SECRET, ...fast }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OAuthError);
      expect((error as OAuthError).error).toMatchObject({ code: 'invalid_client', status: 401 });
      expect(local.requests).toHaveLength(1);
      expect(`${String(error)} ${JSON.stringify(error)}`).not.toContain(SECRET);
    });

    test('when a 200 answer lacks required members, it is an InvalidResponseError', async () => {
      const local = await serve(() => ({ status: 200, body: { device_code: DEVICE_CODE, expires_in: 600 } }));
      const error = await requestDeviceAuthorization({ deviceAuthorizationEndpoint: `${local.url}/device`, clientId: 'cli' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidResponseError);
      expect(String(error)).toContain('lacks user_code, verification_uri');
      expect(String(error)).not.toContain(DEVICE_CODE);
    });
  });

  describe('should discover the endpoints', () => {
    const metadata = (url: string, extra: object = {}): object => ({
      issuer: url,
      device_authorization_endpoint: `${url}/device`,
      token_endpoint: `${url}/token`,
      grant_types_supported: ['urn:ietf:params:oauth:grant-type:device_code'],
      ...extra,
    });

    test('when the RFC 8414 document is a 404, the OpenID document is used', async () => {
      // Arrange
      const local = await serve((request) => (request.path === '/.well-known/openid-configuration' ? { status: 200, body: metadata(local.url) } : { status: 404, body: 'Not Found' }));
      // Act
      const found = await discover(local.url);
      // Assert
      expect(local.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /.well-known/oauth-authorization-server', 'GET /.well-known/openid-configuration']);
      expect(found).toMatchObject({ issuer: local.url, deviceAuthorizationEndpoint: `${local.url}/device`, tokenEndpoint: `${local.url}/token`, source: 'openid-configuration' });
      expect(found.grantTypesSupported).toEqual(['urn:ietf:params:oauth:grant-type:device_code']);
    });

    test('when the RFC 8414 document names no device endpoint, the OpenID document is tried', async () => {
      const local = await serve((request) =>
        request.path.startsWith('/.well-known/oauth-authorization-server')
          ? { status: 200, body: { issuer: local.url, token_endpoint: `${local.url}/token` } }
          : { status: 200, body: metadata(local.url) },
      );
      expect((await discover(local.url)).source).toBe('openid-configuration');
      expect(local.requests).toHaveLength(2);
    });

    test('when the first document answers, the second is not asked for', async () => {
      const local = await serve(() => ({ status: 200, body: metadata(local.url) }));
      expect((await discover(local.url)).source).toBe('oauth-authorization-server');
      expect(local.requests).toHaveLength(1);
    });

    test('when the issuer has a path, RFC 8414 inserts the well-known segment before it', async () => {
      const local = await serve(() => ({ status: 404 }));
      await discover(`${local.url}/tenant/v2.0`).catch(() => undefined);
      expect(local.requests.map((r) => r.path)).toEqual(['/.well-known/oauth-authorization-server/tenant/v2.0', '/tenant/v2.0/.well-known/openid-configuration']);
    });

    test('when neither document names a device endpoint, a DiscoveryError lists both', async () => {
      const local = await serve((request) => (request.path.includes('openid') ? { status: 200, body: { issuer: local.url, token_endpoint: 'x' } } : { status: 404 }));
      const error = await discover(local.url).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DiscoveryError);
      expect((error as DiscoveryError).attempts.map((a) => a.problem)).toEqual(['HTTP 404', 'no device_authorization_endpoint']);
      expect((error as DiscoveryError).code).toBe('ERR_DISCOVERY_FAILED');
    });

    test("when the document's issuer is another one, it is refused unless validateIssuer is off", async () => {
      const local = await serve(() => ({ status: 200, body: metadata(local.url, { issuer: 'https://login.example.com/{tenantid}/v2.0' }) }));
      await expect(discover(local.url)).rejects.toThrow(DiscoveryError);
      expect((await discover(local.url, { validateIssuer: false })).tokenEndpoint).toBe(`${local.url}/token`);
    });

    test('when the first document fails transiently, it is retried rather than skipped', async () => {
      const local = await serve((_request, index) => (index === 0 ? { status: 502, body: '<html>Bad Gateway</html>' } : { status: 200, body: metadata(local.url) }));
      const found = await discover(local.url, fast);
      expect(found.source).toBe('oauth-authorization-server');
      expect(local.requests.map((r) => r.path)).toEqual(['/.well-known/oauth-authorization-server', '/.well-known/oauth-authorization-server']);
    });

    test('when the metadata names a plain http endpoint off loopback, it is refused', async () => {
      const local = await serve(() => ({ status: 200, body: metadata(local.url, { token_endpoint: 'http://auth.example.com/token' }) }));
      await expect(discover(local.url)).rejects.toThrow(InvalidResponseError);
      await expect(discover(local.url)).rejects.toThrow('token_endpoint: http://auth.example.com must use https:');
    });

    test('when endpoints are given, no request is made', async () => {
      const found = await discover({ deviceAuthorizationEndpoint: 'https://a.test/device', tokenEndpoint: 'https://a.test/token' });
      expect(found).toMatchObject({ issuer: 'https://a.test', source: 'explicit', tokenEndpoint: 'https://a.test/token' });
    });
  });

  describe('should refresh a token with the refresh_token grant', () => {
    test('when it succeeds without a new refresh token, the old one is kept', async () => {
      const local = await serve(() => ({ status: 200, body: { access_token: 'at-2', token_type: 'Bearer', expires_in: 3600 } }));
      const token = await refreshToken({ tokenEndpoint: `${local.url}/token`, clientId: 'cli', clientSecret: SECRET, clientAuthentication: 'client_secret_post', refreshToken: 'rt-1', scope: 'openid' });
      expect(token).toMatchObject({ accessToken: 'at-2', refreshToken: 'rt-1', expiresInSeconds: 3600 });
      expect(local.requests[0]!.form).toEqual({ grant_type: 'refresh_token', refresh_token: 'rt-1', scope: 'openid', client_id: 'cli', client_secret: SECRET });
    });

    test('when the server fails transiently, the refresh is retried', async () => {
      const local = await serve((_request, index) => (index === 0 ? { status: 500, body: '<html>oops</html>' } : { status: 200, body: { access_token: 'at-2', refresh_token: 'rt-2' } }));
      const token = await refreshToken({ tokenEndpoint: `${local.url}/token`, clientId: 'cli', refreshToken: 'rt-1', ...fast });
      expect(token.refreshToken).toBe('rt-2');
      expect(local.requests).toHaveLength(2);
    });

    test('when the refresh token is refused, an OAuthError says invalid_grant and holds no token', async () => {
      const local = await serve(() => ({ status: 400, body: { error: 'invalid_grant', error_description: 'refresh token is invalid' } }));
      const error = await refreshToken({ tokenEndpoint: `${local.url}/token`, clientId: 'cli', refreshToken: 'rt-secret-1', ...fast }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OAuthError);
      expect((error as OAuthError).error.code).toBe('invalid_grant');
      expect(local.requests).toHaveLength(1);
      expect(`${String(error)} ${JSON.stringify(error)}`).not.toContain('rt-secret-1');
    });

    test('when a 200 answer is malformed, it is a LostGrantError and is not retried', async () => {
      const local = await serve(() => ({ status: 200, body: '{"access_token": "at-', headers: { 'content-type': 'application/json' } }));
      await expect(refreshToken({ tokenEndpoint: `${local.url}/token`, clientId: 'cli', refreshToken: 'rt-1', ...fast })).rejects.toThrow(LostGrantError);
      expect(local.requests).toHaveLength(1);
    });
  });

  describe('should log in against a GitHub-style server', () => {
    test('when it answers form-encoded bodies and 200-with-error, the login still gets the token', async () => {
      // Arrange
      let polls = 0;
      const local = await serve((request) => {
        const form = { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' };
        if (request.path === '/login/device/code') {
          return { status: 200, headers: form, body: `device_code=${DEVICE_CODE}&expires_in=899&interval=0.05&user_code=ABCD-1234&verification_uri=https%3A%2F%2Fgithub.com%2Flogin%2Fdevice` };
        }
        polls += 1;
        return polls < 3
          ? { status: 200, headers: form, body: 'error=authorization_pending&error_description=pending&error_uri=https%3A%2F%2Fdocs' }
          : { status: 200, headers: form, body: 'access_token=gho_secret&token_type=bearer&scope=repo' };
      });
      // Act
      const login = loginWithDeviceFlow({ deviceAuthorizationEndpoint: `${local.url}/login/device/code`, tokenEndpoint: `${local.url}/login/oauth/access_token`, clientId: 'Iv1.abc', scope: 'repo' });
      const events = recordEvents(login);
      const token = await login.result;
      // Assert
      expect(token).toMatchObject({ accessToken: 'gho_secret', tokenType: 'bearer', scope: 'repo' });
      const code = events.find((e) => e.name === 'code')!.payload as LoginEvents['code'];
      expect(code).toMatchObject({ userCode: 'ABCD-1234', verificationUri: 'https://github.com/login/device', restart: 0 });
      expect('verificationUriComplete' in code).toBe(false);
      expect(events.filter((e) => e.name === 'pending')).toHaveLength(2);
      expect(local.requests.slice(1).every((r) => r.headers['accept'] === 'application/json' && r.form['device_code'] === DEVICE_CODE)).toBe(true);
      expect(JSON.stringify(events.filter((e) => e.name !== 'granted'))).not.toContain(DEVICE_CODE);
    });
  });
});

// Helpers

async function until(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const start = performance.now();
  while (!condition()) {
    if (performance.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

