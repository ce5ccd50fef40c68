// The cross-file facts: what the run has learned from its files beyond the knowledge base (the
// summaries of the run's files, of the headers and of earlier runs; `__noreturn` declarations;
// initializers; the knowledge base as the tree declares it), how a summary and a knowledge-base
// entry combine, and when a summary changed (for the cross-file fixed point,
// src/run/round-scheduler.ts). Files ask it through a CrossFileView (src/cross-file-view.ts).

import type { ApiEntry } from '../kb/lock-api.js';
import { summaryFingerprint } from './summary.js';
import { RAW_CHANGES, widenSummary } from './summary-widening.js';
import path from 'node:path';
import { declarationScope, NoreturnIndex } from './noreturn.js';
import { internName } from './prescan.js';
import { insideRoot, KERNEL_PROGRAM, linkDomains, type LinkDomains } from './link-domain.js';
import { TreeApis } from './tree-apis.js';
import type { LockOrderEdge } from '../types.js';
import { LockOrder, documentedOrderEdges } from './lock-order.js';

/** Summaries of one file's functions and the names the file looked up outside itself. */
export interface FileContribution {
  /** Non-static functions: what the rest of the run may call. */
  exported: Map<string, ApiEntry>;
  /** Static functions (kept only for AnalyzeOptions.staticSummaries). */
  statics: Map<string, ApiEntry>;
  /** File-scope initializers of non-static variables. */
  initializers: Map<string, Map<string, string>>;
  /** Names of functions defined elsewhere that the flow analysis asked about. */
  lookedUp: Set<string>;
  /** Names the file-level checks asked about (they read the whole summary). */
  lookedUpWhole: Set<string>;
  /** The lock order its functions' paths and callback tables show (src/engine/lock-order.ts). */
  lockOrder: LockOrderEdge[];
}

/** What an entry says of the VMA a function returns. */
const RETURN_FACTS = ['returnsVma', 'returnsNullable', 'mayStartAbove', 'fails', 'freshVma', 'treeEntry'] as const;

/** Knowledge-base entry and summary of one function merged: the KB is the contract where it speaks. */
export function mergeEntry(summary: ApiEntry | undefined, kb: ApiEntry | undefined, definedHere: boolean): ApiEntry | undefined {
  if (!summary) {
    if (!kb || !definedHere) return kb;
    // The file defines the function but its summary is not computed yet (recursion): only what a
    // body cannot show is taken from the table.
    return kb.lock || kb.mayFault ? { name: kb.name, lock: kb.lock, mayFault: kb.mayFault } : undefined;
  }
  if (!kb) return summary;
  if (definedHere) {
    // The file's own definition (nommu.c's find_vma()) says what it returns; lock effects and
    // faulting stay the table's. A body that says nothing of its result (mmap.c's find_vma():
    // `return mt_find(...)`, a tree walk the table does not describe) leaves the table's word.
    const own: ApiEntry = { ...summary, lock: kb.lock ?? summary.lock, mayFault: !!(kb.mayFault || summary.mayFault) || undefined };
    if (!summary.returnsVma && kb.returnsVma) {
      for (const k of RETURN_FACTS) if (kb[k] !== undefined) (own as unknown as Record<string, unknown>)[k] = kb[k];
    }
    return own;
  }
  const merged: ApiEntry = { ...summary, ...kb, mayFault: !!(kb.mayFault || summary.mayFault) || undefined, source: { kind: 'kb' } };
  // The table is the contract where it speaks: what it returns and what it needs are its own.
  delete merged.returns;
  if (kb.fails) delete merged.failsWhen;
  merged.requires = kb.requires;
  if (kb.lock) {
    delete merged.takesMmapLock;
    delete merged.takesMmapLockOf;
  }
  return merged;
}

/**
 * A function's definition in the run, with the program it belongs to (src/engine/link-domain.ts)
 * and the architecture whose build links it (null: every build).
 */
export interface RunDefinition {
  entry: ApiEntry;
  file: string;
  program: string;
  arch: string | null;
}

/**
 * The architecture a file belongs to (`arch/s390`), or null for code every build may link. Each
 * architecture defines its own do_page_fault(), raw_copy_from_user() or die(): a call resolves to
 * the definition of the caller's architecture, never to another's.
 */
