import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, test, vi } from 'vitest';
import type { LoginRequiredError } from '../../src/index.js';
import {
  TokenNotSavedError,
  createSsoTokenSource,
  readSsoTokenCache,
  ssoCacheEntryFromToken,
  ssoTokenFileStorage,
  type SsoTokenCacheEntry,
  type SsoTokenSourceOptions,
  type SsoTokenStorage,
} from '../../src/node.js';
import { ManualClock } from '../../src/testing.js';
import { REGION, START_URL, awsLogin, refreshCount, settleWithRealIo, writeSession } from '../helpers/aws-session.js';
import { useEmulator } from '../helpers/use-emulator.js';
import { useTempDirs } from '../helpers/use-temp-dirs.js';
import { immutableWorks } from '../helpers/immutable.js';

const start = useEmulator();
const tempDir = useTempDirs();
const MINUTE = 60_000;

/** The cache file storage, with its first `failures` writes failing as a full disk does. */
function failingWrites(path: string, failures = Number.POSITIVE_INFINITY): { storage: SsoTokenStorage; writes: () => number } {
  const inner = ssoTokenFileStorage(path);
  let writes = 0;
  const storage: SsoTokenStorage = {
    ...inner,
    write: async (entry) => {
      writes += 1;
      if (writes <= failures) throw Object.assign(new Error(`ENOSPC: no space left on device, write (holding ${entry.accessToken})`), { code: 'ENOSPC' });
      return inner.write(entry);
    },
  };
  return { storage, writes: () => writes };
}

async function setUp(expiresInMs: number, extra: (path: string) => Partial<SsoTokenSourceOptions>) {
  const emulator = await start({ intervalSeconds: 0.01, autoApproveAfterMs: 0 });
  const clock = new ManualClock({ wallEpochMs: Date.now() });
  const cacheDir = await tempDir();
  const { path, entry } = await writeSession(emulator, cacheDir, clock, expiresInMs);
  const notSaved: TokenNotSavedError[] = [];
  const source = createSsoTokenSource({
    startUrl: START_URL,
    region: REGION,
    endpoint: emulator.awsEndpoint,
    cacheDir,
    clock,
    onTokenNotSaved: (error) => notSaved.push(error),
    ...extra(path),
  });
  return { emulator, clock, path, entry, source, notSaved };
}

/** The value of a call whose save retries (200 ms apart) run on the manual clock; request timeouts stay out of reach. */
async function settle<T>(clock: ManualClock, promise: Promise<T>): Promise<T> {
  const result = await settleWithRealIo(clock, promise, 1000);
  if (result.status === 'rejected') throw result.reason;
  return result.value;
}

function expectNoSecrets(value: unknown, secrets: readonly (string | undefined)[]): void {
  const text = `${String(value)} ${JSON.stringify(value)} ${(value as Error).stack ?? ''}`;
  for (const secret of secrets) if (secret !== undefined) expect(text).not.toContain(secret);
}

