// The collect-findings step of a run: the files' outcomes made the run's findings (suppressions
// applied, sorted), notifications and statistics; and the summaries the run exports.

import type { FileNotification, Finding, RunStats } from '../types.js';
import { compareFindingOrder } from '../report/order.js';
import { KERNEL_PROGRAM } from '../engine/link-domain.js';
import type { CrossFileFacts } from '../engine/cross-file-facts.js';
import type { LockOrder } from '../engine/lock-order.js';
import type { ApiEntry } from '../kb/lock-api.js';
import { emptyOutcome, type FileOutcome } from '../file-analyzer.js';
import { applySuppressions, type Suppression } from '../suppressions.js';
import { allRules } from '../rules/index.js';
import type { Rule } from '../rules/rule.js';
import type { RunSource } from './run-source.js';

export interface CollectedFindings {
  findings: Finding[];
  notifications: FileNotification[];
  /** The run's statistics with the outcomes counted. */
  stats: RunStats;
}

/**
 * The run's report from each source's outcome, after the run's own notes (`notes`), counted on a
 * copy of `stats`. A context file's findings are not the run's, and its failure is a warning.
 */
export function collectFindings(run: {
  sources: readonly RunSource[];
  outcomes: ReadonlyMap<string, FileOutcome>;
  notes: readonly FileNotification[];
  suppressions: ReadonlyMap<string, Suppression[]>;
  rules: readonly Rule[];
  stats: Readonly<RunStats>;
  /** The run's lock order, which judges the findings that wait for one (FindingInput.ifOrder). */
  lockOrder: LockOrder;
}): CollectedFindings {
  const stats: RunStats = { ...run.stats, ruleMs: { ...run.stats.ruleMs }, findingsByRule: { ...run.stats.findingsByRule } };
  const found: Finding[] = [];
  const notifications: FileNotification[] = [...run.notes];
  for (const src of run.sources) {
    const outcome = run.outcomes.get(src.path) ?? emptyOutcome();
    if (src.context) {
      stats.contextFiles++;
      for (const n of outcome.notifications) if (n.level === 'error') notifications.push({ ...n, level: 'warning', message: `${n.message} (read for the summaries of the functions the analysed files call from it, which are read without them)` });
      continue;
    }
    stats.files++;
    if (outcome.failed) stats.filesFailed++;
    stats.bytes += outcome.bytes;
    stats.functions += outcome.functions;
    stats.cfgGiveUps += outcome.cfgGiveUps;
    stats.ruleErrors += outcome.ruleErrors ?? 0;
    for (const [id, ms] of Object.entries(outcome.ruleMs ?? {})) stats.ruleMs[id] = (stats.ruleMs[id] ?? 0) + ms;
    stats.functionsWithParseErrors += outcome.functionsWithParseErrors;
    stats.functionsWidened += outcome.functionsWidened;
    stats.functionsWithCallerEntry += outcome.functionsWithCallerEntry;
    found.push(...outcome.findings);
    notifications.push(...outcome.notifications);
  }
  const findings = applySuppressions(run.lockOrder.judge(found), run.suppressions, new Set(run.rules.map((r) => r.meta.id)), new Set(allRules().map((r) => r.meta.id)));
  findings.sort(compareFindingOrder);
  for (const f of findings) stats.findingsByRule[f.ruleId] = (stats.findingsByRule[f.ruleId] ?? 0) + 1;
  return { findings, notifications, stats };
}

/**
 * The summaries the run exports, by name: of a function defined more than once, the kernel's
 * generic definition when there is one, else the kernel's first architecture's, else another
 * program's; then the static functions' (AnalyzeOptions.staticSummaries).
 */
export function exportedSummaries(crossFile: CrossFileFacts): Record<string, ApiEntry> {
  const summaries: Record<string, ApiEntry> = {};
  for (const name of [...crossFile.run.keys()].sort()) {
    const defs = crossFile.run.get(name)!;
    const kernel = defs.filter((d) => d.program === KERNEL_PROGRAM);
    summaries[name] = (kernel.find((d) => d.arch === null) ?? kernel[0] ?? defs.find((d) => d.arch === null) ?? defs[0]).entry;
  }
  for (const name of [...crossFile.statics.keys()].sort()) summaries[name] = crossFile.statics.get(name)!;
  return summaries;
}
