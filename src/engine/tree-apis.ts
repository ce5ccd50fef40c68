// The knowledge base as it holds for the tree under analysis. Where the tree declares or defines
// a function the table describes, the entry applies only if the declaration fits what the entry
// assumes (src/kb/declarations.ts): as it is, with its positions moved to where the tree has
// those parameters, or not at all (then the function is read from its source, like any other,
// and the run says so in a note and in --stats).
//
// Which declaration a call sees: the calling file's own (a definition in it, static or not), else
// the kernel headers' (include/linux/mm.h...), else a non-static definition in another file of
// the run. Declarations come from the run's first pass over its files (their definitions of the
// table's functions) and from the kernel headers the run reads.

import { lookupApi, type ApiEntry } from '../kb/lock-api.js';
import { describeDeclaration, describeEntry, fitEntry, type Declaration } from '../kb/declarations.js';
import type { FileNotification } from '../types.js';

export class TreeApis {
  /** Declarations by file (the run's files), then by name. */
  private readonly byFile = new Map<string, Map<string, Declaration>>();
  /** The kernel headers' declarations, by name (the first). */
  private readonly headers = new Map<string, Declaration>();
  /** Non-static definitions in the run's files, by name (the first). */
  private readonly global = new Map<string, Declaration>();
  private readonly fitted = new Map<Declaration, ApiEntry | null>();

  /** The declarations of the table's functions found in one file of the run. */
  addFile(file: string, decls: readonly Declaration[]): void {
    if (!decls.length) return;
    const own = this.byFile.get(file) ?? new Map<string, Declaration>();
    for (const d of decls) {
      if (!own.has(d.name)) own.set(d.name, d);
      if (!d.isStatic && !this.global.has(d.name)) this.global.set(d.name, d);
    }
    this.byFile.set(file, own);
  }

  /** The declarations of the table's functions in a kernel header. */
  addHeader(decls: readonly Declaration[]): void {
    for (const d of decls) if (!this.headers.has(d.name)) this.headers.set(d.name, d);
  }

  /** The entry a call of `name` from `file` gets: the table's, moved, or none. */
  entryFor(name: string, file: string): ApiEntry | undefined {
    const entry = lookupApi(name);
    if (!entry) return undefined;
    const decl = this.byFile.get(file)?.get(name) ?? this.headers.get(name) ?? this.global.get(name);
    if (!decl) return entry;
    return this.fit(entry, decl) ?? undefined;
  }

  /**
   * The entries no declaration of the tree fits, one note for each declaration that does not,
   * and the number of entries moved to the tree's parameters.
   */
  report(): { notes: FileNotification[]; mismatched: number; moved: number } {
    const notes: FileNotification[] = [];
    const mismatched = new Set<string>();
    const moved = new Set<string>();
    const seen = new Set<string>();
    for (const d of this.allDeclarations()) {
      const entry = lookupApi(d.name)!;
      const fit = this.fit(entry, d);
      if (fit && fit !== entry) moved.add(d.name);
      if (fit) continue;
      mismatched.add(d.name);
      const shown = describeDeclaration(d);
      if (seen.has(shown)) continue;
      seen.add(shown);
      notes.push({ file: d.file, level: 'note', message: `knowledge-base entry ${describeEntry(entry)} does not match the tree's ${shown} (${d.file}:${d.line}): read from the source` });
    }
    return { notes, mismatched: mismatched.size, moved: moved.size };
  }

  private *allDeclarations(): Iterable<Declaration> {
    yield* this.headers.values();
    for (const own of this.byFile.values()) yield* own.values();
  }

  private fit(entry: ApiEntry, decl: Declaration): ApiEntry | null {
    let fit = this.fitted.get(decl);
    if (fit === undefined) this.fitted.set(decl, (fit = fitEntry(entry, decl)));
    return fit;
  }
}
