import { execFileSync } from 'node:child_process';

/**
 * Whether `chattr +i` works here on a file or a folder. An immutable file
 * cannot be replaced, and nothing can be unlinked from an immutable folder,
 * even by root, so tests running as root use it to make a write really fail.
 */
export function immutableWorks(kind: 'file' | 'folder'): boolean {
  const script = kind === 'file' ? 'f=$(mktemp) && chattr +i "$f" && chattr -i "$f" && rm "$f"' : 'd=$(mktemp -d) && chattr +i "$d" && chattr -i "$d" && rmdir "$d"';
  try {
    execFileSync('sh', ['-c', script], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
