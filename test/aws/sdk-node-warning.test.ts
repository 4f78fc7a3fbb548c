import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SSOOIDCClient } from '@aws-sdk/client-sso-oidc';
import { describe, expect, test } from 'vitest';

const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

describe('the test setup', () => {
  describe("should silence the AWS SDK's NodeVersionSupportWarning", () => {
    test.runIf(NODE_MAJOR < 22)('when a test makes an SDK client on Node below 22', async () => {
      // Arrange
      const warnings: Error[] = [];
      const onWarning = (warning: Error): void => void warnings.push(warning);
      process.on('warning', onWarning);

      // Act
      try {
        new SSOOIDCClient({ region: 'us-east-1' }).destroy();
        await new Promise((resolve) => setTimeout(resolve, 10));
      } finally {
        process.off('warning', onWarning);
      }

      // Assert
      expect(warnings.map((warning) => warning.message).filter((message) => message.includes('NodeVersionSupportWarning'))).toEqual([]);
    });

    test('when tokenpoll runs for a user: the library never sets the switch itself', () => {
      const sources = readdirSync(join(import.meta.dirname, '../../src'), { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.ts'));
      for (const file of sources) expect(readFileSync(join(import.meta.dirname, '../../src', file), 'utf8'), file).not.toContain('AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED');
    });
  });
});
