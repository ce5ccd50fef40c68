// One file's analysis as a task that can run anywhere: in the main thread or in a worker. A task
// carries what the file's analysis asks of the run (a snapshot of the summaries of the names it
// calls, the `__noreturn` names it sees, initializers published since the runner's last task); the
// result carries what it produced and what it used (FileInputs), which the run checks before it
// accepts a result computed ahead of its turn (src/run/round-scheduler.ts).

import v8 from 'node:v8';
import { performance } from 'node:perf_hooks';
import type { AnalyzeOptions, RunStats } from '../types.js';
import { lookupApi, type ApiEntry } from '../kb/lock-api.js';
import type { FileContribution } from '../engine/cross-file-facts.js';
import type { ForeignAnchors } from '../run/foreign-places.js';
import { knownEntries, packMemo, type MemoEntry } from '../function-memo.js';
import { emptyStats } from '../stats.js';
import { initParser } from '../parse/parser.js';
import { injectedFailure } from '../failure-injection.js';
import { readSource } from '../read-source.js';
import { knownFingerprint } from '../cross-file-view.js';
import { emptyOutcome, FileAnalyzer, selectRules, type AnalyzeFileOptions, type FileInputs, type FileOutcome, type CrossFileView } from '../file-analyzer.js';

/** The options a runner needs (what can cross to a worker: no callbacks). */
export type RunnerOptions = Pick<AnalyzeOptions, 'rules' | 'defines' | 'undefines' | 'completeConfig' | 'config' | 'summaries' | 'staticSummaries' | 'treeFacts' | 'treeConstants'>;

export function runnerOptions(options: AnalyzeOptions): RunnerOptions {
  const { rules, defines, undefines, completeConfig, config, summaries, staticSummaries, treeFacts, treeConstants } = options;
  return { rules, defines, undefines, completeConfig, config, summaries, staticSummaries, treeFacts, treeConstants };
}

export interface FileTask {
  path: string;
  /** The text, for sources held in memory; read from `path` otherwise. */
  text?: string;
  only: AnalyzeFileOptions['only'];
  /** Answers for the names the file's analysed functions call. */
  summaries: [string, ApiEntry][];
  /**
   * Their fingerprints (exactFingerprint()), in the same order, as the run made them: a copy's is
   * the same, and is not made again from it (JSON and a digest of each summary, in every task).
   */
  summaryPrints?: string[];
  /** Knowledge-base entries that the tree changes for this file (null: none holds), by name. */
  apis?: [string, ApiEntry | null][];
  noreturn: string[];
  /** Initializers published since this runner's previous task, in publication order. */
  initializers: [string, [string, string][]][];
  /** Analyses of the file's functions from an earlier run (the cache's). */
  functions?: MemoEntry[];
  /** Give back the analyses of the file's functions (for the cache). */
  keepFunctions?: boolean;
  /** The file's memo entries from its last analysis in this run (packMemo()), when another round analyses it again. */
  memo?: Uint8Array;
}

export interface FileTaskResult {
  path: string;
  outcome: FileOutcome;
  /** Null when the file could not be read or analysed (the outcome says why). */
  contribution: FileContribution | null;
  inputs: FileInputs | null;
  stateSummaries: string[];
  /** The analyses of the file's functions, when the task asked for them. */
  functions?: MemoEntry[];
  /** The memo entries of this analysis, packed (packMemo()), for the file's next analysis in the run. */
  memo?: Uint8Array;
  stats: Pick<RunStats, 'parseMs' | 'analyzeMs' | 'filesParsed' | 'functionsReused'>;
  /** The runner's heap after the task (a worker whose heap grows is replaced). */
  heapUsed: number;
  /** A failure the runner could not retry itself (its worker died): the main thread tries again. */
  retry?: boolean;
  /**
   * Kept with the result in the cache (src/run/foreign-places.ts): the answers its analysis used,
   * each told relative to the functions its places lie in, and those functions of other files.
   */
  placeFree?: Map<string, string>;
  anchors?: ForeignAnchors;
}

/**
 * One file's analysis, its failures made notifications: a file that cannot be read fails alone
 * (the main thread and the workers share this). An analysis that throws is a failure of vmalint
 * itself (a bug, a parser or WebAssembly error): it is tried once more with a fresh parser, and
 * reported as `internal` if it fails again, which keeps it out of the cache.
 */