describe('createSsoTokenSource when the storage will not take a token the server issued', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  describe('should still hand over the refreshed token, tell the caller, and never present the spent refresh token again', () => {
    test('when every write fails (an expired token), the call resolves with the new token after 3 writes, onTokenNotSaved gets one TokenNotSavedError naming the file and no secret', async () => {
      let failing!: ReturnType<typeof failingWrites>;
      const { emulator, clock, path, entry, source, notSaved } = await setUp(-MINUTE, (path) => ({ storage: (failing = failingWrites(path)).storage }));
      const fresh = await settle(clock, source.getToken());
      expect(fresh.accessToken).not.toBe(entry.accessToken);
      expect(fresh.refreshToken).not.toBe(entry.refreshToken);
      expect(refreshCount(emulator)).toBe(1);
      expect(failing.writes()).toBe(3);
      expect(notSaved).toHaveLength(1);
      const [error] = notSaved;
      expect(error).toBeInstanceOf(TokenNotSavedError);
      expect(error).toMatchObject({ code: 'ERR_TOKEN_NOT_SAVED', kind: 'refreshed', path, attempts: 3 });
      expect(error!.message).toContain(`could not be saved to ${path} after 3 tries (ENOSPC)`);
      expect(error!.message).toMatch(/the refresh token kept there was just spent: fix the file or its folder/);
      expectNoSecrets(error, [entry.accessToken, entry.refreshToken, entry.clientSecret, fresh.accessToken, fresh.refreshToken]);
      expect((await readSsoTokenCache(path))?.accessToken).toBe(entry.accessToken);
    });

    test('when the token is still usable but within the refresh window, the call resolves with the new token, not the old one', async () => {
      const { clock, entry, source, notSaved } = await setUp(2 * MINUTE, (path) => ({ storage: failingWrites(path).storage }));
      const fresh = await settle(clock, source.getToken());
      expect(fresh.accessToken).not.toBe(entry.accessToken);
      expect(notSaved).toHaveLength(1);
    });

    test('when the refreshed token comes due again, the same source refreshes with the rotated refresh token (no InvalidGrantException, no new login)', async () => {
      const { emulator, clock, source, notSaved } = await setUp(-MINUTE, (path) => ({ storage: failingWrites(path).storage }));
      const first = await settle(clock, source.getToken());
      expect(await settle(clock, source.getToken())).toEqual(first); // kept in memory while the file holds the spent one
      clock.set(clock.now() + 2 * 3600 * 1000); // past the new token's hour
      const second = await settle(clock, source.getToken());
      expect(second.accessToken).not.toBe(first.accessToken);
      expect(refreshCount(emulator)).toBe(2);
      expect(notSaved).toHaveLength(2);
    });

    test('when the writes fail twice and then succeed, the token is saved and nobody is told', async () => {
      let failing!: ReturnType<typeof failingWrites>;
      const { clock, path, source, notSaved } = await setUp(-MINUTE, (path) => ({ storage: (failing = failingWrites(path, 2)).storage }));
      const fresh = await settle(clock, source.getToken());
      expect(failing.writes()).toBe(3);
      expect(notSaved).toEqual([]);
      expect((await readSsoTokenCache(path))?.accessToken).toBe(fresh.accessToken);
    });

    test('when no onTokenNotSaved is given, the error is emitted as a process warning', async () => {
      const warnings: unknown[] = [];
      vi.spyOn(process, 'emitWarning').mockImplementation((warning: string | Error) => void warnings.push(warning));
      const { clock, source } = await setUp(-MINUTE, (path) => ({ storage: failingWrites(path).storage, onTokenNotSaved: undefined }));
      await settle(clock, source.getToken());
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toBeInstanceOf(TokenNotSavedError);
    });

    test('when onTokenNotSaved throws, the call still resolves with the token', async () => {
      const { clock, entry, source } = await setUp(-MINUTE, (path) => ({
        storage: failingWrites(path).storage,
        onTokenNotSaved: () => {
          throw new Error('hook broke');
        },
      }));
      expect((await settle(clock, source.getToken())).accessToken).not.toBe(entry.accessToken);
    });

    test.skipIf(!immutableWorks('file'))('when the cache file is immutable (chattr +i, which stops root too), the real file storage reports EPERM and the token is still handed over', async () => {
      const { clock, path, entry, source, notSaved } = await setUp(-MINUTE, () => ({}));
      execFileSync('chattr', ['+i', path]);
      try {
        const fresh = await settle(clock, source.getToken());
        expect(fresh.accessToken).not.toBe(entry.accessToken);
        expect(notSaved).toHaveLength(1);
        expect(notSaved[0]!.message).toContain(`could not be saved to ${path} after 3 tries (${path}: cannot be written (EPERM))`);
        expect(await readFile(path, 'utf8')).toContain(entry.accessToken);
      } finally {
        execFileSync('chattr', ['-i', path]);
      }
    });
  });

  test('when the new login that onLoginRequired returns cannot be saved, the call resolves with it and onTokenNotSaved says so (kind login)', async () => {
    let emulatorRef!: Parameters<typeof awsLogin>[0];
    const { emulator, clock, source, notSaved } = await setUp(-MINUTE, (path) => ({
      storage: failingWrites(path).storage,
      onLoginRequired: async (error: LoginRequiredError) => {
        expect(error.reason).toBe('refresh-rejected');
        return ssoCacheEntryFromToken(await awsLogin(emulatorRef), clock.wallNow());
      },
    }));
    emulatorRef = emulator;
    emulator.revokeRefreshTokens();
    const entry: SsoTokenCacheEntry = await settle(clock, source.getToken());
    expect(entry.accessToken).toMatch(/^aws-at-/);
    expect(notSaved.map((error) => error.kind)).toEqual(['login']);
    expect(notSaved[0]!.message).toMatch(/^the new login's token could not be saved/);
  });
});
