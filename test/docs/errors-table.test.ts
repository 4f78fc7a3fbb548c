/**
 * ERRORS.md's table of codes cannot drift from the code: every error class an
 * entry point exports has exactly one row, every `ErrorCode` exactly one row,
 * and each row's codes are the ones its class's source raises.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { pathToFileURL } from 'node:url';
import * as main from '../../src/index.js';

const root = join(import.meta.dirname, '..', '..');
/** Every entry point package.json exports, loaded from its source (`./dist/x.js` is built from `src/x.ts`). */
const ENTRY_POINTS: Readonly<Record<string, Record<string, unknown>>> = await loadEntryPoints();

interface Row {
  readonly codes: readonly string[];
  readonly classes: readonly string[];
  readonly when: string;
  readonly todo: string;
}

describe('ERRORS.md, the table of codes', () => {
  const rows = readTable();
  const exported = exportedErrorClasses();

  test('should be found, and linked from the README or ARCHITECTURE.md', () => {
    expect(rows.length).toBeGreaterThanOrEqual(20);
    const linked = ['README.md', 'ARCHITECTURE.md'].filter((file) => readFileSync(join(root, file), 'utf8').includes('(ERRORS.md'));
    expect(linked.length).toBeGreaterThan(0);
  });

  test('should have a row for every error class an entry point exports, once', () => {
    expect(Object.keys(ENTRY_POINTS)).toEqual(expect.arrayContaining(['.', './node', './testing']));
    const listed = rows.flatMap((r) => r.classes);
    expect([...listed].sort()).toEqual([...new Set(listed)].sort()); // none twice
    expect([...listed].sort()).toEqual([...exported.keys()].sort());
  });

  test('should have every ErrorCode in one row, and no other code', () => {
    const listed = rows.flatMap((r) => r.codes);
    expect([...listed].sort()).toEqual(Object.values(main.ErrorCode).sort());
  });

  test("should give each class the codes its source raises", () => {
    const sources = classSources();
    for (const row of rows) {
      const raised = new Set(row.classes.flatMap((name) => [...(sources.get(name) ?? '').matchAll(/ErrorCode\.([A-Z_]+)/g)].map((m) => main.ErrorCode[m[1] as keyof typeof main.ErrorCode])));
      expect({ classes: row.classes, codes: [...row.codes].sort() }).toEqual({ classes: row.classes, codes: [...raised].sort() });
    }
  });

  test('should say, for each row, when and what to do', () => {
    for (const row of rows) {
      expect(row.when.length, row.classes.join()).toBeGreaterThan(20);
      expect(row.todo.length, row.classes.join()).toBeGreaterThan(5);
    }
  });

  test('should give every class that has a code its code, by an instance', () => {
    // The ones built without arguments that matter: a check that the table's codes are the ones users see.
    expect(new main.PollCancelledError().code).toBe(rows.find((r) => r.classes.includes('PollCancelledError'))!.codes[0]);
    expect(new main.PollTimeoutError(1000).code).toBe(rows.find((r) => r.classes.includes('PollTimeoutError'))!.codes[0]);
    expect([new main.ExpiredTokenError('server').code, new main.ExpiredTokenError('deadline').code]).toEqual(rows.find((r) => r.classes.includes('ExpiredTokenError'))!.codes);
  });
});

// Helpers

async function loadEntryPoints(): Promise<Record<string, Record<string, unknown>>> {
  const { exports } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, string | { default?: string }> };
  const loaded: Record<string, Record<string, unknown>> = {};
  for (const [key, target] of Object.entries(exports)) {
    const built = /^\.\/dist\/(.+)\.js$/.exec((typeof target === 'string' ? target : target.default) ?? '')?.[1];
    if (built !== undefined) loaded[key] = (await import(/* @vite-ignore */ pathToFileURL(join(root, 'src', `${built}.ts`)).href)) as Record<string, unknown>;
  }
  return loaded;
}

/** The rows between the table's markers: codes and classes from their backquoted names. */
function readTable(): Row[] {
  const text = readFileSync(join(root, 'ERRORS.md'), 'utf8');
  const table = /<!-- errors-table:start -->\n([\s\S]*?)<!-- errors-table:end -->/.exec(text)?.[1] ?? '';
  const lines = table.trim().split('\n').slice(2);
  return lines.map((line) => {
    const cells = line.split(' | ').map((cell) => cell.replace(/^\|\s*|\s*\|$/g, ''));
    expect(cells, line).toHaveLength(4);
    const [code, classes, when, todo] = cells as [string, string, string, string];
    return {
      codes: [...code.matchAll(/`(ERR_[A-Z_]+)`/g)].map((m) => m[1]!),
      classes: [...classes.matchAll(/`(\w+)`/g)].map((m) => m[1]!),
      when,
      todo,
    };
  });
}

/** Every exported class whose instances are Errors, by name, with the entry points that export it. */
function exportedErrorClasses(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const [entry, module] of Object.entries(ENTRY_POINTS)) {
    for (const [name, value] of Object.entries(module)) {
      if (typeof value === 'function' && value.prototype instanceof Error) found.set(name, [...(found.get(name) ?? []), entry]);
    }
  }
  return found;
}

/** Each class's source text in src/, from `export class Name` to the next top-level export. */
function classSources(): Map<string, string> {
  const sources = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) {
        const text = readFileSync(path, 'utf8');
        for (const m of text.matchAll(/^export class (\w+)[\s\S]*?(?=^export |(?![\s\S]))/gm)) sources.set(m[1]!, m[0]);
      }
    }
  };
  walk(join(root, 'src'));
  return sources;
}
