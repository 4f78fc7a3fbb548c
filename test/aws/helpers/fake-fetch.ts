/** A recorded call to the fake fetch. */
export interface FakeCall {
  readonly url: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: Record<string, unknown>;
  /** The request's signal. */
  readonly signal: AbortSignal | undefined;
}

/** What a route answers: a status, an AWS exception name, a JSON body. */
export interface FakeAnswer {
  readonly status: number;
  readonly exception?: string;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

export interface FakeFetch {
  readonly fetch: typeof fetch;
  readonly calls: FakeCall[];
  paths(): string[];
}

/**
 * A fetch that answers from `route(path, body, callIndex)` without any network.
 * A route may return a promise, to hold the request in flight; like fetch,
 * the call then rejects with the signal's reason when it aborts.
 */
export function fakeFetch(route: (path: string, body: Record<string, unknown>, call: number) => FakeAnswer | Promise<FakeAnswer>): FakeFetch {
  const calls: FakeCall[] = [];
  const fetchImpl = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(input));
    const body = JSON.parse(String(init?.body ?? '{}')) as Record<string, unknown>;
    const headers = Object.fromEntries(Object.entries((init?.headers ?? {}) as Record<string, string>).map(([k, v]) => [k.toLowerCase(), v]));
    const signal = init?.signal ?? undefined;
    // The signal is not enumerable, so tests can compare calls with toEqual.
    calls.push(Object.defineProperty({ url: url.href, path: url.pathname, headers, body }, 'signal', { value: signal }) as FakeCall);
    signal?.throwIfAborted();
    const answer = await abortable(Promise.resolve(route(url.pathname, body, calls.length)), signal);
    const responseHeaders: Record<string, string> = { 'content-type': 'application/json', ...answer.headers };
    if (answer.exception) responseHeaders['x-amzn-errortype'] = `${answer.exception}:http://internal.amazon.com/coral/com.amazonaws.sso.oidc/`;
    const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body ?? {});
    return new Response(text, { status: answer.status, headers: responseHeaders });
  };
  return { fetch: fetchImpl as typeof fetch, calls, paths: () => calls.map((c) => c.path) };
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** An AWS error answer. */
export function awsError(exception: string, status: number, error: string, description = `${exception} from the fake`, extra: object = {}): FakeAnswer {
  return { status, exception, body: { error, error_description: description, ...extra } };
}

export const SECRET = 'SECRET-client-secret-4f1c';
export const DEVICE_CODE = 'DEVICE-code-9a7e';
export const ACCESS_TOKEN = 'ACCESS-token-1b2c';
export const REFRESH_TOKEN = 'REFRESH-token-3d4e';

/** A RegisterClient answer that expires `inSeconds` after `nowMs`. */
export function registration(nowMs: number, inSeconds = 90 * 86_400, clientId = 'client-1'): FakeAnswer {
  return {
    status: 200,
    body: { clientId, clientSecret: SECRET, clientIdIssuedAt: Math.floor(nowMs / 1000), clientSecretExpiresAt: Math.floor(nowMs / 1000) + inSeconds },
  };
}

export const deviceAuthorization: FakeAnswer = {
  status: 200,
  body: {
    deviceCode: DEVICE_CODE,
    userCode: 'ABCD-EFGH',
    verificationUri: 'https://device.sso.us-east-1.amazonaws.com/',
    verificationUriComplete: 'https://device.sso.us-east-1.amazonaws.com/?user_code=ABCD-EFGH',
    expiresIn: 600,
    interval: 1,
  },
};

export const granted: FakeAnswer = {
  status: 200,
  body: { accessToken: ACCESS_TOKEN, tokenType: 'Bearer', expiresIn: 28_800, refreshToken: REFRESH_TOKEN },
};
