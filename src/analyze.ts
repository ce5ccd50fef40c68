// Entry point of the analysis: files in, findings, notifications and stats out. The run is
// prepared (src/run/run-prepare.ts: its sources, tree, options and cache), answered by the
// run-level cache entry when it holds (src/run/run-cache.ts), else analysed by src/run/analysis-run.ts,
// loaded only then with the engine.

import { performance } from 'node:perf_hooks';
import type { AnalyzeOptions, RunResult } from './types.js';
import { readSource } from './read-source.js';
import { prepareRun } from './run/run-prepare.js';
import type { RunSource } from './run/run-source.js';
import { cachedRun, runEntryPlace } from './run/run-cache.js';

export { findKernelRoot } from './run/run-prepare.js';

/** A source given in memory (tests, editor buffers). */
export interface SourceInput {
  path: string;
  text: string;
}

async function run(given: readonly RunSource[], requested: AnalyzeOptions): Promise<RunResult> {
  const start = performance.now();
  const ready = prepareRun(given, requested);
  const { cache, options, sources } = ready;
  const runEntry = cache ? runEntryPlace(cache, sources, { root: ready.root, options }) : null;
  const earlier = cache && runEntry ? cachedRun(cache, runEntry, start) : null;
  if (earlier) return earlier;
  // The engine, loaded only now: a run the cache answers (a hook's run on unchanged files) does without.
  const { analyzeRun } = await import('./run/analysis-run.js');
  return analyzeRun(ready, runEntry, start);
}

/** Analyses files read from disk. Findings are sorted by file, line, column, rule. */
export async function analyzeFiles(paths: string[], options: AnalyzeOptions = {}): Promise<RunResult> {
  return run(
    paths.map((p) => ({ path: p, read: () => readSource(p) })),
    options,
  );
}

/** Analyses sources held in memory. */
export async function analyzeSources(sources: SourceInput[], options: AnalyzeOptions = {}): Promise<RunResult> {
  return run(
    sources.map((s) => ({ path: s.path, text: s.text, read: () => ({ text: s.text }) })),
    { kernelRoot: false, ...options },
  );
}
