import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { buildDist } from './global-setup.js';

describe('global setup', () => {
  describe('should build beside dist/ and swap it in', () => {
    test('when it builds, dist/ keeps the old build untouched until the new one is whole, and nothing is left over', () => {
      // Arrange
      const root = temporaryRoot();
      mkdirSync(join(root, 'dist'));
      writeFileSync(join(root, 'dist', 'old.js'), 'old');
      const seenDuringBuild: string[][] = [];

      // Act
      buildDist(root, (outDir) => {
        mkdirSync(outDir, { recursive: true });
        writeFileSync(join(outDir, 'index.js'), 'new');
        seenDuringBuild.push(readdirSync(join(root, 'dist')));
        writeFileSync(join(outDir, 'cli.js'), 'new');
        seenDuringBuild.push(readdirSync(join(root, 'dist')));
      });

      // Assert
      expect(seenDuringBuild).toEqual([['old.js'], ['old.js']]);
      expect(readdirSync(join(root, 'dist')).sort()).toEqual(['cli.js', 'index.js']);
      expect(readFileSync(join(root, 'dist', 'index.js'), 'utf8')).toBe('new');
      expect(readdirSync(root)).toEqual(['dist']);
    });

    test('when there is no dist/ yet, it creates it', () => {
      const root = temporaryRoot();
      buildDist(root, (outDir) => {
        mkdirSync(outDir, { recursive: true });
        writeFileSync(join(outDir, 'index.js'), 'new');
      });
      expect(readdirSync(join(root, 'dist'))).toEqual(['index.js']);
      expect(readdirSync(root)).toEqual(['dist']);
    });

    test('when the build throws, dist/ stays as it was and the half build is removed', () => {
      const root = temporaryRoot();
      mkdirSync(join(root, 'dist'));
      writeFileSync(join(root, 'dist', 'old.js'), 'old');
      expect(() =>
        buildDist(root, (outDir) => {
          mkdirSync(outDir, { recursive: true });
          throw new Error('tsc crashed');
        }),
      ).toThrow('tsc crashed');
      expect(readdirSync(join(root, 'dist'))).toEqual(['old.js']);
      expect(readdirSync(root)).toEqual(['dist']);
    });
  });
});

// Helpers

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

function temporaryRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'tokenpoll-global-setup-'));
  roots.push(root);
  return root;
}
