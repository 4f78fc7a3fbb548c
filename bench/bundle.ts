/**
 * Suite 2 (bundle size): what a browser user ships. Each entry is bundled
 * with its dependencies by esbuild (ESM, minified, tree-shaken, platform
 * browser), then gzipped at level 9. For the target entry (`pollToken` with
 * the RFC 8628 token transport), the esbuild metafile also says which module
 * contributes how many bytes, and which modules import it.
 */
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';
import { figure, ratio, ROOT, table, verdict } from './report.js';

interface Entry {
  readonly label: string;
  /** The entry module's source, resolved from the repository root. */
  readonly source: string;
}

const ENTRIES = {
  pollTokenTransport: {
    label: 'tokenpoll `pollToken` + `tokenTransport` (RFC 8628)',
    source: "export { pollToken, tokenTransport } from './src/index.ts';",
  },
  openidClient: {
    label: "openid-client 6, device-flow path",
    source: "export { Configuration, discovery, initiateDeviceAuthorization, pollDeviceAuthorizationGrant } from 'openid-client';",
  },
  pollToken: { label: 'tokenpoll `pollToken` only (own transport)', source: "export { pollToken } from './src/index.ts';" },
  login: { label: 'tokenpoll `loginWithDeviceFlow` (discovery, device authorization, poll)', source: "export { loginWithDeviceFlow } from './src/index.ts';" },
  main: { label: 'tokenpoll, the whole main entry (`src/index.ts`)', source: "export * from './src/index.ts';" },
  eventemitter3: { label: 'eventemitter3 5 (dependency)', source: "export { EventEmitter } from 'eventemitter3';" },
  pCancelable: { label: 'p-cancelable 4 (dependency)', source: "export { default } from 'p-cancelable';" },
  pRetry: { label: 'p-retry 7 (dependency)', source: "export { default } from 'p-retry';" },
} as const satisfies Record<string, Entry>;

type EntryKey = keyof typeof ENTRIES;

/** The goal for `pollToken` + `tokenTransport`, gzipped (bytes; the kB are 1000 B). */
const TARGET_GZIP_BYTES = 8_000;

/** One module's share of a bundle. */
export interface ModuleShare {
  /** The module's path, relative to the repository root. */
  readonly module: string;
  /** Minified bytes the module contributes to the bundle. */
  readonly bytes: number;
  /** The modules in the bundle that import it. */
  readonly importedBy: readonly string[];
}

export interface BundleSize {
  readonly key: EntryKey;
  readonly minifiedBytes: number;
  readonly gzipBytes: number;
  /** The npm packages the bundle holds code from. */
  readonly packages: readonly string[];
  /** Every module that contributes bytes, largest first. */
  readonly modules: readonly ModuleShare[];
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
    const modules = moduleShares(result.metafile);
    const packages = new Set(modules.flatMap((share) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(share.module)?.[1] ?? []));
    sizes.push({ key, minifiedBytes: code.byteLength, gzipBytes: gzipSync(code, { level: 9 }).byteLength, packages: [...packages].sort(), modules });
  }
  return sizes;
}

/** The modules whose code made it into the output (not every one that was read and then shaken off), with their importers. */
function moduleShares(metafile: Metafile): ModuleShare[] {
  const inputs = Object.values(metafile.outputs)[0]!.inputs;
  const kept = Object.keys(inputs).filter((input) => inputs[input]!.bytesInOutput > 0);
  const importers = new Map<string, string[]>();
  for (const [from, input] of Object.entries(metafile.inputs)) {
    for (const { path: to } of input.imports) importers.set(to, [...(importers.get(to) ?? []), from]);
  }
  // Barrel files (index.ts) add no bytes and import everything: only modules with code of their own count as importers.
  const users = (module: string): string[] => (importers.get(module) ?? []).filter((from) => (inputs[from]?.bytesInOutput ?? 0) > 0);
  return kept
    .map((module) => ({ module, bytes: inputs[module]!.bytesInOutput, importedBy: [...new Set(users(module))].sort() }))
    .sort((a, b) => b.bytes - a.bytes);
}

const kB = (bytes: number): string => figure(bytes / 1000);
const short = (module: string): string => module.replace(/^src\//, '').replace(/^node_modules\//, '');

/** The table of the target bundle's modules, largest first. */
function breakdown(size: BundleSize): string[] {
  const rows = size.modules.map((share) => [
    `\`${short(share.module)}\``,
    share.bytes.toLocaleString('en-US'),
    `${((share.bytes / size.minifiedBytes) * 100).toFixed(1)} %`,
    share.importedBy.length > 0 ? share.importedBy.map(short).join(', ') : 'the entry',
  ]);
  // By folder of src/ (or by package), largest first.
  const folders = new Map<string, number>();
  for (const share of size.modules) {
    const folder = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(share.module)?.[1] ?? /^src\/([^/]+)\//.exec(share.module)?.[1] ?? short(share.module);
    folders.set(folder, (folders.get(folder) ?? 0) + share.bytes);
  }
  const byFolder = [...folders].sort((a, b) => b[1] - a[1]).map(([folder, bytes]) => `${folder} ${kB(bytes)} kB`);
  return [
    `By folder of src/ or by package, minified: ${byFolder.join(', ')}.`,
    '',
    `<details><summary>What ${ENTRIES[size.key].label} is made of: ${size.modules.length} modules, from the esbuild metafile</summary>`,
    '',
    table(['module (src/ or node_modules/)', 'minified B', 'share', 'imported by (modules in the bundle)'], rows, [3]),
    '',
    'Bytes are those esbuild attributes to each module in the minified output (`bytesInOutput`); gzip works on the whole file, so a module\'s gzipped share is about its minified share. Barrel files (`index.ts`) add no bytes and are left out of the importers column; "the entry" is a module the entry exports from.',
    '',
    '</details>',
  ];
}

export function bundleSection(sizes: readonly BundleSize[]): string {
  const by = (key: EntryKey): BundleSize | undefined => sizes.find((size) => size.key === key);
  const target = by('pollTokenTransport');
  const openidClient = by('openidClient');
  const met = target !== undefined && openidClient !== undefined && target.gzipBytes <= TARGET_GZIP_BYTES && target.gzipBytes < openidClient.gzipBytes;
  return [
    '## 2. Bundle size: what a browser user ships, min+gzip, dependencies included',
    '',
    'Each entry is bundled by esbuild with its dependencies (ESM, minified, tree-shaken, platform `browser`, target ES2022), then gzipped at level 9 (bench/bundle.ts). The openid-client row imports just what a device flow needs (discovery, the device authorization request, the poll). 1 kB = 1000 B.',
    '',
    table(
      ['entry', 'min kB', 'min+gzip kB', 'gzip vs openid-client', 'packages bundled'],
      sizes.map((size) => [ENTRIES[size.key].label, kB(size.minifiedBytes), kB(size.gzipBytes), ratio(size.gzipBytes, openidClient?.gzipBytes), size.packages.join(', ') || '–']),
      [4],
    ),
    '',
    target && openidClient
      ? `**Goal: \`pollToken\` with the RFC 8628 token transport ≤ ${kB(TARGET_GZIP_BYTES)} kB gzipped, and below openid-client's device-flow path.** ${kB(target.gzipBytes)} kB against openid-client's ${kB(openidClient.gzipBytes)} kB: ${verdict(met)}.`
      : 'Not measured in this run.',
    '',
    ...(target ? breakdown(target) : []),
  ].join('\n');
}
