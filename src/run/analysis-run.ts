// The run past the run-level cache entry (src/analyze.ts), loaded only when that entry misses:
// read every file once (src/run/read-files.ts), summarise the headers and compute the demand
// (src/run/headers-and-demand.ts), analyse the files in rounds to the cross-file fixed point
// (src/run/round-scheduler.ts), collect the findings (src/run/collect-findings.ts), then keep the
// report in the cache. Per-file isolation: a file that cannot be read, parsed or analysed yields a
// notification and the run goes on with the others.

import { performance } from 'node:perf_hooks';
import type { RunResult } from '../types.js';
import { calleesFirst } from '../engine/callgraph.js';
import { defaultJobs } from '../parallel/pool.js';
import { setUpRun, startAnalysis, type RunAnalysis, type RunSetup } from './run-setup.js';
import type { PreparedRun } from './run-prepare.js';
import type { RunSource } from './run-source.js';
import { storeRun, type RunEntryPlace } from './run-cache.js';
import { readAll, type FilesRead } from './read-files.js';
import { FactsCache } from './facts-cache.js';
import { summariseHeadersThenDemand } from './headers-and-demand.js';
import { RunPool } from './run-pool.js';
import { RoundScheduler } from './round-scheduler.js';
import { collectFindings, exportedSummaries } from './collect-findings.js';

/**
 * Rounds of the cross-file fixed point: a file is analysed again when a summary it used changed.
 * A round is needed per change that goes back up the order (a cycle between files): the whole
 * 6.12 tree settles in 8 (kvm's and i915's cycles), mm/ in 3. A run that reaches the cap says so.
 */
const MAX_ROUNDS = 16;

/** With VMALINT_PHASES set, each phase's end on stderr: time since the run's start, memory. */
class PhaseLog {
  constructor(private readonly start: number) {}

  mark(label: string): void {
    if (process.env['VMALINT_PHASES']) process.stderr.write(`phase ${label}: ${((performance.now() - this.start) / 1000).toFixed(3)} s, rss ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB\n`);
  }
}

/** What analysing the files gave: each file's outcome, what reading them found, what the run said. */
interface FilesAnalyzed {
  scheduler: RoundScheduler;
  read: FilesRead;
  notes: RunSetup['notes'];
  /** Headers the run read besides its files (the run-level cache entry checks them too). */
  headersRead: Set<string>;
}

/**
 * The run after the run-level cache missed (`runEntry`: its place, when the cache is on): set up,
 * read, summarise the headers and compute the demand, analyse in rounds, collect the findings.
 */
export async function analyzeRun(ready: PreparedRun, runEntry: RunEntryPlace | null, start: number): Promise<RunResult> {
  const setup = await startAnalysis(setUpRun(ready));
  const { cache, options, sources, stats } = setup;
  const phases = new PhaseLog(start);
  // Workers read the files and analyse them ahead of their turn (src/parallel/), started at
  // their first use: a run whose files all come from the cache starts no worker.
  const jobs = Math.max(1, options.jobs ?? defaultJobs());
  const pool = new RunPool(jobs, options.jobs !== undefined, jobs > 1 && setup.useDemand && sources.length > 1, options, setup.crossFile);
  let analyzed: FilesAnalyzed;
  try {
    analyzed = await readAndAnalyze(setup, pool, phases, runEntry?.stats ?? null);
  } finally {
    await pool.close();
  }
  const notes = [...setup.notes, ...analyzed.notes];
  // A worker that stopped cost its tasks (done again in this thread): the results hold, but a
  // worker that cannot start (a broken installation) must not only make every run slower.
  const stopped = pool.workersStopped;
  if (stopped.length) notes.push({ file: setup.root ?? '.', level: 'note', message: `${stopped.length} analysis worker(s) stopped (first: ${stopped[0]}); their files were read or analysed again in this thread` });
  if (cache?.writeError) notes.push({ file: options.cacheDir!, level: 'warning', message: cache.writeError });
  const collected = collectFindings({ sources, outcomes: analyzed.scheduler.outcomes, notes, suppressions: analyzed.read.suppressions, rules: setup.rules, stats, lockOrder: setup.crossFile.runLockOrder() });
  collected.stats.totalMs = performance.now() - start;
  const result: RunResult = { findings: collected.findings, notifications: collected.notifications, stats: collected.stats, summaries: exportedSummaries(setup.crossFile), lockOrder: setup.crossFile.codeLockOrder() };
  if (cache && runEntry) storeRun(cache, runEntry, new Set([...(setup.treeFile ? [setup.treeFile] : []), ...analyzed.headersRead]), result);
  phases.mark('end');
  return result;
}


