// Whether a run analysed anything (shared by the exit status and SARIF's executionSuccessful),
// the result of a run that had nothing to analyse, and a result with fewer findings.
import type { Finding, RunResult, RunStats } from '../types.js';
import { emptyStats } from '../stats.js';

/** True when there were files and none of them could be analysed. */
export function everyFileFailed(stats: Pick<RunStats, 'files' | 'filesFailed'>): boolean {
  return stats.files > 0 && stats.filesFailed >= stats.files;
}

/** The result of a run that had no file to analyse (a shard that got none of the files). */
export function emptyRunResult(): RunResult {
  return {
    findings: [],
    notifications: [],
    stats: emptyStats(),
    summaries: {},
  };
}

/** The result with only these of its findings (after changed-lines mode or a baseline), counted again by rule. */
export function withFindings(result: RunResult, findings: Finding[]): RunResult {
  const findingsByRule: Record<string, number> = {};
  for (const f of findings) findingsByRule[f.ruleId] = (findingsByRule[f.ruleId] ?? 0) + 1;
  return { ...result, findings, stats: { ...result.stats, findingsByRule } };
}
