import { defineConfig } from 'vitest/config';

/**
 * The AWS SDK (a dev dependency the tests drive) warns on Node below 22 that
 * its releases after January 2027 will need Node 22, once per worker, so the
 * warning repeats through the test output. The SDK's own switch silences that
 * one warning, for the test workers only and only on the Node versions it is
 * about: tokenpoll never sets it for its users.
 */
const SDK_NODE_WARNING_OFF = Number(process.versions.node.split('.')[0]) < 22 ? { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } : {};

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    env: SDK_NODE_WARNING_OFF,
  },
  bench: {
    include: ['bench/**/*.bench.ts'],
  },
});
