#!/usr/bin/env node
// `npm run demo` runs this first: it builds dist/ (tsc -p tsconfig.build.json) only when dist/ is out of date,
// so that a second `npm run demo` starts at once instead of compiling the whole package again. dist/ is out
// of date when a source file under src/ (.ts, .cts, .mts) has no compiled .js (.cjs, .mjs) in dist/ or is
// newer than it, or when a tsconfig file is newer than the oldest output. No state is kept besides dist/ itself, so a fresh clone (no
// dist/), `npm run clean`, or a half-deleted dist/ all build.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Why `root`'s dist/ is out of date (one short phrase naming a file), or `undefined` when it is current.
 * @param {string} root the package folder (holding src/, dist/ and tsconfig.build.json)
 * @returns {string | undefined}
 */
export function staleReason(root) {
  const src = path.join(root, 'src');
  const dist = path.join(root, 'dist');
  let oldestOutput = Infinity;
  for (const file of sources(src)) {
    const output = path.join(dist, path.relative(src, file).replace(/\.([cm]?)ts$/, '.$1js'));
    const built = mtime(output);
    if (built === undefined) return `${path.relative(root, output)} is missing`;
    if (mtime(file) > built) return `${path.relative(root, file)} changed`;
    oldestOutput = Math.min(oldestOutput, built);
  }
  if (oldestOutput === Infinity) return 'src/ has no sources';
  for (const config of ['tsconfig.json', 'tsconfig.build.json']) {
    if ((mtime(path.join(root, config)) ?? 0) > oldestOutput) return `${config} changed`;
  }
  return undefined;
}

/** Every .ts file under `dir` but declaration files, depth first. */
function* sources(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* sources(full);
    else if (/\.[cm]?ts$/.test(entry.name) && !/\.d\.[cm]?ts$/.test(entry.name)) yield full;
  }
}

function mtime(file) {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
  const reason = staleReason(root);
  if (reason !== undefined) {
    process.stderr.write(`Building dist/ (${reason})…\n`);
    const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const { status } = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
    process.exitCode = status ?? 1;
  }
}
