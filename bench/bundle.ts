/**
 * Suite 5 (bundle size): each entry is bundled with its dependencies by
 * esbuild (ESM, minified, tree-shaken, for the browser, where bytes matter
 * most), then gzipped at level 9.
 */
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { figure, ratio, ROOT, table } from './report.js';

interface Entry {
  readonly label: string;
  /** The entry module's source, resolved from the repository root. */
  readonly source: string;
}

const ENTRIES = {
  tokenpoll: { label: 'tokenpoll, the whole core entry (`src/index.ts`)', source: "export * from './src/index.ts';" },
  tokenpollLogin: {
    label: 'tokenpoll, device-flow path (`loginWithDeviceFlow`)',
    source: "export { loginWithDeviceFlow } from './src/index.ts';",
  },
  tokenpollPoll: { label: 'tokenpoll, `pollToken` only', source: "export { pollToken } from './src/index.ts';" },
  openidClient: {
    label: 'openid-client 6, device-flow path',
    source: "export { Configuration, discovery, initiateDeviceAuthorization, pollDeviceAuthorizationGrant } from 'openid-client';",
  },
  pRetry: { label: 'p-retry 7', source: "export { default } from 'p-retry';" },
  cockatielRetry: { label: 'cockatiel 3, `retry` with backoff', source: "export { retry, handleAll, ExponentialBackoff } from 'cockatiel';" },
  cockatiel: { label: 'cockatiel 3, whole package', source: "export * from 'cockatiel';" },
} as const satisfies Record<string, Entry>;

type EntryKey = keyof typeof ENTRIES;

export interface BundleSize {
  readonly key: EntryKey;
  readonly minifiedBytes: number;
  readonly gzipBytes: number;
  /** The npm packages the bundle holds code from. */
  readonly packages: readonly string[];
}

export async function measureBundles(): Promise<BundleSize[]> {
  const sizes: BundleSize[] = [];
  for (const [key, entry] of Object.entries(ENTRIES) as [EntryKey, Entry][]) {
    const result = await build({
      stdin: { contents: entry.source, resolveDir: ROOT, loader: 'ts' },
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      minify: true,
      treeShaking: true,
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const code = result.outputFiles[0]!.contents;
    // The packages whose code made it into the output (not every one that was read and then shaken off).
    const inputs = Object.values(result.metafile.outputs)[0]!.inputs;
    const kept = Object.keys(inputs).filter((input) => inputs[input]!.bytesInOutput > 0);
    const packages = new Set(kept.flatMap((input) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1] ?? []));
    sizes.push({ key, minifiedBytes: code.byteLength, gzipBytes: gzipSync(code, { level: 9 }).byteLength, packages: [...packages].sort() });
  }
  return sizes;
}

export function bundleSection(sizes: readonly BundleSize[]): string {
  const core = sizes.find((size) => size.key === 'tokenpoll')?.gzipBytes;
  const kb = (bytes: number): string => figure(bytes / 1024);
  return [
    '## 5. Bundle size: min+gzip, dependencies included',
    '',
    'Each entry is bundled by esbuild with its dependencies (ESM, minified, tree-shaken, platform `browser`, target ES2022), then gzipped at level 9 (bench/bundle.ts). The openid-client row imports just what a device flow needs.',
    '',
    table(
      ['entry', 'min KiB', 'min+gzip KiB', 'ratio vs tokenpoll core entry', 'packages bundled'],
      sizes.map((size) => [ENTRIES[size.key].label, kb(size.minifiedBytes), kb(size.gzipBytes), ratio(size.gzipBytes, core), size.packages.join(', ') || '–']),
      [4],
    ),
    '',
    'The core entry holds everything tokenpoll exports: the state machine, the driver, backoff, the classifier, the RFC 8628 and AWS transports and logins, and the errors. No target was set for this suite.',
  ].join('\n');
}
