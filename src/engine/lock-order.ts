// The lock order the run knows, as lockdep's dependency graph: edges `from` -> `to` (to taken
// while from is held) between lock classes, each with where it is seen. Three sources: the
// kernel's documented mm lock order (kb/kernel-locks.ts DOCUMENTED_ORDER, cited at its line in
// the tree's own comment), the paths of the run's functions (models/kernel-locks.ts: a class taken
// while the mmap lock or a VMA lock is held), and the callback tables whose callbacks the kernel
// calls with the mmap lock held (`.fault = foo_fault`: what foo_fault takes, through its summary).
// A rule's finding that is one half of an ABBA deadlock waits for the other half here
// (FindingInput.ifOrder), judged once the run knows every file's edges.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ApiEntry } from '../kb/lock-api.js';
import { DOCUMENTED_ORDER, MMAP_CONTEXT_CALLBACKS } from '../kb/kernel-locks.js';
import type { Finding, LockOrderEdge, TraceStep } from '../types.js';
import { MMAP_LOCK_CLASS } from './models/kernel-locks.js';

export function orderKey(from: string, to: string): string {
  return `${from}\0${to}`;
}

/**
 * The documented order, cited at the line of the tree's comment that says it (the tree is the
 * source of truth: an order its comment no longer states is cited by file only).
 */
export function documentedOrderEdges(root: string | null): LockOrderEdge[] {
  const texts = new Map<string, string[] | null>();
  const linesOf = (file: string): string[] | null => {
    if (!texts.has(file)) {
      let lines: string[] | null = null;
      try {
        if (root) lines = readFileSync(path.join(root, file), 'utf8').split('\n', 400);
      } catch {
        lines = null;
      }
      texts.set(file, lines);
    }
    return texts.get(file)!;
  };
  return DOCUMENTED_ORDER.map((d) => {
    const lines = linesOf(d.file);
    const index = lines ? lines.findIndex((l) => d.cite.test(l)) : -1;
    const file = root ? path.join(root, d.file) : d.file;
    const line = index + 1;
    const where = index >= 0 ? `${d.file}:${line}` : d.file;
    const step: TraceStep = { file, line, column: 1, message: `the kernel's documented lock order (${where}): ${d.from} -> ${d.to}`, kind: 'entry' };
    // Where the tree has no such comment (no kernel tree, or one without it) there is nothing to point at: the reason names the file.
    return { from: d.from, to: d.to, reason: `the kernel's documented mm lock order takes ${d.to} under ${d.from} (${where})`, evidence: index >= 0 ? [step] : [] };
  });
}

/** A file-scope initializer as the order needs it. */
export interface CallbackTable {
  variable: string;
  type: string;
  fields: ReadonlyMap<string, string>;
  line: number;
}

/**
 * Edges from a file's callback tables: each callback the kernel calls with the mmap lock held
 * (kb MMAP_CONTEXT_CALLBACKS) orders what it takes (its summary's `acquires`) below mmap_lock.
 */
export function callbackOrderEdges(file: string, tables: Iterable<CallbackTable>, resolve: (name: string) => ApiEntry | undefined): LockOrderEdge[] {
  const edges = new Map<string, LockOrderEdge>();
  for (const table of tables) {
    const known = MMAP_CONTEXT_CALLBACKS[table.type.replace(/^(const|static)\s+/g, '')];
    if (!known) continue;
    for (const field of known.fields) {
      const fn = table.fields.get(field)?.replace(/^&\s*/, '');
      if (!fn || !/^\w+$/.test(fn)) continue;
      const acquires = resolve(fn)?.acquires;
      if (!acquires?.length) continue;
      const step: TraceStep = {
        file,
        line: table.line,
        column: 1,
        message: `${fn}() is the .${field} of \`${table.variable}\` (${table.type}): the kernel calls it with ${known.held}`,
        kind: 'entry',
      };
      for (const a of acquires) {
        const key = orderKey(MMAP_LOCK_CLASS, a.cls);
        if (edges.has(key)) continue;
        edges.set(key, { from: MMAP_LOCK_CLASS, to: a.cls, reason: `${fn}(), the .${field} of \`${table.variable}\` (${file}:${table.line}), takes ${a.cls} with ${known.held}`, evidence: [step, ...a.via] });
      }
    }
  }
  return [...edges.values()];
}

/** The run's lock order: every edge once (the first by file order), the documented ones first. */
export class LockOrder {
  private readonly edges = new Map<string, LockOrderEdge>();

  constructor(documented: readonly LockOrderEdge[], byFile: Iterable<[string, readonly LockOrderEdge[]]>) {
    for (const e of documented) this.edges.set(orderKey(e.from, e.to), e);
    for (const [, edges] of [...byFile].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
      for (const e of edges) if (!this.edges.has(orderKey(e.from, e.to))) this.edges.set(orderKey(e.from, e.to), e);
    }
  }

  all(): LockOrderEdge[] {
    return [...this.edges.values()];
  }

  edge(from: string, to: string): LockOrderEdge | undefined {
    return this.edges.get(orderKey(from, to));
  }

  /**
   * The findings that wait for an order: kept, with the other half added to the message and the
   * trace, when the run knows the order; dropped otherwise. Other findings pass.
   */
  judge(findings: readonly Finding[]): Finding[] {
    const out: Finding[] = [];
    const judged = new Set<string>();
    for (const f of findings) {
      if (!f.ifOrder) {
        out.push(f);
        continue;
      }
      const e = this.edge(f.ifOrder.from, f.ifOrder.to);
      // One finding a place, for the first order the run knows.
      const place = `${f.ruleId}|${f.file}|${f.line}|${f.column}`;
      if (!e || judged.has(place)) continue;
      judged.add(place);
      const { ifOrder: _o, ...finding } = f;
      out.push({ ...finding, message: `${f.message}; the other order: ${e.reason}`, trace: [...f.trace, ...e.evidence] });
    }
    return out;
  }
}
