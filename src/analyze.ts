// Entry point of the analysis: files in, findings, notifications and stats out.
// (Stub: the engine is being written; the signature is final.)
import type { AnalyzeOptions, RunResult } from './types.js';

/** A source given in memory (tests, editor buffers). */
export interface SourceInput {
  path: string;
  text: string;
}

/**
 * Analyses files read from disk. Per-file isolation: a file that cannot be read, parsed or analysed
 * yields a notification and the run goes on. Findings are sorted by file, line, column, rule.
 */
export async function analyzeFiles(paths: string[], options: AnalyzeOptions = {}): Promise<RunResult> {
  void paths;
  void options;
  throw new Error('not implemented yet');
}

/** Analyses sources held in memory. */
export async function analyzeSources(sources: SourceInput[], options: AnalyzeOptions = {}): Promise<RunResult> {
  void sources;
  void options;
  throw new Error('not implemented yet');
}
