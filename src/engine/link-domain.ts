// The programs of a kernel tree. Besides the kernel, a tree holds programs that are never linked
// with it: tools/ (perf, the BPF selftests, the VMA userland tests), scripts/, samples/, usr/. They
// reuse kernel function names (dump_stack(), might_sleep(), down_read()), so a call resolves only
// to a definition of its own program: kernel code never to one under those directories, and those
// programs never to one of the kernel or of another program.
//
// Where a program ends is approximated from the directories (the Makefiles say exactly, but are
// not read): tools/X, tools/testing/X and tools/testing/selftests/X, scripts/X, samples/X, usr/.
// The code every program under tools/ shares, tools/include (its copy of the kernel's headers),
// tools/lib (libbpf, libperf, libsubcmd, its copies of rbtree.c, bitmap.c, ...) and tools/arch, is
// reachable from every tools/ program, and only from them.

import { existsSync } from 'node:fs';
import path from 'node:path';

/** Top-level directories of a kernel tree whose code is not linked with the kernel. */
export const SEPARATE_PROGRAMS: ReadonlySet<string> = new Set(['tools', 'scripts', 'samples', 'usr']);

/** The file that makes a directory a kernel tree. */
export const KERNEL_MARKER = path.join('include', 'linux', 'mm.h');

/**
 * The kernel tree a directory is the root of, or null: the directory, when it has
 * include/linux/mm.h, unless it is itself one of the separate programs of a tree above it
 * (tools/ has its own include/linux/mm.h, a copy for the tools' programs): then that tree's root.
 */
export function kernelTreeOf(directory: string): string | null {
  if (!existsSync(path.join(directory, KERNEL_MARKER))) return null;
  const parent = path.dirname(path.resolve(directory));
  if (SEPARATE_PROGRAMS.has(path.basename(path.resolve(directory))) && existsSync(path.join(parent, KERNEL_MARKER))) return parent;
  return path.resolve(directory);
}

/** Directories under tools/ that every program under tools/ includes or links. */
export const TOOLS_SHARED: ReadonlySet<string> = new Set(['include', 'lib', 'arch']);

/** The program of the kernel itself (every file outside SEPARATE_PROGRAMS, and any file outside the tree). */
export const KERNEL_PROGRAM = 'kernel';

/**
 * The program a file of the tree at `root` belongs to: `kernel`, or the directory of a separate
 * program (`tools/perf`, `tools/testing/vma`, `tools/testing/selftests/bpf`, `samples/bpf`, `usr`),
 * or one of the directories the tools/ programs share (`tools/lib`, `tools/include`, `tools/arch`).
 */
export function programOf(root: string, file: string): string {
  return programOfRelative(path.relative(root, file));
}

/**
 * The path of `file` relative to `root` when it lies inside it, else null: by string work on the
 * resolved path, the root resolved once (path.relative() resolves both paths again, and the run
 * asks for every file of a whole tree).
 */
export function insideRoot(root: string, file: string): string | null {
  let prefix = rootPrefixes.get(root);
  if (prefix === undefined) rootPrefixes.set(root, (prefix = path.join(path.resolve(root), path.sep)));
  const abs = path.resolve(file);
  return abs.startsWith(prefix) ? abs.slice(prefix.length) : null;
}
const rootPrefixes = new Map<string, string>();

/** programOf() of a path relative to the tree's root. */
function programOfRelative(relative: string): string {
  const parts = relative.split(path.sep);
  if (parts[0] === '..' || !SEPARATE_PROGRAMS.has(parts[0]!) || parts.length < 2) return KERNEL_PROGRAM;
  let depth = 2;
  if (parts[0] === 'tools' && parts[1] === 'testing') depth = parts[2] === 'selftests' ? 4 : 3;
  return parts.slice(0, Math.min(depth, parts.length - 1)).join('/');
}

/** Is `program` one of the directories every tools/ program shares? */
function isToolsShared(program: string): boolean {
  return program.startsWith('tools/') && TOOLS_SHARED.has(program.slice('tools/'.length));
}

/** Can code of program `from` call a function defined in program `to`? */
export function programLinks(from: string, to: string): boolean {
  return from === to || (from.startsWith('tools/') && isToolsShared(to));
}

/** Can a call in `from` resolve to a definition in `to` (both files of the tree at `root`)? */
export function sameProgram(root: string, from: string, to: string): boolean {
  return programLinks(programOf(root, from), programOf(root, to));
}

/**
 * The programs of one run's tree, with each file's program remembered (the run asks for every call
 * it resolves). Without a root (sources held in memory, a directory outside any kernel tree) every
 * file is the kernel's.
 */
export class LinkDomains {
  private readonly programs = new Map<string, string>();
  private readonly ids = new Map<string, number>();
  private readonly names: string[] = [];
  /** programLinks()'s answers, by pair of program numbers. */
  private readonly linkCache = new Map<number, boolean>();

  constructor(readonly root: string | null) {}

  /** The program of a file (see programOf()). */
  programOf(file: string): string {
    if (!this.root) return KERNEL_PROGRAM;
    let program = this.programs.get(file);
    if (program === undefined) {
      program = programOfRelative(insideRoot(this.root, file) ?? path.relative(this.root, file));
      if (this.programs.size > 200_000) this.programs.clear();
      this.programs.set(file, program);
    }
    return program;
  }

  /** A small number for the program of a file, for tables indexed by program. */
  programId(file: string): number {
    return this.idOf(this.programOf(file));
  }

  /** The number of a program (see programId()). */
  idOf(program: string): number {
    let id = this.ids.get(program);
    if (id === undefined) {
      id = this.names.length;
      this.names.push(program);
      this.ids.set(program, id);
    }
    return id;
  }

  /** Can code of program number `from` call a function of program number `to`? */
  idLinks(from: number, to: number): boolean {
    if (from === to) return true;
    const key = from * 65_536 + to;
    let links = this.linkCache.get(key);
    if (links === undefined) {
      links = programLinks(this.names[from]!, this.names[to]!);
      this.linkCache.set(key, links);
    }
    return links;
  }

  /** Can a call in file `from` resolve to a definition in file `to`? */
  links(from: string, to: string): boolean {
    return !this.root || this.idLinks(this.programId(from), this.programId(to));
  }

  /** Is the file part of the kernel (and so sees the kernel's own headers)? */
  isKernel(file: string): boolean {
    return this.programOf(file) === KERNEL_PROGRAM;
  }
}

/** One LinkDomains per tree root, shared by the run's tables. */
const byRoot = new Map<string, LinkDomains>();
const NO_ROOT = new LinkDomains(null);

/** The programs of the tree at `root` (null: no tree, one program). */
export function linkDomains(root: string | null): LinkDomains {
  if (!root) return NO_ROOT;
  let domains = byRoot.get(root);
  if (!domains) {
    if (byRoot.size > 16) byRoot.clear();
    byRoot.set(root, (domains = new LinkDomains(root)));
  }
  return domains;
}
