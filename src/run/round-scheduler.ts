// The schedule of a round of the run: files analysed in their order (callees' files first), each
// seeing what the files before it published. Workers analyse files ahead of their turn (those
// whose callees' files are settled); a result is kept only when everything it used is what the run
// knows at the file's turn (sameInputs), so the outcome is the one analysing the files one by one
// gives, whatever -j is. Results come from the cache when they hold, and go to it.

import type { ApiEntry } from '../kb/lock-api.js';
import { lookupApi } from '../kb/lock-api.js';
import type { FileContribution } from '../engine/cross-file-facts.js';
import type { Demand } from '../engine/demand.js';
import { emptyOutcome, exactFingerprint, sameInputs, type FileOutcome } from '../file-analyzer.js';
import type { FileInputs } from '../cross-file-view.js';
import { ForeignPlaces } from './foreign-places.js';
import { heapWork } from './heap-growth.js';
import type { OnlyFunctions } from '../file-analysis/parse-file.js';
import { onlyThese } from '../header-summaries.js';
import { analyzeSource, type FileTaskResult } from '../parallel/file-task.js';
import type { RunAnalysis } from './run-setup.js';
import type { FilesRead } from './read-files.js';
import type { RunPool } from './run-pool.js';
import { CachedAnalyses } from './run-cache.js';
import { knownEntries } from '../function-memo.js';
import type { RunSource } from './run-source.js';

/** How far ahead of the file being committed the pool may analyse files whose callees are settled. */
const LOOKAHEAD = 512;

/** A file sent to the pool ahead of its turn, with the functions it was to analyse. */
interface Dispatched {
  only: OnlyFunctions | null;
  result: Promise<FileTaskResult>;
}

/**
 * The state of one pass over files in the run's order. A file a commit makes dirty (a summary it
 * used changed, or it needs more functions) joins the pass when its turn is still to come, so that
 * a change travels down the order in one pass, not one round per file it reaches.
 */
class OrderedPass {
  /** The pass's files; those from `next` on are to come, in the run's order. */
  readonly list: RunSource[];
  /** The files to come, and the one being taken until its result is (a file after it waits for it). */
  readonly pending: Set<string>;
  readonly inflight = new Map<string, Dispatched>();
  /** The files before it in the run's order that each file's calls may depend on. */
  readonly deps = new Map<string, string[]>();
  /** The index in `list` of the file to take next. */
  next = 0;
  /**
   * Files the pool need not analyse ahead (not needed when looked at, or in the cache), and the
   * index in `list` before which every file is in flight or one of those (the look-ahead starts there).
   */
  readonly passedOver = new Set<string>();
  decidedUpTo = 0;

  constructor(
    list: readonly RunSource[],
    /** Every file's position in the run's order. */
    readonly position: ReadonlyMap<string, number>,
  ) {
    this.list = [...list];
    this.pending = new Set(list.map((src) => src.path));
  }

  /** Adds a file whose turn is to come (after the one being taken), in its place in the order. */
  join(src: RunSource): void {
    if (this.pending.has(src.path)) return;
    const at = this.position.get(src.path)!;
    let lo = this.next + 1;
    let hi = this.list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.position.get(this.list[mid].path)! < at) lo = mid + 1;
      else hi = mid;
    }
    this.list.splice(lo, 0, src);
    this.pending.add(src.path);
    if (lo < this.decidedUpTo) this.decidedUpTo = lo;
  }

  /** The file at `next` is done: its result taken, what it publishes settled for the files after it. */
  done(): void {
    this.pending.delete(this.list[this.next].path);
  }
}

