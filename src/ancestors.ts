// The walk up from a directory to the file system's root, for what lies in the nearest directory
// that has it: the project's configuration (.vmalint.json), the kernel tree a path lies in, the
// installation's root.
import path from 'node:path';

/** What `found` gives for `start` or the nearest of its parents it gives something for; null at the root. */
export function nearestAncestor<T>(start: string, found: (dir: string) => T | null): T | null {
  for (let dir = path.resolve(start); ; ) {
    const got = found(dir);
    if (got !== null) return got;
    const up = path.dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}
