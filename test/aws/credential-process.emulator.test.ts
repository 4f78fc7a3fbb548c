import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fromProcess } from '@aws-sdk/credential-provider-process';
import { describe, expect, test } from 'vitest';
import { ConfigurationError, awsSsoPortal, credentialProcessOutput } from '../../src/index.js';
import { createSsoTokenSource, readSsoTokenCache, ssoCacheEntryFromToken, ssoCachePath, writeSsoTokenCache } from '../../src/node.js';
import { ManualClock } from '../../src/testing.js';
import { catchError } from '../helpers/catch-error.js';
import { awsLogin, REGION, refreshCount, START_URL } from '../helpers/aws-session.js';
import { useTempDirs } from '../helpers/use-temp-dirs.js';
import { requestLog, useEmulator } from './helpers/emulator.js';

const start = useEmulator();
const tempDir = useTempDirs();
const ISO_8601_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('from a device login to credential_process JSON (emulator)', () => {
  describe('should carry a login all the way to role credentials', () => {
    test('when the cached token nears expiry, the source refreshes it, the portal mints credentials, and the AWS SDK reads the JSON', async () => {
      const emulator = await start({ intervalSeconds: 0.01, autoApproveAfterMs: 0, accounts: [{ accountId: '123456789012', roles: ['ReadOnly'] }] });
      const cacheDir = await tempDir();
      // 1. Log in and write the AWS CLI v2 cache, as `tokenpoll login --aws` does.
      const token = await awsLogin(emulator);
      const path = ssoCachePath({ startUrl: START_URL, cacheDir });
      await writeSsoTokenCache(path, ssoCacheEntryFromToken(token));
      // 2. 56 minutes later (virtual), the token has 4 minutes left.
      const clock = new ManualClock({ wallEpochMs: Date.now() });
      clock.increment(56 * 60_000);
      const source = createSsoTokenSource({ startUrl: START_URL, region: REGION, endpoint: emulator.awsEndpoint, cacheDir, clock });
      const portal = awsSsoPortal({ region: REGION, endpoint: emulator.awsPortalEndpoint, token: source, clock });
      // 3. Role credentials, printed as credential_process output.
      const credentials = await portal.getRoleCredentials({ accountId: '123456789012', roleName: 'ReadOnly' });
      const output = credentialProcessOutput(credentials);
      const json = JSON.stringify(output);

      expect(refreshCount(emulator)).toBe(1);
      expect(requestLog(emulator).slice(-2)).toEqual(['/token 200', '/portal/federation/credentials 200']);
      expect((await readSsoTokenCache(path))?.accessToken).not.toBe(token.accessToken);
      expect(Object.keys(JSON.parse(json) as object)).toEqual(['Version', 'AccessKeyId', 'SecretAccessKey', 'SessionToken', 'Expiration']);
      expect(output).toEqual({
        Version: 1,
        AccessKeyId: credentials.accessKeyId,
        SecretAccessKey: credentials.secretAccessKey,
        SessionToken: credentials.sessionToken,
        Expiration: expect.stringMatching(ISO_8601_UTC),
      });
      expect(Date.parse(output.Expiration)).toBe(credentials.expiration);

      // 4. The AWS SDK's own credential_process reader takes it.
      const printed = join(cacheDir, 'printed.json');
      await writeFile(printed, `${json}\n`);
      const config = join(cacheDir, 'config');
      await writeFile(config, `[profile tokenpoll]\ncredential_process = cat ${printed}\n`);
      const read = await fromProcess({ profile: 'tokenpoll', configFilepath: config, filepath: join(cacheDir, 'credentials') })();
      expect(read).toMatchObject({ accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey, sessionToken: credentials.sessionToken });
      expect(read.expiration?.getTime()).toBe(credentials.expiration);
    });
  });
});

describe('credentialProcessOutput', () => {
  describe('should refuse credentials it cannot print', () => {
    test.each([
      [{ secretAccessKey: 's3cret', sessionToken: 'tok', expiration: 1 }, 'accessKeyId'],
      [{ accessKeyId: 'ASIA', secretAccessKey: '', sessionToken: 'tok', expiration: 1 }, 'secretAccessKey'],
      [{ accessKeyId: 'ASIA', secretAccessKey: 's3cret', expiration: 1 }, 'sessionToken'],
      [{ accessKeyId: 'ASIA', secretAccessKey: 's3cret', sessionToken: 'tok', expiration: Number.NaN }, 'expiration'],
      [{ accessKeyId: 'ASIA', secretAccessKey: 's3cret', sessionToken: 'tok', expiration: 9e15 }, 'expiration'],
    ])('when given %j, ConfigurationError naming %s, never a value', (credentials, option) => {
      const error = catchError(() => credentialProcessOutput(credentials as never));
      expect(error).toBeInstanceOf(ConfigurationError);
      expect(error).toMatchObject({ option });
      expect(`${String(error)} ${JSON.stringify(error)}`).not.toMatch(/s3cret|tok\b/);
    });
  });
});
