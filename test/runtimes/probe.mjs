// The script test/runtimes/runtime-matrix.test.ts runs on Node (the host's and 24), Bun and Deno, from a
// fresh project where the packed tarball is installed: every import is bare
// (`tokenpoll`, `tokenpoll/testing`…), so package `exports` resolution is what
// is tested. It takes one argument, a JSON config, and prints one JSON line of
// raw observations; the test judges them. It never throws: each step records
// its value or its error.
const args = typeof Deno !== 'undefined' ? Deno.args : process.argv.slice(2);
const config = JSON.parse(args[0]);
const runtime = typeof Deno !== 'undefined' ? 'deno' : typeof Bun !== 'undefined' ? 'bun' : 'node';
const version = runtime === 'deno' ? Deno.version.deno : runtime === 'bun' ? Bun.version : process.versions.node;

const out = { runtime, version, imports: {}, calls: {}, scenarios: {}, resets: [] };

const describeError = (error) => ({
  name: error?.name,
  code: error?.code,
  message: String(error?.message ?? error).slice(0, 400),
  cause: error?.cause === undefined ? undefined : String(error.cause?.code ?? error.cause?.message ?? error.cause).slice(0, 200),
});

async function step(record, name, fn) {
  try {
    record[name] = { ok: true, value: await fn() };
  } catch (error) {
    record[name] = { ok: false, error: describeError(error) };
  }
}

// 1. Every entry point the package exports, by its bare specifier.
const modules = {};
for (const specifier of config.entries) {
  await step(out.imports, specifier, async () => {
    modules[specifier] = await import(specifier);
    return Object.keys(modules[specifier]).sort();
  });
}
const has = (specifier) => modules[specifier] !== undefined;

// 2. A real call of each.
if (has('tokenpoll')) {
  // The pure core on the real system clock: pending, then success.
  await step(out.calls, 'tokenpoll', async () => {
    const { pollToken } = modules['tokenpoll'];
    let calls = 0;
    const started = performance.now();
    const poll = pollToken({
      transport: async () => (++calls === 1 ? { type: 'authorization_pending' } : { type: 'success', token: { accessToken: 'core-token', tokenType: 'Bearer' } }),
      intervalSeconds: 0.01,
      expiresInSeconds: 30,
    });
    const token = await poll.result;
    return { accessToken: token.accessToken, polls: calls, elapsedMs: Math.round(performance.now() - started) };
  });
}

if (has('tokenpoll') && has('tokenpoll/testing')) {
  // pending, slow_down (+5 s), then the token, on the virtual clock.
  await step(out.calls, 'tokenpoll/testing', async () => {
    const { pollToken } = modules['tokenpoll'];
    const { ManualClock, scriptedTransport, simulateFlow } = modules['tokenpoll/testing'];
    const clock = new ManualClock();
    const transport = scriptedTransport(
      [{ type: 'authorization_pending' }, { type: 'slow_down' }, { type: 'success', token: { accessToken: 'virtual-token', tokenType: 'Bearer' } }],
      { clock },
    );
    const poll = pollToken({ transport, clock, intervalSeconds: 5, expiresInSeconds: 900 });
    const events = [];
    for (const name of ['pending', 'slowDown', 'granted', 'failed']) poll.on(name, () => events.push(name));
    const settled = await clock.runUntilSettled(poll.result);
    const simulated = simulateFlow({
      config: { interval: 5, expiresIn: 900 },
      script: [{ type: 'authorization_pending' }, { type: 'success', token: { accessToken: 'simulated-token' } }],
    }).state.status;
    return {
      status: settled.status,
      accessToken: settled.status === 'fulfilled' ? settled.value.accessToken : String(settled.reason),
      events,
      requestsAt: transport.requests.map((request) => request.at),
      pendingTimers: clock.pendingTimers,
      simulated,
    };
  });
}

if (has('tokenpoll') && has('tokenpoll/testing/emulator')) {
  // The emulator served by this runtime (its node:http), with a reset and a 502
  // injected, and a login from this runtime against it.
  await step(out.calls, 'tokenpoll/testing/emulator', async () => {
    const { startEmulator } = modules['tokenpoll/testing/emulator'];
    const emulator = await startEmulator({ intervalSeconds: 0.02, approveOnPoll: 1 });
    try {
      emulator.inject({ type: 'reset' });
      emulator.inject({ type: 'server_error', status: 502 });
      const result = await login(emulator.url);
      return { ...result, served: tokenRequests(emulator.requests), consumed: emulator.codes.map((code) => code.status) };
    } finally {
      await emulator.close();
    }
  });
}

if (has('tokenpoll/node')) {
  // The AWS CLI's token cache on disk, under the cross-process lock.
  await step(out.calls, 'tokenpoll/node', async () => {
    const { ssoCacheKey, ssoCachePath, withFileLock, writeSsoTokenCache, readSsoTokenCache, toCacheTime } = modules['tokenpoll/node'];
    const startUrl = 'https://d-1234567890.awsapps.com/start';
    const path = ssoCachePath({ startUrl, cacheDir: config.tempDir });
    const expiresAt = toCacheTime(Date.now() + 3_600_000);
    const entry = { startUrl, region: 'us-east-1', accessToken: 'cached-access-token', expiresAt };
    const read = await withFileLock(`${path}.lock`, async () => {
      await writeSsoTokenCache(path, entry);
      return readSsoTokenCache(path);
    });
    return { key: ssoCacheKey({ startUrl }), fileName: path.slice(config.tempDir.length + 1), accessToken: read?.accessToken, expiresAt: read?.expiresAt === expiresAt };
  });
}

