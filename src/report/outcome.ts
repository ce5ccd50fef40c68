// Whether a run analysed anything: shared by the exit status and SARIF's executionSuccessful.
import type { RunStats } from '../types.js';

/** True when there were files and none of them could be analysed. */
export function everyFileFailed(stats: Pick<RunStats, 'files' | 'filesFailed'>): boolean {
  return stats.files > 0 && stats.filesFailed >= stats.files;
}
