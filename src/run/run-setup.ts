// What a run is set up with before it reads anything: its sources (the files given and the
// context files), its options with the tree's facts, the rules, the cross-file facts and the view
// the analyzer reads them through, the names that make a function worth analysing, the cache.
// The parser and the main thread's analyzer come after the run-level cache missed (startAnalysis).

import path from 'node:path';
import type { AnalyzeOptions, FileNotification, RunStats } from '../types.js';
import { emptyStats } from '../stats.js';
import { CrossFileFacts } from '../engine/cross-file-facts.js';
import { kernelTreeOf } from '../engine/link-domain.js';
import { allApis } from '../kb/lock-api.js';
import { addEntry, relevantNames, type RelevantNames } from '../engine/demand.js';
import { readTreeConstants, readTreeFacts } from '../tree-facts.js';
import type { FactsConfig } from '../parallel/file-facts.js';
import { FileAnalyzer, selectRules } from '../file-analyzer.js';
import { initParser } from '../parse/parser.js';
import type { CrossFileView } from '../cross-file-view.js';
import { readSource } from '../parallel/file-task.js';
import type { ResultCache } from '../cache.js';
import type { Rule } from '../rules/rule.js';
import { everyRuleDemand } from '../rules/index.js';
import { openCache } from './run-cache.js';
import type { RunSource } from './run-source.js';

export interface RunSetup {
  /** The files given, then the context files that are not among them. */
  sources: RunSource[];
  options: AnalyzeOptions;
  /** The kernel tree the files lie in. */
  root: string | null;
  /** The tree's facts file, when read. */
  treeFile: string | null;
  rules: Rule[];
  stats: RunStats;
  crossFile: CrossFileFacts;
  view: CrossFileView;
  /** What makes a function worth analysing (src/engine/demand.ts), before the headers' summaries. */
  names: RelevantNames;
  useDemand: boolean;
  factsConfig: FactsConfig;
  cache: ResultCache | null;
  /** What the run says before it reads a file (the cache, the tree's facts, the rules not run). */
  notes: FileNotification[];
}

/**
 * The kernel tree a path lies in (a directory with include/linux/mm.h), or null. A path under the
 * tree's tools/ lies in the tree, not in tools/ (which has an include/linux/mm.h of its own).
 */
export function findKernelRoot(paths: readonly string[]): string | null {
  for (const p of paths) {
    let dir = path.resolve(p);
    for (let i = 0; i < 64; i++) {
      const tree = kernelTreeOf(dir);
      if (tree) return tree;
      const up = path.dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  }
  return null;
}

export function setUpRun(given: readonly RunSource[], requested: AnalyzeOptions): RunSetup {
  const own = new Set(given.map((s) => s.path));
  const sources: RunSource[] = [...given, ...(requested.contextFiles ?? []).filter((p) => !own.has(p)).map((p) => ({ path: p, context: true, read: () => readSource(p) }))];
  const stats = emptyStats();
  const root = requested.kernelRoot === false ? null : requested.kernelRoot ?? findKernelRoot(sources.map((s) => s.path));
  // The tree's kernel features (src/tree-facts.ts): for the rules, the engine and the cache's key.
  const tree = readTreeFacts(requested.treeFacts ? null : root);
  // Named constants of its mm headers (VM_FAULT_*): their values decide bit tests and tell returns apart.
  const treeConstants = requested.treeConstants ?? (root ? readTreeConstants(root) : {});
  const options: AnalyzeOptions = { ...requested, treeFacts: requested.treeFacts ?? tree.facts, treeConstants };
  const crossFile = new CrossFileFacts(root);
  for (const [name, entry] of Object.entries(options.summariesIn ?? {})) crossFile.imported.set(name, { ...entry, name });
  crossFile.importLockOrder(options.lockOrderIn ?? []);
  const rules = selectRules(options);
  const view: CrossFileView = {
    summaryOf: (name, file) => crossFile.summaryOf(name, file),
    noreturn: (name, file) => crossFile.noreturn.holds(name, file),
    initializer: (variable) => crossFile.initializers.get(variable),
    api: (name, file) => crossFile.apis.entryFor(name, file),
  };
  // What makes a function worth analysing: the lock API of the knowledge base and the
  // configuration, the names the engine models and every rule declare (whichever rules run), the
  // summaries of earlier runs (and, for the demand, of the headers).
  const names = relevantNames([...allApis(), ...(options.config ?? [])], everyRuleDemand());
  for (const entry of crossFile.imported.values()) addEntry(names, entry);
  const triggers = rules.flatMap((r) => (r.meta.textTrigger ? [r.meta.textTrigger] : []));
  const factsConfig: FactsConfig = {
    wanted: [...names.lockNames, ...names.insideNames, ...names.vmaNames, ...names.kernelLockNames],
    triggers: triggers.map((t) => [t.source, t.flags]),
    root,
    hash: !!options.cacheDir,
  };
  // The cache of file analyses (src/cache.ts), keyed by content.
  const { cache, note } = openCache(options);
  const notes: FileNotification[] = note ? [note] : [];
  if (tree.file) {
    for (const difference of tree.differences) notes.push({ file: tree.file, level: 'note', message: difference });
    const skipped = selectRules({ rules: options.rules }).filter((r) => !rules.includes(r)).map((r) => r.meta.id);
    if (skipped.length) notes.push({ file: tree.file, level: 'note', message: `not run on this tree, which lacks what they check: ${skipped.join(', ')}` });
  }
  const useDemand = options.demand !== false;
  return { sources, options, root, treeFile: tree.file, rules, stats, crossFile, view, names, useDemand, factsConfig, cache, notes };
}

/** A run set up and about to analyse: with the main thread's analyzer (its parser initialised). */
export interface RunAnalysis extends RunSetup {
  analyzer: FileAnalyzer;
}

/**
 * The step after the run-level cache missed: the parser (WebAssembly) initialised and the main
 * thread's analyzer made. A run the cache answers whole does neither.
 */
export async function startAnalysis(setup: RunSetup): Promise<RunAnalysis> {
  await initParser();
  return { ...setup, analyzer: new FileAnalyzer(setup.rules, setup.options, setup.stats, setup.view) };
}
