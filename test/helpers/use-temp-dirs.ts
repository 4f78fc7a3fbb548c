import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';

/**
 * Makes temporary folders (`<os tmp>/<prefix>XXXXXX/dir`), removed after each
 * test. Each is one level inside a folder of its own, so that what tokenpoll
 * keeps beside a folder (the refresh records of a cache folder go to
 * `<its parent>/tokenpoll`) stays in the test's own folder too, never in the
 * shared `<os tmp>`.
 */
export function useTempDirs(prefix = 'tokenpoll-'): () => Promise<string> {
  const made: string[] = [];
  afterEach(async () => {
    await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });
  return async () => {
    const root = await mkdtemp(join(tmpdir(), prefix));
    made.push(root);
    const dir = join(root, 'dir');
    await mkdir(dir);
    return dir;
  };
}
