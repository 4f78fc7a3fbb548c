import { readFileSync, readdirSync } from 'node:fs';
import { join, posix } from 'node:path';
import ts from 'typescript';
import { describe, expect, test } from 'vitest';

/**
 * The allowed imports: folder of src/ → the folders it may import. A folder
 * may always import its own files; a file in a subfolder (transports/aws/,
 * testing/emulator/) counts as its top folder. Any arrow not listed here
 * fails the test.
 */
const ALLOWED_IMPORTS = {
  core: [],
  backoff: ['core'],
  clock: [],
  errors: ['core'],
  classify: ['core', 'backoff', 'errors'],
  retry: ['core', 'backoff', 'clock', 'errors', 'classify'],
  transports: ['core', 'backoff', 'clock', 'errors', 'classify', 'retry'],
  runtime: ['core', 'backoff', 'clock', 'errors', 'classify', 'retry', 'transports'],
  flows: ['core', 'backoff', 'clock', 'errors', 'classify', 'retry', 'transports', 'runtime'],
  aws: ['core', 'backoff', 'clock', 'errors', 'classify', 'retry', 'transports'],
  node: ['core', 'backoff', 'clock', 'errors', 'classify', 'retry', 'transports', 'runtime', 'flows', 'aws'],
  testing: ['core', 'backoff', 'clock', 'errors', 'classify', 'retry', 'transports', 'runtime', 'flows', 'aws'],
  cli: ['core', 'backoff', 'clock', 'errors', 'classify', 'retry', 'transports', 'runtime', 'flows', 'aws', 'node', 'testing'],
  bullmq: ['core', 'backoff', 'clock', 'errors', 'classify', 'retry', 'transports', 'runtime', 'flows'],
} as const satisfies Record<string, readonly string[]>;

/** The entry files: they may import anything, and nothing in src/ imports them (that would be a way round the matrix). */
const ENTRY_FILES = ['index.ts', 'node.ts', 'testing.ts', 'testing-arbitraries.ts', 'testing-emulator.ts', 'bullmq.ts'];

/** The npm packages src/ uses, and the folders that may use each one. */
const ALLOWED_PACKAGES: Record<string, readonly Folder[]> = {
  'p-retry': ['retry'],
  eventemitter3: ['runtime'],
  'p-cancelable': ['runtime'],
  'fast-check': ['testing'],
  uqr: ['cli'],
  bullmq: ['bullmq'],
  ioredis: ['bullmq'],
};

/** Only these may import `node:*` modules (or reference Node's types): everything else runs wherever fetch does. */
const NODE_ONLY = ['node/', 'cli/', 'testing/emulator/', 'node.ts', 'testing-emulator.ts'];

/** The entry points a browser bundles: nothing they reach, through any chain of imports, is Node-only or an optional peer. */
const BROWSER_ENTRY_FILES = ['index.ts', 'testing.ts'];
const OPTIONAL_PEERS = ['fast-check', '@aws-sdk/client-sso-oidc', 'bullmq', 'ioredis'];

/** What the pure layers never touch: a clock, a random source, a timer or the network. */
const IMPURE_GLOBALS = ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'queueMicrotask', 'performance', 'crypto', 'fetch', 'XMLHttpRequest', 'WebSocket', 'AbortController'];
const IMPURE_MEMBERS = ['Date.now', 'Math.random'];
const PURE_FOLDERS: readonly Folder[] = ['core', 'backoff'];

type Folder = keyof typeof ALLOWED_IMPORTS;
const FOLDERS = Object.keys(ALLOWED_IMPORTS) as Folder[];

const root = join(import.meta.dirname, '../../src');
/** Every .ts file of src/, as a path relative to it with forward slashes. */
const sourceFiles = (readdirSync(root, { recursive: true }) as string[])
  .filter((file) => file.endsWith('.ts'))
  .map((file) => file.split('\\').join('/'))
  .sort();

