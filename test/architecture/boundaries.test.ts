import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';

const root = join(import.meta.dirname, '../../src');
const filesIn = (dir: string): string[] => readdirSync(join(root, dir)).filter((f) => f.endsWith('.ts')).map((f) => join(dir, f));
const source = (file: string): string => readFileSync(join(root, file), 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
const importsOf = (file: string): string[] =>
  [...source(file).matchAll(/^\s*(?:import|export)[^'"]*from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]!);

describe('architecture', () => {
  describe('should keep the core pure', () => {
    test.each([...filesIn('core'), ...filesIn('backoff')])('when %s imports, it imports only core/ and backoff/', (file) => {
      for (const specifier of importsOf(file)) {
        expect(specifier, `${file} imports ${specifier}`).toMatch(/^\.\/|^\.\.\/(core|backoff)\//);
      }
    });

    test.each([...filesIn('core'), ...filesIn('backoff')])('when %s runs, it reads no clock, random source, timer or network', (file) => {
      expect(source(file)).not.toMatch(/\b(Date\.now|performance\.now|Math\.random|setTimeout|setInterval|queueMicrotask|fetch|AbortController)\b/);
    });
  });

  describe('should run wherever fetch does', () => {
    const everyFile = (readdirSync(root, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts'));
    const nodeOnly = (f: string): boolean => f.startsWith('testing/emulator/') || f.startsWith('node/') || f.startsWith('cli/') || f === 'node.ts';
    test.each(everyFile.filter((f) => !nodeOnly(f)))('when %s is read, it uses no Node-only module', (file) => {
      const text = readFileSync(join(root, file), 'utf8');
      expect(importsOf(file).filter((specifier) => specifier.startsWith('node:'))).toEqual([]);
      expect(text).not.toMatch(/reference types="node"/);
    });
  });

  describe('should never poll with setInterval', () => {
    test.each(['runtime', 'clock', 'classify', 'testing'].flatMap(filesIn))('when %s is read', (file) => {
      expect(source(file)).not.toMatch(/\bsetInterval\b/);
    });
  });
});
