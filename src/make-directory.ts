// mkdir -p without Node's `recursive: true`, which never returns for a directory that the kernel
// refuses to create in an existing parent (`/proc/x`: ENOENT for a parent that is there, so Node
// creates the parent again, forever). Each missing directory is made one at a time, and the first
// error is thrown as it is.
import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';

export function makeDirectory(dir: string): void {
  const missing: string[] = [];
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    try {
      if (statSync(at).isDirectory()) break;
      const error = new Error(`${at} is not a directory`) as NodeJS.ErrnoException;
      error.code = 'ENOTDIR';
      throw error;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || path.dirname(at) === at) throw error;
      missing.push(at);
    }
  }
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}