if (has('tokenpoll') && has('tokenpoll/testing') && has('tokenpoll/testing/arbitraries')) {
  // A property: every generated script, played on the virtual clock, settles and leaves no timer.
  await step(out.calls, 'tokenpoll/testing/arbitraries', async () => {
    const fc = await import('fast-check');
    const { deviceFlowArbitraries } = modules['tokenpoll/testing/arbitraries'];
    const { pollToken } = modules['tokenpoll'];
    const { ManualClock, scriptedTransport } = modules['tokenpoll/testing'];
    const arbitraries = deviceFlowArbitraries(fc);
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(arbitraries.script, async (script) => {
        runs += 1;
        const clock = new ManualClock();
        const poll = pollToken({ transport: scriptedTransport(script, { clock }), clock, intervalSeconds: 5, expiresInSeconds: 900 });
        const settled = await clock.runUntilSettled(poll.result);
        return (settled.status === 'fulfilled' || settled.status === 'rejected') && clock.pendingTimers === 0;
      }),
      { numRuns: 25, seed: 13 },
    );
    return { runs };
  });
}

// 3. Scenarios against the emulator the test serves (on the test's Node).
if (has('tokenpoll')) {
  await step(out.scenarios, 'login-faults', () => login(config.faultIssuer));

  // A 200 whose body is cut off halfway: the grant may be spent, so the poll must not be sent again.
  await step(out.scenarios, 'lost-grant', async () => {
    try {
      const result = await login(config.lostIssuer);
      return { settled: 'granted', ...result };
    } catch (error) {
      return { settled: 'rejected', name: error?.name, code: error?.code, status: error?.status };
    }
  });

  await step(out.scenarios, 'aws-flow', async () => {
    const { loginWithAwsSso, awsSsoPortal } = modules['tokenpoll'];
    const handle = loginWithAwsSso({
      region: 'us-east-1',
      endpoint: config.awsEndpoint,
      startUrl: 'https://d-1234567890.awsapps.com/start',
      scopes: ['sso:account:access'],
      cache: false,
      signal: AbortSignal.timeout(30_000),
    });
    let userCode;
    handle.on('code', (code) => (userCode = code.userCode));
    const token = await handle.result;
    const portal = awsSsoPortal({ region: 'us-east-1', endpoint: config.awsPortalEndpoint, token: token.accessToken });
    const accounts = await portal.listAccounts();
    const credentials = await portal.getRoleCredentials({ accountId: accounts[0].accountId, roleName: 'ReadOnly' });
    return {
      userCode,
      tokenType: token.tokenType,
      hasRefreshToken: typeof token.refreshToken === 'string',
      registered: typeof token.registration?.clientId === 'string',
      accounts: accounts.map((account) => account.accountId),
      credentials: typeof credentials.accessKeyId === 'string' && typeof credentials.secretAccessKey === 'string' && typeof credentials.sessionToken === 'string',
    };
  });
}

// 4. What this runtime's fetch does when the server drops a connection after
// reading the request: one fetch call per trial, against a raw TCP server that
// counts what it receives (the test reads its counts).
for (const trial of config.resetTrials) {
  const entry = { id: trial.id };
  try {
    if (trial.reused) {
      await (await fetch(`${config.resetServer}/warm/${trial.id}`)).text();
      // Node's fetch (undici) frees the connection a moment after the body is read; a request sent
      // at once opens a second one. Once free, the kept-alive connection is the only one open.
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const response = await fetch(`${config.resetServer}/${trial.fault}/${trial.id}`, {
      method: trial.method,
      ...(trial.method === 'POST' ? { body: 'grant_type=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } } : {}),
    });
    await response.text();
    entry.outcome = { resolved: response.status };
  } catch (error) {
    entry.outcome = { rejected: describeError(error) };
  }
  out.resets.push(entry);
}

console.log(JSON.stringify(out));
if (typeof Deno !== 'undefined') Deno.exit(0);
else process.exit(0);

/** A device login with `poll` backoff short enough for a test; reports what the client saw. */
async function login(issuer) {
  const { loginWithDeviceFlow, constantBackoff } = modules['tokenpoll'];
  const handle = loginWithDeviceFlow({
    issuer,
    clientId: 'tokenpoll-test',
    signal: AbortSignal.timeout(30_000),
    poll: { backoff: constantBackoff(20) },
  });
  let userCode;
  let attempts = 0;
  const retries = [];
  handle.on('code', (code) => (userCode = code.userCode));
  handle.on('attempt', () => (attempts += 1));
  handle.on('retry', (event) => retries.push(event.fault.status === undefined ? event.fault.type : `${event.fault.type} ${event.fault.status}`));
  const token = await handle.result;
  return { userCode, tokenType: token.tokenType, granted: typeof token.accessToken === 'string' && token.accessToken.length > 0, attempts, retries };
}

/** The token requests an emulator received, as `<status or "no answer">`. */
function tokenRequests(requests) {
  return requests.filter((request) => request.path.endsWith('/token')).map((request) => (request.status === undefined ? 'no answer' : String(request.status)));
}
