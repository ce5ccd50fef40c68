// What changed-lines mode asks of git: the repository's top, the changed C files and lines against
// a revision or in the index, and the staged content of a file. git's own configuration that
// would change its output (prefixes, colour, external diff drivers, quoting) is overridden.

import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { parseChangedLines, type ChangedLines } from './changed-lines.js';
import { UsageError } from './usage-error.js';

/** What to compare with: the working tree against a revision, or the index against HEAD. */
export type ChangeBase = { kind: 'revision'; revision: string } | { kind: 'staged' };

function git(cwd: string, args: string[], what: string): Buffer {
  try {
    return execFileSync('git', ['-c', 'core.quotepath=off', ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 30 });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: Buffer };
    if (e.code === 'ENOENT') throw new UsageError(`${what}: git is not installed (or not on PATH)`);
    const message = e.stderr?.toString('utf8').trim().split('\n')[0] ?? e.message;
    throw new UsageError(`${what}: ${message.replace(/^(fatal|error): /, '')}`);
  }
}

/** The top of the git work tree that holds `cwd`. */
export function repositoryRoot(cwd: string, what: string): string {
  return git(cwd, ['rev-parse', '--show-toplevel'], what).toString('utf8').trim();
}

const C_FILE = /\.[ch]$/;

/** The C files (*.c, *.h) changed against the base, with their changed lines; `paths` limit the diff. */
export function changes(cwd: string, base: ChangeBase, paths: readonly string[], what: string): { root: string; lines: ChangedLines } {
  const root = repositoryRoot(cwd, what);
  const args = ['diff', '--no-color', '--no-ext-diff', '--no-textconv', '--unified=0', '--src-prefix=a/', '--dst-prefix=b/', '--diff-filter=ACMR'];
  if (base.kind === 'staged') args.push('--cached');
  else {
    // A revision, not a path: `--end-of-options` keeps a name starting with `-` from being an option.
    args.push('--end-of-options', base.revision);
  }
  args.push('--', ...(paths.length ? paths : ['.']));
  const diff = git(cwd, args, what).toString('utf8');
  const lines = parseChangedLines(diff, root);
  for (const file of [...lines.keys()]) if (!C_FILE.test(file)) lines.delete(file);
  return { root, lines };
}

/** The staged content of a file of the repository (the index's blob, not the working file). */
export function stagedContent(root: string, file: string, what: string): Buffer {
  const relative = path.relative(root, file).split(path.sep).join('/');
  return git(root, ['show', `:${relative}`], what);
}
