import { describe, expect, test } from 'vitest';
import { awsSdkTokenTransport, type TokenRequestFunction } from '../../src/index.js';

describe('awsSdkTokenTransport', () => {
  describe('should answer an unreadable success itself, never as a thrown error', () => {
    test('when the SDK throws on a 200 (its JSON parse error quotes the body), the outcome keeps the body out of its message', async () => {
      const thrown = Object.assign(new SyntaxError('Unexpected token \'x\', "x{"accessT"... is not valid JSON'), { $metadata: { httpStatusCode: 200 } });
      const outcome = await poll(() => Promise.reject(thrown));
      expect(outcome).toEqual({ type: 'unreadable_success', status: 200, message: 'CreateToken answered HTTP 200, but the SDK could not read the answer (SyntaxError)' });
    });

    test('when the SDK throws on a 204 with a code, the code is named', async () => {
      const thrown = Object.assign(new Error('aborted'), { name: 'Error', code: 'ECONNRESET', $metadata: { httpStatusCode: 204 } });
      expect(await poll(() => Promise.reject(thrown))).toMatchObject({ type: 'unreadable_success', status: 204, message: expect.stringMatching(/\(Error ECONNRESET\)$/) });
    });

    test.each([
      [{ $metadata: { httpStatusCode: 200 }, tokenType: 'Bearer' }, { type: 'unreadable_success', status: 200, message: 'CreateToken answered without an accessToken' }],
      [undefined, { type: 'unreadable_success', message: 'CreateToken answered without an accessToken' }],
    ])('when send() resolves without an access token (%j)', async (output, expected) => {
      expect(await poll(() => Promise.resolve(output))).toEqual(expected);
    });
  });

  describe('should pass everything else on for the classifier', () => {
    test('when send() resolves with a token, the output is returned as it is', async () => {
      const output = { accessToken: 'at', tokenType: 'Bearer', $metadata: { httpStatusCode: 200 } };
      expect(await poll(() => Promise.resolve(output))).toBe(output);
    });

    test('when the SDK throws an AWS exception, the error is rethrown as it is', async () => {
      const thrown = Object.assign(new Error('UnknownError'), { name: 'AuthorizationPendingException', $metadata: { httpStatusCode: 400 } });
      await expect(poll(() => Promise.reject(thrown))).rejects.toBe(thrown);
    });

    test.each([
      [429, 'rate_limited', '7', 7000],
      [503, 'server_error', '0', 0],
    ])('when a %i carries Retry-After, the adapter answers %s with retryAfterMs', async (status, type, header, retryAfterMs) => {
      const thrown = Object.assign(new Error('UnknownError'), { name: 'Unknown', $fault: 'client', $metadata: { httpStatusCode: status } });
      Object.defineProperty(thrown, '$response', { value: { statusCode: status, headers: { 'retry-after': header } } });
      expect(await poll(() => Promise.reject(thrown))).toMatchObject({ type, status, retryAfterMs });
    });

    test('when a 429 has an unreadable Retry-After, the error is rethrown', async () => {
      const thrown = Object.assign(new Error('x'), { $metadata: { httpStatusCode: 429 }, $response: { headers: { 'retry-after': 'soon' } } });
      await expect(poll(() => Promise.reject(thrown))).rejects.toBe(thrown);
    });
  });
});

// Helpers

class FakeCommand {
  readonly input: object;
  constructor(input: object) {
    this.input = input;
  }
}

/** One poll through the adapter, with a client whose send() does what `send` says. */
function poll(send: () => Promise<unknown>): Promise<unknown> {
  const transport = awsSdkTokenTransport({ send }, { clientId: 'c', clientSecret: 's', deviceCode: 'd' }, { CreateTokenCommand: FakeCommand }) as TokenRequestFunction;
  return Promise.resolve(transport({ signal: new AbortController().signal, attempt: 1 }));
}
