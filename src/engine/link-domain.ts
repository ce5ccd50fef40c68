// The programs of a kernel tree. Besides the kernel, a tree holds programs that are never linked
// with it: tools/ (perf, the BPF selftests, the VMA userland tests), scripts/, samples/, usr/. They
// reuse kernel function names (dump_stack(), might_sleep(), down_read()), so a call resolves only
// to a definition of its own program.

import path from 'node:path';

/** Top-level directories of a kernel tree whose code is not linked with the kernel. */
const SEPARATE_PROGRAMS = new Set(['tools', 'scripts', 'samples', 'usr']);

/**
 * The program a file of the tree at `root` belongs to: `kernel`, or the directory of a separate
 * program (`tools/perf`, `tools/testing/selftests/bpf`, `samples/bpf`, `usr`).
 */
export function programOf(root: string, file: string): string {
  const parts = path.relative(root, file).split(path.sep);
  if (parts[0] === '..' || !SEPARATE_PROGRAMS.has(parts[0]!) || parts.length < 2) return 'kernel';
  const depth = parts[0] === 'tools' && parts[1] === 'testing' && parts[2] === 'selftests' ? 4 : 2;
  return parts.slice(0, Math.min(depth, parts.length - 1)).join('/');
}

/** Can a call in `from` resolve to a definition in `to`? */
export function sameProgram(root: string, from: string, to: string): boolean {
  return programOf(root, from) === programOf(root, to);
}
