/**
 * The TSDoc examples of the public API:
 * - every function an entry point exports has an `@example`, but for the few
 *   listed below, each with its reason;
 * - every `@example` in src/ type-checks, as its own module against src/ (the
 *   `tokenpoll…` imports map to the entry points, as tsconfig.json says). A
 *   name an example uses but neither imports nor declares (`accessToken`,
 *   `signal`, `authorization`) is taken as given, as `any`: the check is that
 *   what it imports exists and is called with options of the right names and
 *   types.
 * test/docs/lost-grant-examples.test.ts runs the examples that read a token
 * response against a server that cuts a grant.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, test } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
/** The source of every entry point package.json exports (`./dist/x.js` is built from `src/x.ts`). */
const ENTRY_POINTS = entryPoints().map(({ source }) => source);

/** Exported functions without an example, on purpose. */
const WITHOUT_EXAMPLE: Readonly<Record<string, string>> = {};

describe('the TSDoc examples', () => {
  const program = compile(ENTRY_POINTS.map((file) => join(root, file)));

  test('should cover every exported function a user calls', () => {
    expect(functionsWithoutExample(program)).toEqual(Object.keys(WITHOUT_EXAMPLE).sort());
  });

  test('should type-check, each against src/', () => {
    const examples = findExamples();
    expect(examples.length).toBeGreaterThan(40);
    expect(typeErrors(examples)).toEqual([]);
  });
});

// Helpers

interface Example {
  readonly id: string;
  readonly code: string;
}

/**
 * The repo's compiler options, with every entry point of package.json mapped
 * to its source (`tokenpoll/x` to `src/x.ts`), and leniency a snippet needs:
 * unused names, parameters typed by a given `any`, and `array[0]` without a check.
 */
function compilerOptions(): ts.CompilerOptions {
  const { config } = ts.readConfigFile(join(root, 'tsconfig.json'), ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(config, ts.sys, root);
  const paths = Object.fromEntries(entryPoints().map(({ name, source }) => [name, [`./${source}`]]));
  return { ...options, paths: { ...options.paths, ...paths }, noUnusedLocals: false, noUnusedParameters: false, noImplicitAny: false, noUncheckedIndexedAccess: false, noEmit: true };
}

function compile(files: readonly string[], virtual: ReadonlyMap<string, string> = new Map(), previous?: ts.Program): ts.Program {
  const options = compilerOptions();
  const host = ts.createCompilerHost(options);
  const { fileExists, readFile, getSourceFile } = host;
  host.fileExists = (file) => virtual.has(file) || fileExists.call(host, file);
  host.readFile = (file) => virtual.get(file) ?? readFile.call(host, file);
  host.getSourceFile = (file, language, ...rest) => {
    const text = virtual.get(file);
    return text === undefined ? getSourceFile.call(host, file, language, ...rest) : ts.createSourceFile(file, text, language);
  };
  return ts.createProgram([...files], options, host, previous);
}

/** `entry: name` for each function (or function-valued const) an entry point exports with no `@example` in its TSDoc. */
function functionsWithoutExample(program: ts.Program): string[] {
  const checker = program.getTypeChecker();
  const missing = new Set<string>();
  for (const entry of ENTRY_POINTS) {
    const module = checker.getSymbolAtLocation(program.getSourceFile(join(root, entry))!)!;
    for (const exported of checker.getExportsOfModule(module)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const declarations = symbol.declarations ?? [];
      const isFunction =
        (symbol.flags & ts.SymbolFlags.Function) !== 0 ||
        declarations.some((d) => ts.isVariableDeclaration(d) && d.initializer !== undefined && (ts.isArrowFunction(d.initializer) || ts.isFunctionExpression(d.initializer)));
      if (!isFunction) continue;
      const documented = declarations.some((d) => ts.getJSDocTags(d).some((tag) => tag.tagName.text === 'example'));
      if (!documented) missing.add(exported.name);
    }
  }
  return [...missing].sort();
}

/** Every ```ts block under an `@example` in a TSDoc comment of src/. */
function findExamples(): Example[] {
  const found: Example[] = [];
  for (const file of sourceFiles(join(root, 'src'))) {
    let index = 0;
    for (const [, comment] of readFileSync(file, 'utf8').matchAll(/\/\*\*([\s\S]*?)\*\//g)) {
      const text = comment!.split('\n').map((line) => line.replace(/^\s*\* ?/, '')).join('\n');
      for (const [, code] of text.matchAll(/@example[\s\S]*?```ts\n([\s\S]*?)```/g)) {
        index += 1;
        found.push({ id: `${relative(root, file)}, example ${index}`, code: code! });
      }
    }
  }
  return found;
}

/**
 * tsc's errors for the examples, each its own module: a first pass finds the
 * names each takes as given, a second declares them (`any`, as a value and a
 * type) and reports what is left.
 */
function typeErrors(examples: readonly Example[]): string[] {
  const path = (index: number): string => join(root, `tsdoc-example-${index + 1}.ts`);
  let previous: ts.Program | undefined; // each pass reuses what it can of the one before (src/ does not change)
  const diagnose = (texts: readonly string[]): ts.Diagnostic[] => {
    const files = new Map(texts.map((text, index) => [path(index), text] as const));
    previous = compile([...files.keys()], files, previous);
    const program = previous;
    return [...files.keys()].flatMap((file) => ts.getPreEmitDiagnostics(program, program.getSourceFile(file)));
  };
  const first = examples.map((e) => `${e.code}\nexport {};\n`);
  const given = new Map<string, Set<string>>();
  const withGiven = (): string[] => first.map((text, index) => [...(given.get(path(index)) ?? [])].map((name) => `declare const ${name}: any; type ${name} = any;\n`).join('') + text);
  // Each pass may reveal more (a name behind another); three are plenty for a snippet.
  for (let pass = 0; pass < 3; pass++) {
    let more = false;
    for (const d of diagnose(withGiven())) {
      const name = /^(?:Cannot find name|No value exists in scope for the shorthand property) '(\w+)'/.exec(ts.flattenDiagnosticMessageText(d.messageText, '\n'))?.[1];
      const names = given.get(d.file!.fileName) ?? new Set();
      if (name !== undefined && !names.has(name)) {
        given.set(d.file!.fileName, names.add(name));
        more = true;
      }
    }
    if (!more) break;
  }
  const second = withGiven();
  return diagnose(second).map((d) => {
    const index = Number(/tsdoc-example-(\d+)\.ts$/.exec(d.file!.fileName)![1]) - 1;
    return `${examples[index]!.id}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
}

/** Each entry point of package.json: its name (`tokenpoll/node`) and its source (`src/node.ts`). */
function entryPoints(): Array<{ name: string; source: string }> {
  const { exports } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, string | { default?: string }> };
  return Object.entries(exports).flatMap(([key, target]) => {
    const built = /^\.\/dist\/(.+)\.js$/.exec((typeof target === 'string' ? target : target.default) ?? '')?.[1];
    return built === undefined ? [] : [{ name: key === '.' ? 'tokenpoll' : `tokenpoll/${key.slice(2)}`, source: `src/${built}.ts` }];
  });
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}