export class RoundScheduler {
  /** Each file's latest outcome. */
  readonly outcomes = new Map<string, FileOutcome>();
  /** Files whose needed functions grew since their last analysis (a summary found later asks for their callers). */
  private readonly activated = new Set<string>();
  /** The cross-file facts' generation when each file was last analysed. */
  private readonly analyzedAt = new Map<string, number>();
  /**
   * What each file looked up last time, and what it was answered (for the dirty checks; the
   * summaries themselves live in the cross-file facts).
   */
  private readonly lookedUp = new Map<string, Pick<FileContribution, 'lookedUp' | 'lookedUpWhole'> & { inputs: FileInputs | null }>();
  /** Progress: files done of files to do (each round adds the files it analyses). */
  private readonly progress = { done: 0, total: 0 };
  /** The texts of the sources held in memory. */
  private readonly inMemory = new Map<string, string>();
  /** The cache's analyses of the files (null without the cache). */
  private readonly cache: CachedAnalyses | null;
  /** Each file's position in the run's order (callees' files first), and the files by path. */
  private readonly position = new Map<string, number>();
  private readonly byPath = new Map<string, RunSource>();
  /** The files that looked up each name's summary (its flow, or the whole of it), as last analysed. */
  private readonly readers = new Map<string, Set<string>>();
  private readonly wholeReaders = new Map<string, Set<string>>();
  /** Files this run analysed (not from the cache), for src/run/heap-growth.ts. */
  private analysedHere = 0;
  /** Places in the run's files, for results that only moved (src/run/foreign-places.ts). */
  private readonly places: ForeignPlaces;
  /**
   * Each file's memo entries from its last analysis (packMemo()): a later round that
   * analyses it again reuses its unchanged functions, in whichever thread (on the whole 6.12 tree,
   * round 2 analysed 4,800 functions again that round 1 had analysed, most of them unchanged).
   */
  private readonly memos = new Map<string, Uint8Array>();

  constructor(
    private readonly setup: RunAnalysis,
    private readonly read: FilesRead,
    private readonly demand: Demand | null,
    /** Does the tree change knowledge-base entries (then a task carries them)? */
    private readonly apisChanged: boolean,
    private readonly pool: RunPool,
    /** Every file of the run in the order its rounds take them. */
    ordered: readonly RunSource[],
  ) {
    ordered.forEach((src, i) => {
      this.position.set(src.path, i);
      this.byPath.set(src.path, src);
    });
    for (const src of setup.sources) if (src.text !== undefined) this.inMemory.set(src.path, src.text);
    this.cache = setup.cache ? new CachedAnalyses(setup.cache, read.hashes) : null;
    this.places = new ForeignPlaces(read.prescans);
  }

  /**
   * The files of `list` (in the run's order) analysed in their order, each seeing what the files
   * before it published, with the files after them that their results make dirty. Returns how
   * many files the pass analysed.
   */
  async analyzeInOrder(list: readonly RunSource[]): Promise<number> {
    this.progress.total += list.length;
    const pass = new OrderedPass(list, this.position);
    for (; pass.next < pass.list.length; pass.next++) {
      const src = pass.list[pass.next];
      const at = this.position.get(src.path)!;
      this.fill(pass, pass.next);
      const ahead = pass.inflight.get(src.path);
      pass.inflight.delete(src.path);
      if (this.demand && !this.demand.fileNeeded(src.path)) {
        const outcome = emptyOutcome();
        outcome.bytes = this.read.prescans.get(src.path)?.bytes ?? 0;
        this.outcomes.set(src.path, outcome);
      } else {
        const changed = this.commit(src, await this.analyzeAtTurn(pass, src, at, ahead));
        for (const file of this.readersOf(changed)) this.dirtied(pass, file, at);
      }
      pass.done();
      this.progress.done++;
      this.setup.options.onProgress?.({ ...this.progress });
    }
    return pass.list.length;
  }

  /**
   * A file made dirty while the file at `at` was taken: it joins the pass when its turn is to come;
   * one before it waits for the next round (going back at once was measured: on 6.12 mm/, 52 files
   * analysed again instead of 29, for the same fixed point).
   */
  private dirtied(pass: OrderedPass, file: string, at: number): void {
    const src = this.byPath.get(file);
    if (!src || file === pass.list[pass.next].path) return;
    if ((this.position.get(file) ?? -1) < at) {
      this.activated.add(file);
      return;
    }
    if (!pass.pending.has(file)) this.progress.total++;
    pass.join(src);
  }

  /** The files that used a summary among `changed` (flow names, whole names). */
  private readersOf(changed: { flow: string[]; whole: string[] }): Set<string> {
    const files = new Set<string>();
    for (const name of changed.flow) for (const f of this.readers.get(name) ?? []) if (this.answerChanged(f, name)) files.add(f);
    for (const name of changed.whole) for (const f of this.wholeReaders.get(name) ?? []) if (this.answerChanged(f, name)) files.add(f);
    return files;
  }

