// Whether a run analysed anything (shared by the exit status and SARIF's executionSuccessful),
// and the result of a run that had nothing to analyse.
import type { RunResult, RunStats } from '../types.js';

/** True when there were files and none of them could be analysed. */
export function everyFileFailed(stats: Pick<RunStats, 'files' | 'filesFailed'>): boolean {
  return stats.files > 0 && stats.filesFailed >= stats.files;
}

/** The result of a run that had no file to analyse (a shard that got none of the files). */
export function emptyRunResult(): RunResult {
  return {
    findings: [],
    notifications: [],
    stats: {
      files: 0,
      filesFailed: 0,
      bytes: 0,
      functions: 0,
      cfgGiveUps: 0,
      functionsWithParseErrors: 0,
      functionsWidened: 0,
      summaryRounds: 0,
      fileReanalyses: 0,
      functionsWithCallerEntry: 0,
      headerSummaries: 0,
      parseMs: 0,
      analyzeMs: 0,
      totalMs: 0,
      findingsByRule: {},
    },
    summaries: {},
  };
}
