// What the run knows about functions beyond the knowledge base: the summaries of the run's files,
// of the headers and of earlier runs, how a summary and a knowledge-base entry combine, and when a
// summary changed (for the cross-file fixed point in src/analyze.ts).

import type { ApiEntry } from '../kb/lock-api.js';
import { summaryFingerprint } from './summary.js';
import { NoreturnIndex } from './noreturn.js';

/** Summaries of one file's functions and the names the file looked up outside itself. */
export interface FileKnowledge {
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
}

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
    // faulting stay the table's.
    return { ...summary, lock: kb.lock ?? summary.lock, mayFault: !!(kb.mayFault || summary.mayFault) || undefined };
  }
  const merged: ApiEntry = { ...summary, ...kb, mayFault: !!(kb.mayFault || summary.mayFault) || undefined, source: { kind: 'kb' } };
  // The table is the contract where it speaks: what it returns and what it needs are its own.
  delete merged.returns;
  merged.requires = kb.requires;
  if (kb.lock) {
    delete merged.takesMmapLock;
    delete merged.takesMmapLockOf;
  }
  return merged;
}

/** Run-wide summary tables and their change history. */
export class RunKnowledge {
  /** Non-static functions defined in the run's files (the first definition of a name wins). */
  readonly run = new Map<string, { entry: ApiEntry; file: string }>();
  readonly imported = new Map<string, ApiEntry>();
  readonly headers = new Map<string, ApiEntry>();
  readonly initializers = new Map<string, Map<string, string>>();
  /** Functions the run's files declare `__noreturn`, with where each declaration holds. */
  readonly noreturn = new NoreturnIndex();
  /** Static functions' summaries by `file#name` (only with AnalyzeOptions.staticSummaries). */
  readonly statics = new Map<string, ApiEntry>();
  /** Generation at which each name's summary last changed: in what the flow uses, in anything. */
  readonly changedAt = new Map<string, number>();
  readonly wholeChangedAt = new Map<string, number>();
  generation = 0;

  summaryOf(name: string): ApiEntry | undefined {
    return this.run.get(name)?.entry ?? this.imported.get(name) ?? this.headers.get(name);
  }

  publish(file: string, k: FileKnowledge): void {
    for (const [name, entry] of k.exported) {
      const prior = this.run.get(name);
      if (prior && prior.file !== file) continue;
      if (summaryFingerprint(prior?.entry, 'flow') !== summaryFingerprint(entry, 'flow')) this.changedAt.set(name, this.generation);
      if (summaryFingerprint(prior?.entry) !== summaryFingerprint(entry)) this.wholeChangedAt.set(name, this.generation);
      this.run.set(name, { entry, file });
    }
    for (const [name, entry] of k.statics) this.statics.set(`${file}#${name}`, entry);
    for (const [name, fields] of k.initializers) if (!this.initializers.has(name)) this.initializers.set(name, fields);
  }
}