export function archOf(file: string, root: string | null): string | null {
  if (!root) return null;
  let byFile = archCache.get(root);
  if (!byFile) archCache.set(root, (byFile = new Map()));
  let arch = byFile.get(file);
  if (arch === undefined) {
    // `<root>/arch/<name>/...`.
    const rel = insideRoot(root, file)?.split(path.sep);
    arch = rel && rel[0] === 'arch' && rel.length > 2 ? `arch/${rel[1]}` : null;
    if (byFile.size > 100_000) byFile.clear();
    byFile.set(file, arch);
  }
  return arch;
}
/**
 * archOf() is asked about the same file for every call the file makes: by root, then by file (the
 * strings asked with, whose hashes V8 keeps; a key joining them was a new string to hash each time).
 */
const archCache = new Map<string, Map<string, string | null>>();

/** path.resolve() of a file, remembered (summaryOf() asks for every call). */
function absolute(file: string): string {
  let abs = absCache.get(file);
  if (abs === undefined) {
    abs = path.resolve(file);
    if (absCache.size > 100_000) absCache.clear();
    absCache.set(file, abs);
  }
  return abs;
}
const absCache = new Map<string, string>();

/** The names a header under arch/X/include defines as a function-like macro or a static inline (none for other files). */
export function archHeaderNames(file: string, text: string, root: string | null): string[] {
  const arch = archOf(file, root);
  if (!arch || !root) return [];
  const rel = path.relative(path.resolve(root, arch), path.resolve(file)).split(path.sep);
  if (rel[0] !== 'include' || !file.endsWith('.h')) return [];
  return [
    ...text.matchAll(/^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)\(/gm),
    ...text.matchAll(/^static[ \t]+(?:__always_inline|inline)\b[^;{(=]*?\b([A-Za-z_]\w*)[ \t]*\(/gm),
  ].map((m) => m[1]);
}

const NO_FILES: readonly string[] = [];

/** Where the lock order of --summaries-in is kept among the files' (sorted first). */
const IMPORTED_ORDER = '\0summaries-in';

/** Run-wide summary tables and their change history. */
export class CrossFileFacts {
  /**
   * Non-static functions defined in the run's files, by name: the first definition per program
   * and architecture (and one for generic code; nommu.c and mmap.c both define find_vma()).
   */
  readonly run = new Map<string, RunDefinition[]>();
  readonly imported = new Map<string, ApiEntry>();
  /** Header helpers that every kernel file sees (the kernel's mm headers; not the programs of tools/ and the like). */
  readonly headers = new Map<string, ApiEntry>();
  /** Helpers of a run's own headers (`#include "internal.h"`), with the directory tree that sees each. */
  readonly localHeaders = new Map<string, { entry: ApiEntry; scope: string; header: string }[]>();
  readonly initializers = new Map<string, Map<string, string>>();
  /** The knowledge base as the tree declares its functions. */
  readonly apis = new TreeApis();
  /** Functions the run's files declare `__noreturn`, with where each declaration holds. */
  readonly noreturn = new NoreturnIndex();
  /** Static functions' summaries by `file#name` (only with AnalyzeOptions.staticSummaries). */
  readonly statics = new Map<string, ApiEntry>();
  /** Generation at which each name's summary last changed: in what the flow uses, in anything. */
  readonly changedAt = new Map<string, number>();
  readonly wholeChangedAt = new Map<string, number>();
  generation = 0;
  /** How many times each definition's summary (by name, program and architecture) changed in the run. */
  private readonly changes = new Map<string, number>();
  /** How many publications were joined with the summary before them (summary-widening.ts). */
  summariesJoined = 0;
  /** The lock order each file shows (the last analysis of each), and what earlier runs showed (--summaries-in). */
  readonly lockOrder = new Map<string, readonly LockOrderEdge[]>();

  /**
   * Names an architecture's own headers (arch/X/include) define as a macro or a static inline:
   * that architecture's build uses them, not a generic definition of the same name elsewhere in
   * the run (mips' ioremap() macro, not lib/logic_iomem.c's ioremap() for UML).
   */
  readonly archProvided = new Map<string, Set<string>>();
  private readonly archProvidedAnywhere = new Set<string>();

  /** The programs of the tree: a call resolves only within its own (src/engine/link-domain.ts). */
  readonly domains: LinkDomains;

  constructor(readonly root: string | null = null) {
    this.domains = linkDomains(root);
  }

  /** Records the names a header under arch/X/include defines (see archProvided). */
  addArchHeader(file: string, text: string): void {
    this.addArchNames(file, archHeaderNames(file, text, this.root));
  }

  /** Records names an architecture's header provides (from archHeaderNames()). */
  addArchNames(file: string, found: readonly string[]): void {
    if (!found.length) return;
    const arch = archOf(file, this.root);
    if (!arch) return;
    let names = this.archProvided.get(arch);
    if (!names) this.archProvided.set(arch, (names = new Set()));
    for (const m of found) {
      const name = internName(m);
      names.add(name);
      this.archProvidedAnywhere.add(name);
    }
  }

  /**
   * Every definition the run's files make of each name (by program and architecture), analysed yet
   * or not (declareDefinitions()). A call whose answer depends on which definitions there are (one
   * of each architecture, an architecture's own or the generic one) counts one not analysed yet as
   * saying nothing, as the summary it will have when it is: the answer then changes only when a
   * definition's summary changes, which is what the cross-file fixed point follows (changedAt).
   * Otherwise the answer would depend on the order the files are analysed in: generic code calling
   * show_stack() would take the first architecture's summary published as everyone's.
   * Each slot's definition is the first file declaring it in the run's order of files (mm/mmap.c's
   * exit_mmap(), not mm/nommu.c's), not the first analysed.
   */
  private readonly declared = new Map<string, string[]>();

  /** Records that `file` defines non-static functions `names` (whether or not they are ever analysed), in the run's order of files. */
  declareDefinitions(file: string, names: Iterable<string>): void {
    for (const name of names) {
      const files = this.declared.get(name);
      if (!files) this.declared.set(name, [file]);
      else if (files[files.length - 1] !== file) files.push(file);
    }
  }

  /** The files of the run that define `name` non-static, in the run's order (declareDefinitions()). */
  definers(name: string): readonly string[] {
    return this.declared.get(name) ?? NO_FILES;
  }

  /** The first file declaring `name` for a program and architecture (the one its calls reach). */
  private owner(name: string, program: string, arch: string | null): string | undefined {
    return this.declared.get(name)?.find((f) => this.domains.programOf(f) === program && archOf(f, this.root) === arch);
  }

  /** Does the run define `name` in a slot (program and architecture, or any architecture) that has no summary yet, visible from `program`? */
  private unpublished(name: string, defs: readonly RunDefinition[], program: string, arch?: string | null): boolean {
    const declared = this.declared.get(name);
    if (!declared) return false;
    const from = this.domains.idOf(program);
    return declared.some((file) => {
      const p = this.domains.programOf(file);
      const a = archOf(file, this.root);
      return (arch === undefined ? this.domains.idLinks(from, this.domains.idOf(p)) : p === program && a === arch) && !defs.some((d) => d.program === p && d.arch === a);
    });
  }

  /** The run's definitions of `name` that a call from `file` may reach: those of the file's program. */
  private visibleDefinitions(name: string, file: string): RunDefinition[] | undefined {
    const defs = this.run.get(name);
    if (!defs || !this.root) return defs;
    const program = this.domains.programOf(file);
    if (defs.every((d) => d.program === program)) return defs;
    const visible = defs.filter((d) => this.domains.idLinks(this.domains.idOf(program), this.domains.idOf(d.program)));
    return visible.length ? visible : undefined;
  }

  /** The definition a call of `name` from `file` reaches, if the run has one. */
  definitionFor(name: string, file: string): RunDefinition | undefined {
    const defs = this.visibleDefinitions(name, file);
    if (!defs) return undefined;
    // A program of tools/: its own definition, else its shared libraries' (no architectures there).
    // A definition of the caller's own program or architecture that has no summary yet is the one
    // the call reaches: nothing is known of it yet (see `declared`).
    const program = this.domains.programOf(file);
    if (program !== KERNEL_PROGRAM) return defs.find((d) => d.program === program) ?? (this.unpublished(name, defs, program, null) ? undefined : defs[0]);
    const arch = archOf(file, this.root);
    if (arch && this.archProvided.get(arch)?.has(name)) return defs.find((d) => d.arch === arch);
    if (arch !== null) return defs.find((d) => d.arch === arch) ?? (this.unpublished(name, defs, program, arch) ? undefined : defs.find((d) => d.arch === null));
    // Generic code: a function no architecture defines is the generic one. One that architectures
    // define (or provide as a macro or inline) depends on the build: a generic definition is then
    // only one configuration's (a __weak default, UML's ioremap()), and only a summary all the
    // definitions share says anything (all of them: one not analysed yet says nothing).
    if (this.archProvidedAnywhere.has(name)) return undefined;
    if (!defs.some((d) => d.arch !== null) && !this.declared.get(name)?.some((f) => archOf(f, this.root) !== null)) return defs[0];
    if (this.unpublished(name, defs, program)) return undefined;
    const first = summaryFingerprint(defs[0].entry, 'flow');
    return defs.every((d) => summaryFingerprint(d.entry, 'flow') === first) ? defs[0] : undefined;
  }

  summaryOf(name: string, file: string): ApiEntry | undefined {
    const defined = this.definitionFor(name, file);
    if (defined) return defined.entry;
    const arch = archOf(file, this.root);
    // The architecture's own macro or inline: nothing else in the run is what this file calls.
    if (arch && this.archProvided.get(arch)?.has(name)) return this.importedFor(name, file);
    // Generic code and architectures that disagree: whichever the build links, unknown here.
    if (arch === null && this.visibleDefinitions(name, file)) return undefined;
    const abs = absolute(file);
    const local = this.localHeaders.get(name)?.find((h) => abs.startsWith(h.scope) && this.domains.links(file, h.header));
    // The kernel's mm headers are included by kernel code only.
    return this.importedFor(name, file) ?? local?.entry ?? (this.domains.isKernel(file) ? this.headers.get(name) : undefined);
  }

  /**
   * A summary another run wrote (--summaries-in), when the file it was computed from (as that run
   * named it, from the same directory) is of a program `file` links with.
   */
  private importedFor(name: string, file: string): ApiEntry | undefined {
    const entry = this.imported.get(name);
    const from = entry?.source?.kind === 'summary' ? entry.source.file : undefined;
    return !from || this.domains.links(file, from) ? entry : undefined;
  }

  /** A summary from one of the run's own headers, seen by the files under the header's scope. */
  addLocalHeader(name: string, entry: ApiEntry, header: string): void {
    const scope = declarationScope(header, this.root);
    const list = this.localHeaders.get(name) ?? [];
    const program = this.domains.programOf(header);
    const at = list.findIndex((h) => h.scope === scope && this.domains.programOf(h.header) === program);
    if (at >= 0) list[at] = { entry, scope, header };
    else list.push({ entry, scope, header });
    this.localHeaders.set(name, list);
  }

  publish(file: string, k: FileContribution): void {
    const arch = archOf(file, this.root);
    const program = this.domains.programOf(file);
    for (const [name, computed] of k.exported) {
      const defs = this.run.get(name) ?? [];
      const at = defs.findIndex((d) => d.arch === arch && d.program === program);
      const prior = at >= 0 ? defs[at] : undefined;
      // The slot's definition is its first declared (else its first published): another file's
      // definition of the same name there is another configuration's.
      const owner = this.owner(name, program, arch) ?? prior?.file;
      if (owner !== undefined && owner !== file) continue;
      let entry = computed;
      if (prior && summaryFingerprint(prior.entry) !== summaryFingerprint(entry)) {
        // A summary that keeps changing is joined with what was published (summary-widening.ts).
        const slot = `${name}\0${program}\0${arch ?? ''}`;
        const changes = this.changes.get(slot) ?? 0;
        if (changes >= RAW_CHANGES) {
          entry = widenSummary(prior.entry, entry);
          this.summariesJoined++;
        }
        this.changes.set(slot, changes + 1);
      }
      if (summaryFingerprint(prior?.entry, 'flow') !== summaryFingerprint(entry, 'flow')) this.changedAt.set(name, this.generation);
      if (summaryFingerprint(prior?.entry) !== summaryFingerprint(entry)) this.wholeChangedAt.set(name, this.generation);
      if (at >= 0) defs[at] = { entry, file, program, arch };
      else defs.push({ entry, file, program, arch });
      this.run.set(name, defs);
    }
    for (const [name, entry] of k.statics) this.statics.set(`${file}#${name}`, entry);
    for (const [name, fields] of k.initializers) if (!this.initializers.has(name)) this.initializers.set(name, fields);
    if (k.lockOrder?.length) this.lockOrder.set(file, k.lockOrder);
    else this.lockOrder.delete(file);
  }

  /** The run's lock order: the kernel's documented one, then every file's. */
  runLockOrder(): LockOrder {
    return new LockOrder(documentedOrderEdges(this.root), this.lockOrder);
  }

  /** The order the run's own files show, each edge once (for --summaries-out). */
  codeLockOrder(): LockOrderEdge[] {
    return new LockOrder([], [...this.lockOrder].filter(([file]) => file !== IMPORTED_ORDER)).all();
  }

  /** The order earlier runs showed (--summaries-in). */
  importLockOrder(edges: readonly LockOrderEdge[]): void {
    if (edges.length) this.lockOrder.set(IMPORTED_ORDER, edges);
  }
}
