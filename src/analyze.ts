// Entry point of the analysis: files in, findings, notifications and stats out.
// Per-file isolation: a file that cannot be read, parsed or analysed yields a notification and
// the run goes on with the others.

import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { AnalyzeOptions, FileNotification, Finding, RunResult, RunStats } from './types.js';
import { emptyStats } from './stats.js';
import { compareFindingOrder } from './report/order.js';
import { initParser } from './parse/parser.js';
import { calleesFirst } from './engine/callgraph.js';
import { RunKnowledge, type FileKnowledge } from './engine/knowledge.js';
import { KERNEL_PROGRAM, kernelTreeOf } from './engine/link-domain.js';
import { allApis, lookupApi, type ApiEntry } from './kb/lock-api.js';
import { internName, type FilePrescan } from './engine/prescan.js';
import { addEntry, Demand, relevantNames } from './engine/demand.js';
import { KERNEL_HEADERS, kernelHeaderDeclarations, onlyThese, summariseHeaders } from './header-summaries.js';
import { readTreeFacts } from './tree-facts.js';
import { fileFacts, type FactsConfig, type FileFacts } from './parallel/file-facts.js';
import { emptyOutcome, FileAnalyzer, sameInputs, selectRules, type AnalyzeFileOptions, type FileOutcome, type KnowledgeView } from './file-analyzer.js';
import { analyseSource, readSource, runnerOptions, type FileTaskResult } from './parallel/file-task.js';
import { defaultJobs, WorkerPool } from './parallel/pool.js';
import type { MemoEntry } from './function-memo.js';
import { applySuppressions, type Suppression } from './suppressions.js';
import { allRules } from './rules/index.js';
import { ResultCache, runEntryHolds, runKey, statOf } from './cache.js';

/** A source given in memory (tests, editor buffers). */
export interface SourceInput {
  path: string;
  text: string;
}

/** A C file of the run, read when it is analysed (again, when a later round needs it). */
interface RunSource {
  path: string;
  /** For sources held in memory. */
  text?: string;
  /** Read for the summaries of its functions the run's files call (AnalyzeOptions.contextFiles). */
  context?: boolean;
  read(): { text: string } | { error: string };
}


/** Rounds of the cross-file fixed point: a file is analysed again when a summary it used changed. */
const MAX_ROUNDS = 8;

/**
 * The kernel tree a path lies in (a directory with include/linux/mm.h), or null. A path under the
 * tree's tools/ lies in the tree, not in tools/ (which has an include/linux/mm.h of its own).
 */
