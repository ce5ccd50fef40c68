// The run's use of the cache (src/cache.ts): the run-level entry (every file as the last identical
// run read it, and its report), and the analyses of each file by content and demand.

import { performance } from 'node:perf_hooks';
import type { AnalyzeOptions, FileNotification, RunResult } from '../types.js';
import { ResultCache, runEntryHolds, runKey, statOf } from '../cache.js';
import type { MemoEntry } from '../function-memo.js';
import type { FileTaskResult } from '../parallel/file-task.js';
import type { OnlyFunctions } from '../file-analysis/parse-file.js';
import { someInMemory, type RunSource } from './run-source.js';

/** The cache of the run, or why there is none (a warning) when one was asked for. */
export function openCache(options: AnalyzeOptions): { cache: ResultCache | null; note: FileNotification | null } {
  if (!options.cacheDir) return { cache: null, note: null };
  const opened = ResultCache.open(options.cacheDir, options);
  if (opened instanceof ResultCache) return { cache: opened, note: null };
  return { cache: null, note: { file: options.cacheDir, level: 'warning', message: `${opened.error}: running without the cache` } };
}

/** Where a run's report is kept: its key, and the analysed files as the run found them (size and modification time). */
export interface RunEntryPlace {
  key: string;
  sources: [string, number, number][];
  /** The same by path: the run stats each of its files once (the entry's check, the facts cache). */
  stats: ReadonlyMap<string, readonly [string, number, number]>;
}

/** The run-level entry of a run of files read from disk (null for sources held in memory). */
export function runEntryPlace(cache: ResultCache, sources: readonly RunSource[], extra: { root: string | null; options: AnalyzeOptions }): RunEntryPlace | null {
  if (someInMemory(sources)) return null;
  const stats = new Map<string, [string, number, number]>();
  for (const src of sources) stats.set(src.path, statOf(src.path) ?? [src.path, -1, -1]);
  const { root, options } = extra;
  const key = runKey(cache, [...stats.values()].map(([f]) => f), { root, summariesIn: options.summariesIn ?? null, lockOrderIn: options.lockOrderIn ?? null, exportSummaries: !!options.exportSummaries, demand: options.demand !== false });
  return { key, sources: [...stats.values()], stats };
}

/** The report the last identical run made, when every file it read is as it was (its stats for this run's taking it). */
export function cachedRun(cache: ResultCache, place: RunEntryPlace, start: number): RunResult | null {
  const entry = cache.getRun(place.key);
  if (!entry || !runEntryHolds(entry, place.stats)) return null;
  const stats = { ...entry.result.stats, filesParsed: 0, parsesReused: 0, filesFromCache: entry.result.stats.files, filesMoved: 0, factsFromCache: entry.result.stats.files, parseMs: 0, analyzeMs: 0, filesAnalyzedAhead: 0, filesAnalyzedAgain: 0, functionsReused: 0 };
  stats.totalMs = performance.now() - start;
  return { ...entry.result, stats };
}

/**
 * Keeps a run's report with the files it read (the analysed files and `headers`). A run in which
 * a file failed, or that warned, is not kept: the next run analyses that file again.
 */
export function storeRun(cache: ResultCache, place: RunEntryPlace, headers: ReadonlySet<string>, result: RunResult): void {
  if (cache.writeError || result.stats.filesFailed || result.notifications.some((n) => n.level !== 'note')) return;
  const read = [...place.sources, ...[...headers].sort().map((h) => statOf(h) ?? ([h, -1, -1] as [string, number, number]))];
  cache.putRun(place.key, { files: read, result });
}

/** The cache's analyses of the run's files, by content and the functions analysed (each entry read once per run). */
export class CachedAnalyses {
  private readonly loaded = new Map<string, FileTaskResult[]>();
  /** Files whose earlier analyses of functions were given out. */
  private readonly seeded = new Set<string>();

  constructor(
    private readonly cache: ResultCache,
    /** Content hashes by file. */
    private readonly hashes: ReadonlyMap<string, string>,
  ) {}

  /** The analyses of `file` with `only` kept. */
  analysesOf(file: string, only: OnlyFunctions | null | undefined): FileTaskResult[] {
    const key = this.key(file, only);
    if (!key) return [];
    let list = this.loaded.get(key);
    if (!list) this.loaded.set(key, (list = this.cache.get(key)));
    return list;
  }

  /** Keeps an analysis of `file`; a failure is never kept, nor a function whose analysis threw: the next run tries again. */
  store(file: string, only: OnlyFunctions | null | undefined, r: FileTaskResult): void {
    const key = this.key(file, only);
    if (!key || r.outcome.failed || r.outcome.cfgGiveUps || r.outcome.ruleErrors) return;
    // The packed memo is the run's own (the functions go to the cache apart).
    const { functions, memo, ...result } = r;
    this.cache.put(key, result);
    if (functions) this.cache.putFunctions(file, functions);
    this.loaded.delete(key);
  }

  /**
   * The analyses of a file's functions its last analysis in an earlier run kept, given to its
   * first analysis in this run: after an edit, the functions it did not change are not analysed
   * again. Later analyses in the run find them in the analyzer's memo.
   */
  earlierFunctions(file: string): MemoEntry[] | undefined {
    if (this.seeded.has(file)) return undefined;
    this.seeded.add(file);
    return this.cache.getFunctions(file);
  }

  /** Each file's last key, with the functions it was for (a key is a digest: made once). */
  private readonly keys = new Map<string, { ends: string; key: string }>();

  private key(file: string, only: OnlyFunctions | null | undefined): string | null {
    const hash = this.hashes.get(file);
    if (!hash) return null;
    const ends = only ? only.ends.join(',') : '*';
    const last = this.keys.get(file);
    if (last?.ends === ends) return last.key;
    const key = this.cache.key(file, hash, only?.ends ?? null);
    this.keys.set(file, { ends, key });
    return key;
  }
}
