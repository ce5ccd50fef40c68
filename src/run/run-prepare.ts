// What a run knows before it loads the engine: its sources (the files given and the context
// files), its kernel tree and the tree's facts (which the cache's key holds), its options, and the
// cache. That is all the run-level cache entry needs (src/run/run-cache.ts): a run it answers
// loads nothing more (src/analyze.ts); the rest of the set-up is src/run/run-setup.ts.

import type { AnalyzeOptions, FileNotification, RunStats } from '../types.js';
import { emptyStats } from '../stats.js';
import { kernelTreeOf } from '../engine/link-domain.js';
import { nearestAncestor } from '../ancestors.js';
import { readTreeConstants, readTreeFacts } from '../tree-facts.js';
import { readSource } from '../read-source.js';
import type { ResultCache } from '../cache.js';
import { openCache } from './run-cache.js';
import type { RunSource } from './run-source.js';

export interface PreparedRun {
  /** The files given, then the context files that are not among them. */
  sources: RunSource[];
  options: AnalyzeOptions;
  /** The kernel tree the files lie in. */
  root: string | null;
  /** The tree's facts file, when read. */
  treeFile: string | null;
  stats: RunStats;
  cache: ResultCache | null;
  /** What the run says before it reads a file (the cache, the tree's facts). */
  notes: FileNotification[];
}

/**
 * The kernel tree a path lies in (a directory with include/linux/mm.h), or null. A path under the
 * tree's tools/ lies in the tree, not in tools/ (which has an include/linux/mm.h of its own).
 */
export function findKernelRoot(paths: readonly string[]): string | null {
  for (const p of paths) {
    const tree = nearestAncestor(p, kernelTreeOf);
    if (tree) return tree;
  }
  return null;
}

export function prepareRun(given: readonly RunSource[], requested: AnalyzeOptions): PreparedRun {
  const own = new Set(given.map((s) => s.path));
  const sources: RunSource[] = [...given, ...(requested.contextFiles ?? []).filter((p) => !own.has(p)).map((p) => ({ path: p, context: true, read: () => readSource(p) }))];
  const root = requested.kernelRoot === false ? null : requested.kernelRoot ?? findKernelRoot(sources.map((s) => s.path));
  // The tree's kernel features (src/tree-facts.ts): for the rules, the engine and the cache's key.
  const tree = readTreeFacts(requested.treeFacts ? null : root);
  // Named constants of its mm headers (VM_FAULT_*): their values decide bit tests and tell returns apart.
  const treeConstants = requested.treeConstants ?? (root ? readTreeConstants(root) : {});
  const options: AnalyzeOptions = { ...requested, treeFacts: requested.treeFacts ?? tree.facts, treeConstants };
  // The cache of file analyses (src/cache.ts), keyed by content.
  const { cache, note } = openCache(options);
  const notes: FileNotification[] = note ? [note] : [];
  if (tree.file) for (const difference of tree.differences) notes.push({ file: tree.file, level: 'note', message: difference });
  return { sources, options, root, treeFile: tree.file, stats: emptyStats(), cache, notes };
}