export function analyzeSource(
  analyzer: FileAnalyzer,
  file: string,
  got: { text: string } | { error: string },
  only: AnalyzeFileOptions['only'],
  functions?: { known: readonly MemoEntry[] | undefined; keep: boolean },
): Pick<FileTaskResult, 'outcome' | 'contribution' | 'inputs' | 'stateSummaries' | 'functions' | 'memo'> {
  if ('error' in got) return failedOutcome(file, got.error, false);
  let firstError = '';
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      injectedFailure(file);
      const r = analyzer.analyze({ path: file, text: got.text }, { report: true, only, functions: functions?.known });
      // A function whose analysis threw (a CFG give-up, reported as a warning): once more, fresh.
      if (r.outcome.cfgGiveUps && attempt === 0) {
        analyzer.resetParser();
        continue;
      }
      const outcome = { ...r.outcome, bytes: Buffer.byteLength(got.text) };
      return {
        outcome,
        contribution: r.contribution,
        inputs: r.inputs,
        stateSummaries: r.stateSummaries,
        ...(functions?.keep ? { functions: r.functions } : {}),
        memo: packMemo(r.functions),
      };
    } catch (err) {
      firstError ||= err instanceof Error ? err.message : String(err);
      analyzer.resetParser();
    }
  }
  return failedOutcome(file, `could not be analysed: ${firstError}`, true);
}

/** The outcome of a file that failed: an error notification and no findings. */
export function failedOutcome(file: string, message: string, internal: boolean): Pick<FileTaskResult, 'outcome' | 'contribution' | 'inputs' | 'stateSummaries'> {
  const outcome = emptyOutcome();
  outcome.failed = internal ? 'internal' : 'input';
  outcome.notifications.push({ file, level: 'error', message });
  return { outcome, contribution: null, inputs: null, stateSummaries: [] };
}

/** A CrossFileView answering from a task's snapshot. */
class SnapshotView implements CrossFileView {
  summaries = new Map<string, ApiEntry>();
  apis = new Map<string, ApiEntry | null>();
  noreturnNames = new Set<string>();
  readonly initializers = new Map<string, ReadonlyMap<string, string>>();
  summaryOf(name: string): ApiEntry | undefined {
    return this.summaries.get(name);
  }
  noreturn(name: string): boolean {
    return this.noreturnNames.has(name);
  }
  initializer(variable: string): ReadonlyMap<string, string> | undefined {
    return this.initializers.get(variable);
  }
  api(name: string): ApiEntry | undefined {
    const changed = this.apis.get(name);
    return changed === undefined ? lookupApi(name) : changed ?? undefined;
  }
}

/** Runs file tasks, one at a time, with its own parser and analyzer. */
export class FileTaskRunner {
  private readonly view = new SnapshotView();
  private readonly stats = emptyStats();
  private readonly analyzer: FileAnalyzer;
  private ready: Promise<void> | null = null;

  constructor(options: RunnerOptions) {
    this.analyzer = new FileAnalyzer(selectRules(options), options, this.stats, this.view);
  }

  async run(task: FileTask): Promise<FileTaskResult> {
    this.ready ??= initParser();
    await this.ready;
    this.view.summaries = new Map(task.summaries);
    task.summaryPrints?.forEach((fp, i) => knownFingerprint(task.summaries[i][1], fp));
    this.view.apis = new Map(task.apis ?? []);
    this.view.noreturnNames = new Set(task.noreturn);
    for (const [name, fields] of task.initializers) if (!this.view.initializers.has(name)) this.view.initializers.set(name, new Map(fields));
    const before = { parseMs: this.stats.parseMs, analyzeMs: this.stats.analyzeMs, filesParsed: this.stats.filesParsed, functionsReused: this.stats.functionsReused };
    const t0 = performance.now();
    const got = task.text !== undefined ? { text: task.text } : readSource(task.path);
    this.stats.parseMs += performance.now() - t0;
    const r = analyzeSource(this.analyzer, task.path, got, task.only, { known: knownEntries(task.memo, task.functions), keep: !!task.keepFunctions });
    return {
      ...r,
      path: task.path,
      stats: {
        parseMs: this.stats.parseMs - before.parseMs,
        analyzeMs: this.stats.analyzeMs - before.analyzeMs,
        filesParsed: this.stats.filesParsed - before.filesParsed,
        functionsReused: this.stats.functionsReused - before.functionsReused,
      },
      // The heap alone: process.memoryUsage() also reads the process's RSS (0.6 s of each worker's time on the whole 6.12 tree).
      heapUsed: v8.getHeapStatistics().used_heap_size,
    };
  }
}