  /**
   * Is a summary a file looked up no longer what the file was answered? A name has a definition
   * for each architecture or program: a change of one is none for a file that sees another
   * (arch/loongarch's die() for arch/riscv/mm/fault.c: 73 files of the 6.12 tree analysed again).
   */
  private answerChanged(file: string, name: string): boolean {
    const inputs = this.lookedUp.get(file)?.inputs;
    const was = inputs?.summaries.get(name);
    if (!inputs || was === undefined) return true;
    const { view } = this.setup;
    if (exactFingerprint(view.summaryOf(name, file)) !== was) return true;
    const noreturn = inputs.noreturn.get(name);
    return noreturn !== undefined && view.noreturn(name, file) !== noreturn;
  }

  /** The files of `ordered` to analyse again: a summary they used changed since, or they need more functions. */
  dirtyFiles(ordered: readonly RunSource[]): RunSource[] {
    const { crossFile } = this.setup;
    return ordered.filter((src) => {
      if (this.activated.has(src.path)) return true;
      const at = this.analyzedAt.get(src.path) ?? 0;
      const k = this.lookedUp.get(src.path);
      if (!k) return false;
      for (const name of k.lookedUp) if ((crossFile.changedAt.get(name) ?? -1) > at && this.answerChanged(src.path, name)) return true;
      for (const name of k.lookedUpWhole) if ((crossFile.wholeChangedAt.get(name) ?? -1) > at && this.answerChanged(src.path, name)) return true;
      return false;
    });
  }

  /** Sends the pool the files ahead of `from` whose callees' files are settled. */
  private fill(pass: OrderedPass, from: number): void {
    if (!this.pool.wanted) return;
    const { list, inflight, position, passedOver } = pass;
    if (pass.decidedUpTo < from) pass.decidedUpTo = from;
    for (let j = pass.decidedUpTo; j < list.length && j < from + LOOKAHEAD && inflight.size < 32 * this.pool.jobs; j++) {
      const src = list[j];
      const decided = inflight.has(src.path) || passedOver.has(src.path) || this.passOver(pass, src);
      if (!decided && !this.depsOf(pass, src, position.get(src.path)!).some((f) => pass.pending.has(f))) {
        inflight.set(src.path, this.dispatch(src, position.get(src.path)!));
      } else if (!decided) continue;
      if (j === pass.decidedUpTo) pass.decidedUpTo++;
    }
  }

  /**
   * Is `src` a file the pool need not analyse ahead: not needed now (one a summary makes needed
   * later is analysed at its turn), or in the cache? Kept for the pass.
   */
  private passOver(pass: OrderedPass, src: RunSource): boolean {
    const over = (this.demand && !this.demand.fileNeeded(src.path)) || (this.cache && this.cache.analysesOf(src.path, this.onlyFor(src.path)).length > 0);
    if (over) pass.passedOver.add(src.path);
    return !!over;
  }

  /** The files before `at` in the run's order that define what `src` calls, in its program (unsettled while pending in the pass). */
  private depsOf(pass: OrderedPass, src: RunSource, at: number): string[] {
    let deps = pass.deps.get(src.path);
    if (!deps) {
      const files = new Set<string>();
      for (const name of this.calledBy(src.path)) {
        // Non-static definitions: the files a call may depend on (for scheduling only; a call depends only on its own program's).
        for (const f of this.setup.crossFile.definers(name)) if ((pass.position.get(f) ?? Infinity) < at && this.setup.crossFile.domains.links(src.path, f)) files.add(f);
      }
      pass.deps.set(src.path, (deps = [...files]));
    }
    return deps;
  }

  /**
   * A file's result at its turn; a summary that changes its callers' state makes them needed:
   * callers in this file are analysed at once (the file again), the others when their turn comes.
   */
  private async analyzeAtTurn(pass: OrderedPass, src: RunSource, at: number, ahead: Dispatched | undefined): Promise<FileTaskResult> {
    this.analyzedAt.set(src.path, this.setup.crossFile.generation);
    this.activated.delete(src.path);
    for (let again = 0; ; again++) {
      const result = await this.resultAtTurn(src, at, again === 0 ? ahead : undefined);
      for (const name of result.stateSummaries) this.demand?.activate(src.path, name);
      const more = this.demand?.takeActivated() ?? new Set<string>();
      for (const p of more) if (p !== src.path) this.dirtied(pass, p, at);
      if (!more.has(src.path) || again >= 3) return result;
    }
  }

