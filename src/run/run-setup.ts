// What a run is set up with before it reads anything, past what src/run/run-prepare.ts gives:
// the rules, the cross-file facts and the view the analyzer reads them through, the names that
// make a function worth analysing. Loaded after the run-level cache missed, with the parser and
// the main thread's analyzer (startAnalysis).

import type { PreparedRun } from './run-prepare.js';
import { CrossFileFacts } from '../engine/cross-file-facts.js';
import { allApis } from '../kb/lock-api.js';
import { addEntry, relevantNames, type RelevantNames } from '../engine/demand-names.js';
import type { FactsConfig } from '../parallel/file-facts.js';
import { FileAnalyzer, selectRules } from '../file-analyzer.js';
import { initParser } from '../parse/parser.js';
import type { CrossFileView } from '../cross-file-view.js';
import type { Rule } from '../rules/rule.js';
import { everyRuleDemand } from '../rules/index.js';

export interface RunSetup extends PreparedRun {
  rules: Rule[];
  crossFile: CrossFileFacts;
  view: CrossFileView;
  /** What makes a function worth analysing (src/engine/demand.ts), before the headers' summaries. */
  names: RelevantNames;
  useDemand: boolean;
  factsConfig: FactsConfig;
}

/** A prepared run (src/run/run-prepare.ts) set up to read its files: its rules, its cross-file facts, the names that matter. */
export function setUpRun(prepared: PreparedRun): RunSetup {
  const { options, root } = prepared;
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
  const notes = [...prepared.notes];
  if (prepared.treeFile) {
    const skipped = selectRules({ rules: options.rules }).filter((r) => !rules.includes(r)).map((r) => r.meta.id);
    if (skipped.length) notes.push({ file: prepared.treeFile, level: 'note', message: `not run on this tree, which lacks what they check: ${skipped.join(', ')}` });
  }
  const useDemand = options.demand !== false;
  return { ...prepared, rules, crossFile, view, names, useDemand, factsConfig, notes };
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