/** Bytes of source whose parses the main thread keeps for the later rounds (12 to 24 MB of RSS for 6.12 mm/'s 4 MB). */
const KEPT_PARSE_BYTES = 16 << 20;

/** Everything between the pool's start and its end: read, summarise the headers, analyse in rounds. */
async function readAndAnalyze(setup: RunAnalysis, pool: RunPool, phases: PhaseLog, statsTaken: RunEntryPlace['stats'] | null): Promise<FilesAnalyzed> {
  const { sources, stats, crossFile } = setup;
  const kept = setup.cache ? FactsCache.open(setup.cache, setup.factsConfig, statsTaken) : null;
  const read = await readAll(sources, crossFile, setup.factsConfig, pool.wanted ? (filesToRead) => pool.forReading(filesToRead) : null, kept);
  stats.parseMs += read.ms;
  stats.factsFromCache = read.fromCache;
  phases.mark('read+prescan');
  // The kernel headers are summarised twice (helpers calling helpers): parsed once.
  setup.analyzer.keepParses(KEPT_PARSE_BYTES);
  const prepared = summariseHeadersThenDemand(setup, read, kept);
  stats.kbEntriesNotMatching = prepared.kbEntriesNotMatching;
  stats.kbEntriesMoved = prepared.kbEntriesMoved;
  stats.functionsInRun = prepared.functionsInRun;
  phases.mark('headers+demand');
  const { demand } = prepared;
  const needed = demand ? sources.filter((src) => demand.fileNeeded(src.path)) : sources;
  const ordered = calleesFirst(sources, read.prescans, (file) => (demand ? demand.neededIn(file) : null), crossFile.domains);
  const scheduler = new RoundScheduler(setup, read, demand, prepared.apisChanged, pool, ordered);
  // Workers by how many files the run will likely analyse itself (those the cache has no analysis
  // of); workers that only read: their memory goes before the analysis.
  const toAnalyse = needed.length - scheduler.cachedAmong(needed);
  // Analysed in this thread, a file a later round takes again is not parsed again; in workers,
  // this thread's kept parses (the headers') go.
  if (!pool.analyseInWorkers(toAnalyse)) await pool.close();
  else setup.analyzer.keepParses(0);
  phases.mark(`order (${needed.length} files to analyse, ${toAnalyse} not in the cache)`);
  const rounds = await analyzeToFixedPoint(scheduler, ordered, phases);
  stats.summaryRounds = rounds.rounds;
  stats.fileReanalyses = rounds.reanalyses;
  stats.summariesJoined = crossFile.summariesJoined;
  const notes = [...prepared.notes];
  if (rounds.unsettled) notes.push({ file: setup.root ?? '.', level: 'warning', message: `the summaries across files did not settle in ${MAX_ROUNDS} rounds: ${rounds.unsettled} file(s) used a summary that changed after their last analysis, so their findings may differ from a run to the fixed point` });
  return { scheduler, read, notes, headersRead: prepared.headersRead };
}

/**
 * The files analysed in order, then those a changed summary makes dirty, round after round (at
 * most MAX_ROUNDS). A round takes with it the files after each one that its result makes dirty, so
 * a round is needed only for a change that goes back up the order (a cycle between files).
 */
async function analyzeToFixedPoint(scheduler: RoundScheduler, ordered: readonly RunSource[], phases: PhaseLog): Promise<{ rounds: number; reanalyses: number; unsettled: number }> {
  const first = await scheduler.analyzeInOrder(ordered);
  phases.mark('round 1');
  let rounds = 1;
  let reanalyses = first - ordered.length;
  for (;;) {
    const dirty = scheduler.dirtyFiles(ordered);
    if (!dirty.length) return { rounds, reanalyses, unsettled: 0 };
    if (rounds >= MAX_ROUNDS) return { rounds, reanalyses, unsettled: dirty.length };
    rounds++;
    const taken = await scheduler.analyzeInOrder(dirty);
    reanalyses += taken;
    phases.mark(`round ${rounds} (${taken} files)`);
  }
}
