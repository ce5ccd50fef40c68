// What changed-lines mode asks of git: the repository's top, the changed C files and lines against
// a revision, in the index, or in a patch series applied to HEAD (in a scratch index, never the
// user's), and the content the analysis reads. git's own configuration that would change its
// output (prefixes, colour, external diff drivers, quoting) is overridden.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseChangedLines, type ChangedLines } from './changed-lines.js';
import { UsageError } from './usage-error.js';

/** What changed: the working tree against a revision, the index against HEAD, or a patch (series) against HEAD. */
export type ChangeBase = { kind: 'revision'; revision: string } | { kind: 'staged' } | { kind: 'patch'; text: Buffer };

function git(cwd: string, args: string[], what: string, options: { env?: NodeJS.ProcessEnv; input?: Buffer } = {}): Buffer {
  try {
    return execFileSync('git', ['-c', 'core.quotepath=off', ...args], { cwd, env: options.env, input: options.input, stdio: [options.input ? 'pipe' : 'ignore', 'pipe', 'pipe'], maxBuffer: 1 << 30 });
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

/**
 * The C files (*.c, *.h) changed against the base, with their changed lines, and, unless the base
 * is a revision (the working files are read then), their content after the change; `paths` limit
 * the diff.
 */
export function changes(cwd: string, base: ChangeBase, paths: readonly string[], what: string): { root: string; lines: ChangedLines; contents: Map<string, Buffer> | null } {
  const root = repositoryRoot(cwd, what);
  let scratch: string | null = null;
  let env: NodeJS.ProcessEnv | undefined;
  try {
    if (base.kind === 'patch') {
      // The series applied to HEAD in a scratch index: the user's index and files stay as they are.
      scratch = mkdtempSync(path.join(tmpdir(), 'vmalint-patch-'));
      env = { ...process.env, GIT_INDEX_FILE: path.join(scratch, 'index') };
      git(root, ['read-tree', 'HEAD'], what, { env });
      try {
        git(root, ['apply', '--cached', '--whitespace=nowarn', '-'], what, { env, input: base.text });
      } catch (err) {
        throw new UsageError(`${(err as Error).message.replace(`${what}: `, `${what}: the patch does not apply to HEAD: `)}`);
      }
    }
    const args = ['diff', '--no-color', '--no-ext-diff', '--no-textconv', '--unified=0', '--src-prefix=a/', '--dst-prefix=b/', '--diff-filter=ACMR'];
    if (base.kind === 'revision') {
      // A revision, not a path: `--end-of-options` keeps a name starting with `-` from being an option.
      args.push('--end-of-options', base.revision);
    } else args.push('--cached');
    args.push('--', ...(paths.length ? paths : ['.']));
    const diff = git(cwd, args, what, { env }).toString('utf8');
    const lines = parseChangedLines(diff, root);
    for (const file of [...lines.keys()]) if (!C_FILE.test(file)) lines.delete(file);
    if (base.kind === 'revision') return { root, lines, contents: null };
    // The index's blobs (the staged content, or the patched one), not the working files.
    const contents = new Map<string, Buffer>();
    for (const file of lines.keys()) contents.set(file, git(root, ['show', `:${path.relative(root, file).split(path.sep).join('/')}`], what, { env }));
    return { root, lines, contents };
  } finally {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }
}

/** The commit checked out in the git work tree that holds `cwd`; null outside one, before the first commit, or without git. */
export function headCommit(cwd: string): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--verify', '--quiet', 'HEAD'], { cwd, stdio: ['ignore', 'pipe', 'ignore'] }).toString('utf8').trim() || null;
  } catch {
    return null;
  }
}
