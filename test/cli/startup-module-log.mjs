// Loaded with `node --import <this file>`: logs every module the process loads to the file named by
// TOKENPOLL_MODULE_LOG, one URL or path a line: ES modules through a loader hook (registered here, run on the
// loader thread), CommonJS ones from require's cache when the process exits. Used by test/cli/startup.test.ts
// to see what a command loads, never how long it takes.
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { isMainThread } from 'node:worker_threads';

const file = process.env.TOKENPOLL_MODULE_LOG;

if (isMainThread && file) {
  register(import.meta.url);
  const { cache } = createRequire(import.meta.url);
  process.on('exit', () => appendFileSync(file, Object.keys(cache).map((path) => `${path}\n`).join('')));
}

/** The loader hook: runs on the loader thread, for every ES module loaded after registration. */
export async function load(url, context, next) {
  if (file) appendFileSync(file, `${url}\n`);
  return next(url, context);
}