  /** From the cache, else the pool's analysis ahead when it holds, else a worker's now, else this thread's. */
  private async resultAtTurn(src: RunSource, at: number, ahead: Dispatched | undefined): Promise<FileTaskResult> {
    const { stats } = this.setup;
    const only = this.onlyFor(src.path);
    let result: FileTaskResult | null = null;
    const cached = this.cache?.analysesOf(src.path, only) ?? [];
    const fromCache = cached.find((c) => this.holds(c, only, src.path)) ?? this.moved(cached, only, src.path);
    if (fromCache) {
      result = fromCache;
      stats.filesFromCache++;
    }
    if (!result && ahead) {
      const got = await ahead.result;
      // Not kept or kept, its functions' analyses hold where their answers do.
      if (got.memo) this.memos.set(src.path, got.memo);
      const kept = this.holds(got, ahead.only, src.path);
      this.countWorkerTask(got, kept);
      if (kept) {
        result = got;
        stats.filesAnalyzedAhead++;
      } else stats.filesAnalyzedAgain++;
    }
    if (!result && this.pool.wanted) {
      // Not analysed ahead (a callee's file was not settled): a worker analyses it now, with
      // everything before it settled, so that the run never has more threads busy than -j.
      result = await this.dispatch(src, at).result;
      this.countWorkerTask(result, true);
    }
    // A worker that died or failed: this thread tries once more, with a fresh parser.
    if (result && result !== fromCache && result.outcome.failed === 'internal' && result.retry) result = null;
    if (!result) result = this.analyzeHere(src, only);
    if (result.memo) this.memos.set(src.path, result.memo);
    if (result !== fromCache) heapWork(++this.analysedHere);
    // A result moved from the cache is kept as it is now, with its places.
    if (result !== fromCache || (result.inputs && !result.anchors)) this.cache?.store(src.path, only, this.withPlaces(result, src.path));
    return result;
  }

  /**
   * A cached result whose answers changed only in where other files' functions stand, moved to
   * where they stand now (src/run/foreign-places.ts); null when there is none.
   */
  private moved(cached: readonly FileTaskResult[], only: OnlyFunctions | null, file: string): FileTaskResult | null {
    const { view } = this.setup;
    for (const c of cached) {
      if (!c.placeFree || !c.anchors || !c.inputs || !sameOnly(only, this.onlyFor(file))) continue;
      const { summaries, ...exact } = c.inputs;
      if (!sameInputs({ ...exact, summaries: new Map() }, view, file)) continue;
      if ([...summaries.keys()].some((name) => this.places.placeFree(view.summaryOf(name, file)) !== c.placeFree!.get(name))) continue;
      const moved = this.places.relocate({ outcome: c.outcome, contribution: c.contribution }, file, c.anchors);
      if (!moved) continue;
      this.setup.stats.filesMoved++;
      // What it used, as it is now: the next run finds it as it is.
      const inputs = { ...c.inputs, summaries: new Map([...summaries.keys()].map((name) => [name, exactFingerprint(view.summaryOf(name, file))])) };
      return { ...c, ...moved, inputs, anchors: undefined };
    }
    return null;
  }

  /** A result with what moving it later needs (with the cache). */
  private withPlaces(result: FileTaskResult, file: string): FileTaskResult {
    if (!result.inputs) return result;
    const { view } = this.setup;
    const placeFree = new Map([...result.inputs.summaries.keys()].map((name) => [name, this.places.placeFree(view.summaryOf(name, file))]));
    return { ...result, placeFree, anchors: this.places.anchorsOf({ outcome: result.outcome, contribution: result.contribution }, file) };
  }

  /**
   * A file's result taken: its outcome, and what it publishes for the files after it. Returns the
   * names whose summary it changed (what flows into callers, and anything of it).
   */
  private commit(src: RunSource, result: FileTaskResult): { flow: string[]; whole: string[] } {
    const changed = { flow: [] as string[], whole: [] as string[] };
    this.outcomes.set(src.path, result.outcome);
    if (!result.contribution) return changed;
    const { crossFile } = this.setup;
    const { lookedUp, lookedUpWhole, exported } = result.contribution;
    const before = this.lookedUp.get(src.path);
    if (before) {
      for (const name of before.lookedUp) this.readers.get(name)?.delete(src.path);
      for (const name of before.lookedUpWhole) this.wholeReaders.get(name)?.delete(src.path);
    }
    for (const name of lookedUp) addTo(this.readers, name, src.path);
    for (const name of lookedUpWhole) addTo(this.wholeReaders, name, src.path);
    this.lookedUp.set(src.path, { lookedUp, lookedUpWhole, inputs: result.inputs });
    const generation = ++crossFile.generation;
    crossFile.publish(src.path, result.contribution);
    for (const name of exported.keys()) {
      if (crossFile.changedAt.get(name) === generation) changed.flow.push(name);
      if (crossFile.wholeChangedAt.get(name) === generation) changed.whole.push(name);
    }
    this.pool.publishInitializers();
    return changed;
  }