describe('architecture', () => {
  describe('should state every folder of src/ in the matrix', () => {
    test('when src/ is listed, each top folder has a row and each file is in a folder or is an entry file', () => {
      const entries = readdirSync(root, { withFileTypes: true });
      expect(entries.filter((e) => e.isDirectory()).map((e) => e.name).sort()).toEqual([...FOLDERS].sort());
      expect(entries.filter((e) => e.isFile()).map((e) => e.name).sort()).toEqual([...ENTRY_FILES].sort());
    });
  });

  describe('should import only along the allowed arrows', () => {
    test.each(sourceFiles.filter((file) => !ENTRY_FILES.includes(file)))('when %s imports', (file) => {
      const from = folderOf(file) as Folder;
      const allowed: readonly string[] = [from, ...ALLOWED_IMPORTS[from]];
      const wrong = importsOf(file)
        .filter((specifier) => specifier.startsWith('.'))
        .map((specifier) => ({ specifier, to: folderOf(posix.join(posix.dirname(file), specifier)) }))
        .filter(({ to }) => !allowed.includes(to))
        .map(({ specifier, to }) => `${from} → ${ENTRY_FILES.includes(to) ? `the entry file ${to}` : to} (${file} imports ${specifier})`);
      expect(wrong).toEqual([]);
    });

    test.each(sourceFiles)('when %s imports a package, that folder may use it', (file) => {
      const from = folderOf(file);
      const wrong = importsOf(file)
        .filter((specifier) => !specifier.startsWith('.') && !specifier.startsWith('node:'))
        .filter((specifier) => !ENTRY_FILES.includes(from) && !(ALLOWED_PACKAGES[packageName(specifier)] ?? []).includes(from as Folder));
      expect(wrong, `${file} imports ${wrong.join(', ')}`).toEqual([]);
    });
  });

  describe('should keep the core pure', () => {
    test.each(sourceFiles.filter((file) => PURE_FOLDERS.includes(folderOf(file) as Folder)))('when %s runs, it reads no clock, random source, timer or network', (file) => {
      expect(impureReads(file)).toEqual([]);
    });
  });

  describe('should run wherever fetch does', () => {
    test.each(sourceFiles.filter((file) => !NODE_ONLY.some((prefix) => file.startsWith(prefix))))('when %s is read, it uses no Node-only module', (file) => {
      expect(importsOf(file).filter((specifier) => specifier.startsWith('node:'))).toEqual([]);
      expect(readFileSync(join(root, file), 'utf8')).not.toMatch(/reference types="node"/);
    });
  });

  describe('should keep the browser-safe entry points free of Node and optional peers', () => {
    test.each(BROWSER_ENTRY_FILES)('when everything %s reaches is listed', (entry) => {
      const reached = reachableFrom(entry);
      expect(reached.files.filter((file) => NODE_ONLY.some((prefix) => file.startsWith(prefix)))).toEqual([]);
      expect(reached.packages.filter((name) => name.startsWith('node:') || OPTIONAL_PEERS.includes(packageName(name)))).toEqual([]);
    });
  });

  describe('should never poll with setInterval', () => {
    test.each(sourceFiles)('when %s is read', (file) => {
      expect(impureReads(file).filter((name) => name === 'setInterval')).toEqual([]);
    });
  });
});

// Helpers

/** `core` for `core/rules.ts`, `transports` for `transports/aws/call.ts`, the file itself for an entry file. */
function folderOf(file: string): string {
  const normalized = posix.normalize(file);
  return normalized.includes('/') ? normalized.slice(0, normalized.indexOf('/')) : normalized.replace(/\.js$/, '.ts');
}

/** `p-retry` for `p-retry`, `@scope/name` for `@scope/name/sub`. */
function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** The src/ files an entry file reaches through its relative imports (type-only ones too), and the packages they import. */
function reachableFrom(entry: string): { files: string[]; packages: string[] } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    for (const specifier of importsOf(file)) {
      if (specifier.startsWith('.')) visit(posix.normalize(posix.join(posix.dirname(file), specifier)).replace(/\.js$/, '.ts'));
      else packages.add(specifier);
    }
  };
  visit(entry);
  return { files: [...files].sort(), packages: [...packages].sort() };
}

/** Every module specifier of a file: static imports and re-exports (type-only ones too) and dynamic `import()`s, comments ignored. */
function importsOf(file: string): string[] {
  return ts.preProcessFile(readFileSync(join(root, file), 'utf8'), true, true).importedFiles.map((imported) => imported.fileName);
}

/** The impure globals a file reads, found in its syntax tree (so comments, strings and property names do not count). */
function impureReads(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(join(root, file), 'utf8'), ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isPropertyAccessExpression(node) && IMPURE_MEMBERS.includes(node.getText(source))) found.push(node.getText(source));
    if (ts.isNewExpression(node) && node.expression.getText(source) === 'Date' && !node.arguments?.length) found.push('new Date()');
    if (ts.isIdentifier(node) && IMPURE_GLOBALS.includes(node.text) && !isMemberName(node)) found.push(node.text);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** An identifier that names a member (`x.setTimeout`, `{ fetch: … }`, `fetch(): void` in a type), not a global. */
function isMemberName(node: ts.Identifier): boolean {
  const { parent } = node;
  const named = parent as ts.Node & { readonly name?: ts.Node };
  return (
    (ts.isPropertyAccessExpression(parent) || ts.isQualifiedName(parent) || ts.isPropertyAssignment(parent) || ts.isPropertySignature(parent) || ts.isMethodSignature(parent) || ts.isPropertyDeclaration(parent) || ts.isMethodDeclaration(parent)) &&
    (named.name === node || (ts.isQualifiedName(parent) && parent.right === node))
  );
}
