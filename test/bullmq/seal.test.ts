import { randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { seal, unseal } from '../../src/bullmq/seal.js';
import { ConfigurationError } from '../../src/index.js';

describe('sealed values of a fleet flow', () => {
  const key = randomBytes(32);

  test('should open a value only as the field and the flow it was sealed for', async () => {
    const token = await seal(key, 'flow-1', 'token', '{"accessToken":"at-1"}');
    expect(await unseal(key, 'flow-1', 'token', token)).toBe('{"accessToken":"at-1"}');
    // A Redis writer who moves the sealed token into the device code field, or to another flow, gets nothing sent anywhere.
    await expect(unseal(key, 'flow-1', 'deviceCode', token)).rejects.toThrow(ConfigurationError);
    await expect(unseal(key, 'flow-2', 'token', token)).rejects.toThrow(ConfigurationError);
    const deviceCode = await seal(key, 'flow-1', 'deviceCode', 'device-code-secret');
    await expect(unseal(key, 'flow-1', 'token', deviceCode)).rejects.toThrow(ConfigurationError);
    await expect(unseal(key, 'flow-1', 'token', deviceCode)).rejects.not.toThrow(/device-code-secret/);
  });
});