  /** How many of `files` the cache has an analysis of, for their content and the functions to analyse now (which may not hold at their turn). */
  cachedAmong(files: readonly RunSource[]): number {
    return this.cache ? files.filter((src) => this.cache!.analysesOf(src.path, this.onlyFor(src.path)).length > 0).length : 0;
  }

  /** Which functions of a file to analyse now (null: all). */
  private onlyFor(file: string): OnlyFunctions | null {
    const needed = this.demand?.neededIn(file);
    const scan = this.read.prescans.get(file);
    if (!needed || !scan) return null;
    return onlyThese(scan, needed);
  }

  /** Names the needed functions of a file call: what a worker's snapshot answers. */
  private calledBy(file: string): Set<string> {
    const names = new Set<string>();
    const needed = this.demand?.neededIn(file) ?? this.read.prescans.get(file)?.functions ?? [];
    for (const fn of needed) for (const id of fn.ids) names.add(id);
    return names;
  }

  /** One file analysed in the main thread with what the run knows now. */
  private analyzeHere(src: RunSource, only: OnlyFunctions | null): FileTaskResult {
    return {
      ...analyzeSource(this.setup.analyzer, src.path, src.read(), only, { known: knownEntries(this.memos.get(src.path), this.cache?.earlierFunctions(src.path)), keep: !!this.cache }),
      path: src.path,
      stats: { parseMs: 0, analyzeMs: 0, filesParsed: 0, functionsReused: 0 },
      heapUsed: 0,
    };
  }

  /** Sends a file to the pool with the answers it will ask for, ranked by its turn (`at`). */
  private dispatch(src: RunSource, at: number): Dispatched {
    const { crossFile } = this.setup;
    const only = this.onlyFor(src.path);
    const summaries: [string, ApiEntry][] = [];
    const summaryPrints: string[] = [];
    const noreturn: string[] = [];
    const apis: [string, ApiEntry | null][] = [];
    for (const name of this.calledBy(src.path)) {
      const entry = crossFile.summaryOf(name, src.path);
      if (entry) {
        summaries.push([name, entry]);
        summaryPrints.push(exactFingerprint(entry));
      }
      if (crossFile.noreturn.holds(name, src.path)) noreturn.push(name);
      const api = this.apisChanged ? crossFile.apis.entryFor(name, src.path) : undefined;
      if (this.apisChanged && api !== lookupApi(name)) apis.push([name, api ?? null]);
    }
    const task = { path: src.path, text: this.inMemory.get(src.path), only, summaries, summaryPrints, noreturn, apis, functions: this.cache?.earlierFunctions(src.path), keepFunctions: !!this.cache, memo: this.memos.get(src.path) };
    return { only, result: this.pool.get().submit(task, at) };
  }

  /** A worker's task in the run's statistics: its time always, what it produced when it is kept. */
  private countWorkerTask(task: FileTaskResult, kept: boolean): void {
    const { stats } = this.setup;
    stats.parseMs += task.stats.parseMs;
    stats.analyzeMs += task.stats.analyzeMs;
    if (!kept) return;
    stats.filesParsed += task.stats.filesParsed;
    stats.functionsReused += task.stats.functionsReused;
  }

  /** Does a result hold at the file's turn (the same functions analysed, the same answers)? */
  private holds(result: FileTaskResult, only: OnlyFunctions | null, file: string): boolean {
    if (!sameOnly(only, this.onlyFor(file))) return false;
    return !result.inputs || sameInputs(result.inputs, this.setup.view, file);
  }
}

function addTo(index: Map<string, Set<string>>, name: string, file: string): void {
  const files = index.get(name);
  if (files) files.add(file);
  else index.set(name, new Set([file]));
}

function sameOnly(a: OnlyFunctions | null | undefined, b: OnlyFunctions | null | undefined): boolean {
  return (a?.ends.join(',') ?? '*') === (b?.ends.join(',') ?? '*');
}