export function findKernelRoot(paths: readonly string[]): string | null {
  for (const p of paths) {
    let dir = path.resolve(p);
    for (let i = 0; i < 64; i++) {
      const tree = kernelTreeOf(dir);
      if (tree) return tree;
      const up = path.dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  }
  return null;
}

/**
 * Reads every file of the run once (in the workers when there are some): its prescan (functions,
 * what they call and mention), its `__noreturn` declarations, the names an architecture's headers
 * provide, the run's own headers it includes, and its content hash for the cache. Merged in the
 * order of the files, whatever order the workers finish in.
 */
async function readAll(
  sources: readonly RunSource[],
  stats: RunStats,
  localHeaders: Set<string>,
  knowledge: RunKnowledge,
  config: FactsConfig,
  prescans: Map<string, FilePrescan>,
  hashes: Map<string, string> | null,
  suppressions: Map<string, Suppression[]>,
  pool: WorkerPool | null,
): Promise<void> {
  const t0 = performance.now();
  const merge = (facts: FileFacts): void => {
    for (const fn of facts.scan.functions) {
      fn.name = internName(fn.name);
      fn.ids = fn.ids.map(internName);
    }
    prescans.set(facts.path, facts.scan);
    if (facts.hash) hashes?.set(facts.path, facts.hash);
    knowledge.noreturn.addNames(facts.path, facts.noreturn, knowledge.root);
    knowledge.addArchNames(facts.path, facts.archNames);
    knowledge.apis.addFile(facts.path, facts.declarations);
    for (const h of facts.includes) localHeaders.add(h);
    if (facts.suppressions.length) suppressions.set(facts.path, facts.suppressions);
  };
  // Workers read files from disk; sources held in memory are read here.
  const inMemory = sources.some((s) => s.text !== undefined);
  /** Read here: a file that cannot be read has no facts, and its analysis reports why. */
  const readHere = (src: RunSource): void => {
    const got = src.read();
    if (!('error' in got)) merge(fileFacts(src.path, got.text, config));
  };
  if (pool && !inMemory) {
    const byPath = new Map(sources.map((s) => [s.path, s]));
    for (const batch of pool.facts(sources.map((s) => s.path), config)) {
      // A batch whose worker failed is read again here rather than left without facts.
      for (const facts of await batch) if ('error' in facts) readHere(byPath.get(facts.path)!);
      else merge(facts);
    }
  } else {
    for (const src of sources) readHere(src);
  }
  stats.parseMs += performance.now() - t0;
}

/** How far ahead of the file being committed the pool may analyse files whose callees are settled. */
const LOOKAHEAD = 512;

async function run(given: readonly RunSource[], requested: AnalyzeOptions): Promise<RunResult> {
  const start = performance.now();
  const own = new Set(given.map((s) => s.path));
  const sources: RunSource[] = [...given, ...(requested.contextFiles ?? []).filter((p) => !own.has(p)).map((p) => ({ path: p, context: true, read: () => readSource(p) }))];
  await initParser();
  const stats = emptyStats();
  const root = requested.kernelRoot === false ? null : requested.kernelRoot ?? findKernelRoot(sources.map((s) => s.path));
  // The tree's kernel features (src/tree-facts.ts): for the rules, the engine and the cache's key.
  const tree = readTreeFacts(requested.treeFacts ? null : root);
  const options: AnalyzeOptions = { ...requested, treeFacts: requested.treeFacts ?? tree.facts };
  const knowledge = new RunKnowledge(root);
  for (const [name, entry] of Object.entries(options.summariesIn ?? {})) knowledge.imported.set(name, { ...entry, name });
  const rules = selectRules(options);
  const view: KnowledgeView = {
    summaryOf: (name, file) => knowledge.summaryOf(name, file),
    noreturn: (name, file) => knowledge.noreturn.holds(name, file),
    initializer: (variable) => knowledge.initializers.get(variable),
    api: (name, file) => knowledge.apis.entryFor(name, file),
  };
  const analyzer = new FileAnalyzer(rules, options, stats, view);
  // What makes a function worth analysing (src/engine/demand.ts): the lock API of the knowledge
  // base and the configuration, the summaries of earlier runs and of the headers (added below).
  const useDemand = options.demand !== false;
  const names = relevantNames([...allApis(), ...(options.config ?? [])]);
  for (const entry of knowledge.imported.values()) addEntry(names, entry);
  const triggers = rules.flatMap((r) => (r.meta.textTrigger ? [r.meta.textTrigger] : []));
  const prescans = new Map<string, FilePrescan>();

  /** The run's own headers its files include (`#include "internal.h"`), summarised before the files. */
  const localHeaders = new Set<string>();
  const factsConfig: FactsConfig = {
    wanted: [...names.lockNames, ...names.insideNames, ...names.vmaNames],
    triggers: triggers.map((t) => [t.source, t.flags]),
    root,
    hash: !!options.cacheDir,
  };
  // The cache of file analyses (src/cache.ts), keyed by content.
  let cache: ResultCache | null = null;
  const runNotes: FileNotification[] = [];
  if (options.cacheDir) {
    const opened = ResultCache.open(options.cacheDir, options);
    if (opened instanceof ResultCache) cache = opened;
    else runNotes.push({ file: options.cacheDir, level: 'warning', message: `${opened.error}: running without the cache` });
  }
  if (tree.file) {
    for (const difference of tree.differences) runNotes.push({ file: tree.file, level: 'note', message: difference });
    const skipped = selectRules({ rules: options.rules }).filter((r) => !rules.includes(r)).map((r) => r.meta.id);
    if (skipped.length) runNotes.push({ file: tree.file, level: 'note', message: `not run on this tree, which lacks what they check: ${skipped.join(', ')}` });
  }
  const hashes = cache ? new Map<string, string>() : null;
  // The run-level entry (src/cache.ts): every file as the last identical run read it, its report.
  let runEntryKey: string | null = null;
  const sourceStats = new Map<string, [string, number, number]>();
  if (cache && !sources.some((s) => s.text !== undefined)) {
    for (const src of sources) sourceStats.set(src.path, statOf(src.path) ?? [src.path, -1, -1]);
    runEntryKey = runKey(cache, [...sourceStats.values()].map(([f]) => f), { root, summariesIn: options.summariesIn ?? null, exportSummaries: !!options.exportSummaries, demand: options.demand !== false });
    const entry = cache.getRun(runEntryKey);
    if (entry && runEntryHolds(entry)) {
      const stats = { ...entry.result.stats, filesParsed: 0, filesFromCache: entry.result.stats.files, parseMs: 0, analyzeMs: 0, filesAnalysedAhead: 0, filesAnalysedAgain: 0, functionsReused: 0 };
      stats.totalMs = performance.now() - start;
      return { ...entry.result, stats };
    }
  }
  const phase = (label: string): void => {
    if (process.env['VMALINT_PHASES']) process.stderr.write(`phase ${label}: ${((performance.now() - start) / 1000).toFixed(3)} s, rss ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB\n`);
  };
  // Workers read the files ahead of their turn, and read them all first (src/parallel/).
  const jobs = Math.max(1, options.jobs ?? defaultJobs());
  // Started when a first task needs it: a run whose files all come from the cache (a hook's run
  // after the first) starts no worker.
  const poolWanted = jobs > 1 && useDemand && sources.length > 1;
  let pool: WorkerPool | null = null;
  const publishedInitializers = new Set<string>();
  const startPool = (): WorkerPool => {
    if (!pool) {
      pool = new WorkerPool(jobs, runnerOptions(options));
      for (const [name, fields] of knowledge.initializers) {
        publishedInitializers.add(name);
        pool.publishInitializer(name, fields);
      }
    }
    return pool;
  };
  /** The pool if it was started (a closure's assignment escapes TypeScript's narrowing). */
  const startedPool = (): WorkerPool | null => pool;
  const outcomes = new Map<string, FileOutcome>();
  /** The files' `vmalint: ignore` comments, applied to the findings at the end (src/suppressions.ts). */
  const suppressions = new Map<string, Suppression[]>();
  /** Headers the run read besides its files (the run-level cache entry checks them too). */
  const usedHeaders = new Set<string>(tree.file ? [tree.file] : []);
  try {
    await analyseFiles();
  } finally {
    await startedPool()?.close();
  }
  /** Everything between the pool's start and its end: read, summarise the headers, analyse in rounds. */
  async function analyseFiles(): Promise<void> {
    const readsFromDisk = poolWanted && !sources.some((s) => s.text !== undefined);
    await readAll(sources, stats, localHeaders, knowledge, factsConfig, prescans, hashes, suppressions, readsFromDisk ? startPool() : null);
    phase('read+prescan');
    // The knowledge base as the tree declares its functions (before any analysis reads it).
    knowledge.apis.addHeader(kernelHeaderDeclarations(root));
    const fitted = knowledge.apis.report();
    runNotes.push(...fitted.notes);
    stats.kbEntriesNotMatching = fitted.mismatched;
    stats.kbEntriesMoved = fitted.moved;
    const apisChanged = fitted.mismatched + fitted.moved > 0;
    /** What the run's triggered functions call (see headerFunctionsWorthSummarising). */
    const triggeredCalls = new Set<string>();
    for (const p of prescans.values()) for (const fn of p.functions) if (fn.triggered) for (const id of fn.ids) triggeredCalls.add(id);
    // Headers first: the kernel's wrappers of the lock API and the run's own headers.
    if (options.summaries !== false) {
      summariseHeaders({ root, localHeaders: [...localHeaders], useDemand, prescans, factsConfig, names, triggeredCalls, cache, view, analyzer, stats, notes: runNotes, knowledge, used: usedHeaders });
    } else for (const h of [...(root ? KERNEL_HEADERS.map((rel) => path.join(root, rel)) : []), ...localHeaders]) usedHeaders.add(h);

    // The demand, once the headers' summaries are known.
    let demand: Demand | null = null;
    if (useDemand) {
      for (const entry of knowledge.headers.values()) addEntry(names, entry);
      for (const list of knowledge.localHeaders.values()) for (const h of list) addEntry(names, h.entry);
      demand = new Demand(
        sources.filter((src) => prescans.has(src.path)).map((src) => ({ path: src.path, scan: prescans.get(src.path)!, context: src.context })),
        names,
        !!options.exportSummaries,
        knowledge.domains,
      );
      demand.takeActivated();
      stats.functionsInRun = demand.functions;
    }
    phase('headers+demand');
    const ordered = calleesFirst(sources, prescans, (file) => (demand ? demand.neededIn(file) : null), knowledge.domains);
    phase('order');
    /** Which functions of a file to analyse now (null: all). */
    const onlyFor = (file: string): AnalyzeFileOptions['only'] => {
      const needed = demand?.neededIn(file);
      const scanOf = prescans.get(file);
      if (!needed || !scanOf) return null;
      return onlyThese(scanOf, needed);
    };
    const sameOnly = (a: AnalyzeFileOptions['only'], b: AnalyzeFileOptions['only']): boolean => (a?.ends.join(',') ?? '*') === (b?.ends.join(',') ?? '*');

    // Workers analyse files ahead of their turn; a result is kept only when everything it used is
    // what the run knows at the file's turn (sameInputs), so the outcome is the one analysing the
    // files one by one gives, whatever -j is.
    /** Non-static definitions by name: the files a call may depend on (for scheduling only; a call depends only on its own program's). */
    const definers = new Map<string, string[]>();
    for (const [file, p] of prescans) {
      for (const fn of p.functions) {
        if (fn.isStatic) continue;
        const list = definers.get(fn.name);
        if (!list) definers.set(fn.name, [file]);
        else if (!list.includes(file)) list.push(file);
      }
    }
    /** Names the needed functions of a file call: what a worker's snapshot answers. */
    const calledBy = (file: string): Set<string> => {
      const out = new Set<string>();
      const needed = demand?.neededIn(file) ?? prescans.get(file)?.functions ?? [];
      for (const fn of needed) for (const id of fn.ids) out.add(id);
      return out;
    };
    const inMemory = new Map<string, string>();
    for (const src of sources) if (src.text !== undefined) inMemory.set(src.path, src.text);

    /** Files whose needed functions grew since their last analysis (a summary found later asks for their callers). */
    const activated = new Set<string>();
    const analyzedAt = new Map<string, number>();
    /** What each file looked up last time (for the next round's dirty check; the summaries themselves live in `knowledge`). */
    const lookedUp = new Map<string, Pick<FileKnowledge, 'lookedUp' | 'lookedUpWhole'>>();
    // Progress: files done of files to do (each round adds the files it analyses again).
    const progress = { done: 0, total: ordered.length };
    const fileDone = (): void => {
      progress.done++;
      options.onProgress?.({ ...progress });
    };

    /**
     * The analyses of a file's functions its last analysis in an earlier run kept (the cache's),
     * given to its first analysis in this run: after an edit, the functions it did not change are
     * not analysed again. Later analyses in the run find them in the analyzer's memo.
     */
    const seeded = new Set<string>();
    const earlierFunctions = (src: RunSource): MemoEntry[] | undefined => {
      if (!cache || seeded.has(src.path)) return undefined;
      seeded.add(src.path);
      return cache.getFunctions(src.path);
    };
    /** One file analysed in the main thread with what the run knows now. */
    const analyseHere = async (src: RunSource, only: AnalyzeFileOptions['only']): Promise<FileTaskResult> => ({
      ...analyseSource(analyzer, src.path, src.read(), only, { known: earlierFunctions(src), keep: !!cache }),
      path: src.path,
      stats: { parseMs: 0, analyzeMs: 0, filesParsed: 0, functionsReused: 0 },
      heapUsed: 0,
    });
    /** Sends a file to the pool with the answers it will ask for, ranked by its turn (`at`). */
    const dispatch = (src: RunSource, at: number): { only: AnalyzeFileOptions['only']; result: Promise<FileTaskResult> } => {
      const only = onlyFor(src.path);
      const summaries: [string, ApiEntry][] = [];
      const noreturn: string[] = [];
      const apis: [string, ApiEntry | null][] = [];
      for (const name of calledBy(src.path)) {
        const entry = knowledge.summaryOf(name, src.path);
        if (entry) summaries.push([name, entry]);
        if (knowledge.noreturn.holds(name, src.path)) noreturn.push(name);
        const api = apisChanged ? knowledge.apis.entryFor(name, src.path) : undefined;
        if (apisChanged && api !== lookupApi(name)) apis.push([name, api ?? null]);
      }
      return { only, result: startPool().submit({ path: src.path, text: inMemory.get(src.path), only, summaries, noreturn, apis, functions: earlierFunctions(src), keepFunctions: !!cache }, at) };
    };
    /** A worker's task in the run's statistics: its time always, what it produced when it is kept. */
    const countWorkerTask = (r: FileTaskResult, kept: boolean): void => {
      stats.parseMs += r.stats.parseMs;
      stats.analyzeMs += r.stats.analyzeMs;
      if (!kept) return;
      stats.filesParsed += r.stats.filesParsed;
      stats.functionsReused += r.stats.functionsReused;
    };
    /** Does a worker's result hold at the file's turn? */
    const holds = (r: FileTaskResult, only: AnalyzeFileOptions['only'], file: string): boolean => {
      if (!sameOnly(only, onlyFor(file))) return false;
      return !r.inputs || sameInputs(r.inputs, view, file);
    };

    /** The cache's analyses of a file with `only` (each entry read once per run). */
    const loaded = new Map<string, FileTaskResult[]>();
    const cacheKey = (src: RunSource, only: AnalyzeFileOptions['only']): string | null => {
      const hash = hashes?.get(src.path);
      return cache && hash ? cache.key(src.path, hash, only?.ends ?? null) : null;
    };
    const cached = (src: RunSource, only: AnalyzeFileOptions['only']): FileTaskResult[] => {
      const key = cacheKey(src, only);
      if (!key) return [];
      let list = loaded.get(key);
      if (!list) loaded.set(key, (list = cache!.get(key)));
      return list;
    };
    const store = (src: RunSource, only: AnalyzeFileOptions['only'], r: FileTaskResult): void => {
      const key = cacheKey(src, only);
      // A failure is never cached, nor a function whose analysis threw: the next run tries again.
      if (!key || r.outcome.failed || r.outcome.cfgGiveUps || r.outcome.ruleErrors) return;
      const { functions, ...result } = r;
      cache!.put(key, result);
      if (functions) cache!.putFunctions(src.path, functions);
      loaded.delete(key);
    };

    /** The files of `list` analysed in their order, each seeing what the files before it published. */
    const analyseInOrder = async (list: readonly RunSource[]): Promise<void> => {
      const position = new Map(list.map((src, i) => [src.path, i]));
      const inflight = new Map<string, { only: AnalyzeFileOptions['only']; result: Promise<FileTaskResult> }>();
      const deps = new Map<string, string[]>();
      let committed = -1;
      const depsOf = (src: RunSource, at: number): string[] => {
        let d = deps.get(src.path);
        if (!d) {
          const set = new Set<string>();
          for (const name of calledBy(src.path)) for (const f of definers.get(name) ?? []) if ((position.get(f) ?? Infinity) < at && knowledge.domains.links(src.path, f)) set.add(f);
          deps.set(src.path, (d = [...set]));
        }
        return d;
      };
      const fill = (from: number): void => {
        if (!poolWanted) return;
        for (let j = from; j < list.length && j < from + LOOKAHEAD && inflight.size < 32 * jobs; j++) {
          const src = list[j];
          if (inflight.has(src.path) || (demand && !demand.fileNeeded(src.path))) continue;
          if (depsOf(src, j).some((f) => position.get(f)! > committed)) continue;
          if (cache && cached(src, onlyFor(src.path)).length) continue;
          inflight.set(src.path, dispatch(src, j));
        }
      };
      for (let i = 0; i < list.length; i++) {
        const src = list[i];
        fill(i);
        const ahead = inflight.get(src.path);
        inflight.delete(src.path);
        if (demand && !demand.fileNeeded(src.path)) {
          const out = emptyOutcome();
          out.bytes = prescans.get(src.path)?.bytes ?? 0;
          outcomes.set(src.path, out);
          committed = i;
          fileDone();
          continue;
        }
        analyzedAt.set(src.path, knowledge.generation);
        activated.delete(src.path);
        let result: FileTaskResult;
        for (let pass = 0; ; pass++) {
          const only = onlyFor(src.path);
          let r: FileTaskResult | null = null;
          const fromCache = cache ? cached(src, only).find((c) => holds(c, only, src.path)) ?? null : null;
          if (fromCache) {
            r = fromCache;
            stats.filesFromCache++;
          }
          if (!r && pass === 0 && ahead) {
            const got = await ahead.result;
            const kept = holds(got, ahead.only, src.path);
            countWorkerTask(got, kept);
            if (kept) {
              r = got;
              stats.filesAnalysedAhead++;
            } else stats.filesAnalysedAgain++;
          }
          if (!r && poolWanted) {
            // Not analysed ahead (a callee's file was not settled): a worker analyses it now, with
            // everything before it settled, so that the run never has more threads busy than -j.
            r = await dispatch(src, i).result;
            countWorkerTask(r, true);
          }
          // A worker that died or failed: this thread tries once more, with a fresh parser.
          if (r && r !== fromCache && r.outcome.failed === 'internal' && r.retry) r = null;
          if (!r) r = await analyseHere(src, only);
          if (r !== fromCache) store(src, only, r);
          result = r;
          // A summary that changes its callers' state makes them needed; callers in this file are
          // analysed at once (the file again), the others when their turn comes.
          for (const name of r.stateSummaries) demand?.activate(src.path, name);
          const more = demand?.takeActivated() ?? new Set<string>();
          for (const p of more) if (p !== src.path && (position.get(p) ?? -1) <= i) activated.add(p);
          if (!more.has(src.path) || pass >= 3) break;
        }
        outcomes.set(src.path, result.outcome);
        if (result.knowledge) {
          lookedUp.set(src.path, { lookedUp: result.knowledge.lookedUp, lookedUpWhole: result.knowledge.lookedUpWhole });
          knowledge.generation++;
          knowledge.publish(src.path, result.knowledge);
          const started = startedPool();
          if (started) {
            for (const [name, fields] of knowledge.initializers) {
              if (publishedInitializers.has(name)) continue;
              publishedInitializers.add(name);
              started.publishInitializer(name, fields);
            }
          }
        }
        committed = i;
        fileDone();
      }
    };

    await analyseInOrder(ordered);
    phase('round 1');
    stats.summaryRounds = 1;
    for (let round = 1; round < MAX_ROUNDS; round++) {
      const dirty = ordered.filter((src) => {
        if (activated.has(src.path)) return true;
        const at = analyzedAt.get(src.path) ?? 0;
        const k = lookedUp.get(src.path);
        if (!k) return false;
        for (const name of k.lookedUp) if ((knowledge.changedAt.get(name) ?? -1) > at) return true;
        for (const name of k.lookedUpWhole) if ((knowledge.wholeChangedAt.get(name) ?? -1) > at) return true;
        return false;
      });
      if (!dirty.length) break;
      stats.summaryRounds++;
      stats.fileReanalyses += dirty.length;
      progress.total += dirty.length;
      await analyseInOrder(dirty);
      phase(`round ${round + 1} (${dirty.length} files)`);
    }
  }

  const found: Finding[] = [];
  const notifications: FileNotification[] = [...runNotes];
  if (cache?.writeError) notifications.push({ file: options.cacheDir!, level: 'warning', message: cache.writeError });
  for (const src of sources) {
    const o = outcomes.get(src.path) ?? emptyOutcome();
    if (src.context) {
      // Read for its callees' summaries: its findings are not the run's, its failure is a warning.
      stats.contextFiles++;
      for (const n of o.notifications) if (n.level === 'error') notifications.push({ ...n, level: 'warning', message: `${n.message} (read for the summaries of the functions the analysed files call from it, which are read without them)` });
      continue;
    }
    stats.files++;
    if (o.failed) stats.filesFailed++;
    stats.bytes += o.bytes;
    stats.functions += o.functions;
    stats.cfgGiveUps += o.cfgGiveUps;
    stats.ruleErrors += o.ruleErrors ?? 0;
    for (const [id, ms] of Object.entries(o.ruleMs ?? {})) stats.ruleMs[id] = (stats.ruleMs[id] ?? 0) + ms;
    stats.functionsWithParseErrors += o.functionsWithParseErrors;
    stats.functionsWidened += o.functionsWidened;
    stats.functionsWithCallerEntry += o.functionsWithCallerEntry;
    found.push(...o.findings);
    notifications.push(...o.notifications);
  }
  const findings = applySuppressions(found, suppressions, new Set(rules.map((r) => r.meta.id)), new Set(allRules().map((r) => r.meta.id)));
  findings.sort(compareFindingOrder);
  for (const f of findings) stats.findingsByRule[f.ruleId] = (stats.findingsByRule[f.ruleId] ?? 0) + 1;
  stats.totalMs = performance.now() - start;
  const summaries: Record<string, ApiEntry> = {};
  for (const name of [...knowledge.run.keys()].sort()) {
    // The kernel's generic definition when there is one, else the kernel's first architecture's,
    // else another program's.
    const defs = knowledge.run.get(name)!;
    const kernel = defs.filter((d) => d.program === KERNEL_PROGRAM);
    summaries[name] = (kernel.find((d) => d.arch === null) ?? kernel[0] ?? defs.find((d) => d.arch === null) ?? defs[0]).entry;
  }
  for (const name of [...knowledge.statics.keys()].sort()) summaries[name] = knowledge.statics.get(name)!;
  const result: RunResult = { findings, notifications, stats, summaries };
  // A run in which a file failed is not kept: the next run analyses that file again.
  if (cache && runEntryKey && !cache.writeError && !stats.filesFailed && !notifications.some((n) => n.level !== 'note')) {
    const read = [...sourceStats.values(), ...[...usedHeaders].sort().map((h) => statOf(h) ?? ([h, -1, -1] as [string, number, number]))];
    cache.putRun(runEntryKey, { files: read, result });
  }
  phase('end');
  return result;
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
