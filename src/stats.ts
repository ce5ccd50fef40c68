// The statistics of a run, all counters at zero.
import type { RunStats } from './types.js';

export function emptyStats(): RunStats {
  return {
    files: 0,
    filesFailed: 0,
    contextFiles: 0,
    bytes: 0,
    functions: 0,
    cfgGiveUps: 0,
    ruleErrors: 0,
    ruleMs: {},
    functionsWithParseErrors: 0,
    functionsWidened: 0,
    summaryRounds: 0,
    summariesJoined: 0,
    fileReanalyses: 0,
    functionsWithCallerEntry: 0,
    headerSummaries: 0,
    kbEntriesNotMatching: 0,
    kbEntriesMoved: 0,
    functionsInRun: 0,
    filesParsed: 0,
    parsesReused: 0,
    filesAnalyzedAhead: 0,
    filesAnalyzedAgain: 0,
    functionsReused: 0,
    filesFromCache: 0,
    filesMoved: 0,
    factsFromCache: 0,
    parseMs: 0,
    analyzeMs: 0,
    totalMs: 0,
    findingsByRule: {},
  };
}
