// Whether a run analysed anything (shared by the exit status and SARIF's executionSuccessful),
// and the result of a run that had nothing to analyse.
import type { RunResult, RunStats } from '../types.js';
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
