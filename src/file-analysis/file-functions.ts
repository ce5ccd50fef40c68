// The functions of a parsed file as the analysis schedules them: each definition's info, the
// first definition of each name, the names each one calls, the static functions whose callers are
// all in the file, the callbacks that hand their locks to another callback of their table, and the
// callbacks the kernel calls in a known lock context.

import type { AstNode, SourceFile } from '../parse/ast.js';
import { functionInfo } from '../engine/function.js';
import { calledNames } from '../engine/callgraph.js';
import type { FunctionInfo } from '../engine/events.js';
import { LOCK_HANDOFF_CALLBACKS } from '../kb/lock-api.js';
import type { FunctionPlace } from '../function-memo.js';
import type { FileInitializer } from './parse-file.js';
import { registeredContexts, type CalledAs } from '../engine/entry-context.js';
import { isWordChar } from '../engine/c-names.js';

export class FileFunctions {
  /** Each definition's name, parameters and storage class. */
  readonly infos = new Map<AstNode, FunctionInfo>();
  /** The first definition of each name (#ifdef twins follow it). */
  readonly byName = new Map<string, AstNode>();
  /** Every definition of each name, in source order. */
  readonly twins = new Map<string, AstNode[]>();
  /**
   * Static functions called only by name in this file (not stored as callbacks): their callers
   * are all here. Found only when the file's findings are reported.
   */
  readonly statics = new Set<string>();
  /** Callbacks that hand their locks to another callback of the same table (seq_file .start/.stop), by name. */
  readonly handoffs = new Map<string, string>();
  /** Callbacks the file registers where the kernel calls them in a known lock context (`.mmap = foo_mmap`), by name. */
  readonly contexts: ReadonlyMap<string, CalledAs>;
  /** The names each function calls (one walk of its tree, for the call graph and the memo key). */
  private readonly calls = new Map<AstNode, Set<string>>();
  /** The static functions (of `statics`) each function calls, as the memo key writes them. */
  private readonly staticsCalledBy = new Map<AstNode, string>();

  constructor(
    /** The definitions, in source order. */
    readonly nodes: readonly AstNode[],
    file: SourceFile,
    initializers: ReadonlyMap<string, FileInitializer>,
    findStatics: boolean,
  ) {
    this.contexts = registeredContexts(initializers);
    for (const { fields, type } of initializers.values()) {
      const struct = /^struct (\w+)$/.exec(type)?.[1];
      for (const h of (struct && LOCK_HANDOFF_CALLBACKS[struct]) || []) {
        const from = fields.get(h.keeps);
        if (from && /^\w+$/.test(from) && fields.has(h.releases)) this.handoffs.set(from, `struct ${struct}.${h.releases}`);
      }
    }
    for (const fn of nodes) {
      const info = functionInfo(fn);
      this.infos.set(fn, info);
      if (!this.byName.has(info.name)) this.byName.set(info.name, fn);
    }
    if (findStatics && [...this.infos.values()].some((i) => i.isStatic)) this.findStatics(file);
    for (const fn of nodes) {
      const name = this.infos.get(fn)!.name;
      const list = this.twins.get(name) ?? [];
      list.push(fn);
      this.twins.set(name, list);
    }
  }

  private findStatics(file: SourceFile): void {
    const candidates = new Set<string>();
    for (const [name, fn] of this.byName) if (this.infos.get(fn)!.isStatic) candidates.add(name);
    const uses = usesIn(file.text, candidates);
    for (const name of candidates) if ((uses.get(name) ?? 0) < 1000) this.statics.add(name);
  }

  callsOf(fn: AstNode): Set<string> {
    let names = this.calls.get(fn);
    if (!names) this.calls.set(fn, (names = calledNames(fn)));
    return names;
  }

  /** What `statics` changes in a function's analysis: the call sites it records, of the statics it calls. */
  staticsCalled(fn: AstNode): string {
    let called = this.staticsCalledBy.get(fn);
    if (called === undefined) this.staticsCalledBy.set(fn, (called = [...this.callsOf(fn)].filter((name) => this.statics.has(name)).sort().join(',')));
    return called;
  }

  /**
   * The calls between the file's functions, by name: each name one node, with the calls of every
   * definition of it (the #ifdef twins: the other build's definition calls its own helpers).
   */
  callGraph(): Map<string, Set<string>> {
    const edges = new Map<string, Set<string>>();
    for (const name of this.byName.keys()) {
      const out = new Set<string>();
      for (const fn of this.twins.get(name) ?? []) for (const c of this.callsOf(fn)) if (this.byName.has(c)) out.add(c);
      edges.set(name, out);
    }
    return edges;
  }
}

/** Where a function stands in its file (what the memo records of it). */
export function placeOf(fn: AstNode): FunctionPlace {
  return { row: fn.row, col: fn.col, endRow: fn.endRow, start: fn.start, end: fn.end };
}

/** Up to this many names, each is searched with indexOf (a native search); more, one pass over the text's words. */
const SEARCHED_NAMES = 16;

/**
 * How a text uses each of `names` (every word of the text, comments and strings too): +1 for a
 * call (the name, blanks, `(`), +1000 for any other use (a name used as a value, a callback, is
 * taken). A count that reaches 1000 may stop there (the callers only ask whether it did). A few
 * names are each searched with indexOf, an occurrence counted where it is a whole word (six large
 * files, three names: 209 -> 29 ms); more, one pass over the text's words, cutting out only those
 * of a length and first character some name has (a regular expression's match per word cost the
 * whole 6.12 tree 2.4 s). `byWords` forces the one or the other (for the tests).
 */
export function usesIn(text: string, names: ReadonlySet<string>, byWords = names.size > SEARCHED_NAMES): Map<string, number> {
  const uses = new Map<string, number>();
  const call = /\s*\(/y;
  if (!byWords) {
    for (const name of names) {
      const len = name.length;
      let count = 0;
      for (let i = text.indexOf(name); i >= 0 && count < 1000; i = text.indexOf(name, i + len)) {
        // Two occurrences of a name overlap only where neither is a whole word: the search goes on past this one.
        if (i > 0 && isWordChar(text.charCodeAt(i - 1))) continue;
        if (i + len < text.length && isWordChar(text.charCodeAt(i + len))) continue;
        call.lastIndex = i + len;
        count += call.test(text) ? 1 : 1000;
      }
      if (count) uses.set(name, count);
    }
    return uses;
  }
  // Each name's length and first character: most words have no name's.
  const shapes = new Set<number>();
  for (const name of names) shapes.add((name.length << 7) | (name.charCodeAt(0) & 127));
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (!isWordChar(c)) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < n && isWordChar(text.charCodeAt(j))) j++;
    // A word starting with a digit is a number, not a name.
    if (!(c >= 48 && c <= 57) && shapes.has(((j - i) << 7) | c)) {
      const word = text.slice(i, j);
      if (names.has(word)) {
        call.lastIndex = j;
        uses.set(word, (uses.get(word) ?? 0) + (call.test(text) ? 1 : 1000));
      }
    }
    i = j;
  }
  return uses;
}
