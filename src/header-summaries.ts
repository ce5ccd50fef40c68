// The headers' summaries, computed before the run's files: the kernel's wrappers of the lock API
// (static inlines of the mm headers, twice so that helpers calling helpers settle, and the
// function-like macros around them) and the helpers of the run's own headers
// (`#include "internal.h"`).

import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FileNotification, RunStats } from './types.js';
import type { FileContribution, CrossFileFacts } from './engine/cross-file-facts.js';
import { lookupApi } from './kb/lock-api.js';
import { externFunctionNames } from './engine/c-names.js';
import type { FilePrescan, PrescanFunction } from './engine/prescan.js';
import { entryRelevance, headerFunctionsWorthSummarising, type RelevantNames } from './engine/demand-names.js';
import { fileFacts, type FactsConfig } from './parallel/file-facts.js';
import { emptyOutcome, sameInputs, type AnalyzeFileOptions, type FileAnalyzer, type CrossFileView } from './file-analyzer.js';
import { decodeSource } from './read-source.js';
import { contentHash, type ResultCache } from './cache.js';
import { macroFunctions } from './parse/macro-functions.js';
import { findDeclarations, type Declaration } from './kb/declarations.js';
import { addAllowedFlags } from './engine/tree-macros.js';
import type { FactsCache } from './run/facts-cache.js';

/**
 * Summaries are computed for the kernel headers that wrap the lock API, for those that disable
 * page faults around a mapping (kmap_atomic() in highmem-internal.h), and for the VMA predicates
 * every VMA user calls (is_vm_hugetlb_page() in hugetlb_inline.h: it dereferences its VMA).
 */
export const KERNEL_HEADERS = [
  'include/linux/mmap_lock.h',
  'include/linux/mm.h',
  'include/linux/hugetlb_inline.h',
  'include/linux/pagewalk.h',
  'include/linux/uaccess.h',
  'include/linux/highmem.h',
  'include/linux/highmem-internal.h',
];

/** The cache key's function list for a header's summaries (no file is analysed with it), and for its macros'. */
const HEADER_KEY = [-1];
const MACRO_KEY = [-2];

/** Analyse only these functions of a prescanned file (with its file-scope initializers, which the analysis reads). */
export function onlyThese(scan: FilePrescan, functions: readonly PrescanFunction[]): NonNullable<AnalyzeFileOptions['only']> {
  const ranges = [...functions, ...scan.initializers].sort((a, b) => a.start - b.start).map(({ start, end }) => ({ start, end }));
  return { ends: functions.map((f) => f.end), ranges, prescanned: scan.functions.map((f) => f.end) };
}

/**
 * The kernel headers' declarations of the functions the knowledge base describes; with a cache,
 * kept there under the headers' content (finding them is most of a one-file run's work on headers).
 */
export function kernelHeaderDeclarations(root: string | null, cache: ResultCache | null = null): Declaration[] {
  const texts: [string, string][] = [];
  for (const rel of root ? KERNEL_HEADERS : []) {
    const file = path.join(root!, rel);
    let text: string | null;
    try {
      text = decodeSource(readFileSync(file));
    } catch {
      continue;
    }
    if (text !== null) texts.push([file, text]);
  }
  const key = cache && texts.length ? cache.key('<header-declarations>', contentHash(JSON.stringify(texts)), null) : null;
  const kept = key ? cache!.getValue(key) : null;
  if (Array.isArray(kept)) return kept as Declaration[];
  const out: Declaration[] = [];
  for (const [file, text] of texts) out.push(...findDeclarations(text, (name) => !!lookupApi(name), file));
  if (key) cache!.putValue(key, out);
  return out;
}

export interface HeaderRun {
  root: string | null;
  /** The run's own headers its files include. */
  localHeaders: readonly string[];
  useDemand: boolean;
  prescans: ReadonlyMap<string, FilePrescan>;
  factsConfig: FactsConfig;
  names: RelevantNames;
  /** What the run's triggered functions call (see headerFunctionsWorthSummarising). */
  triggeredCalls: ReadonlySet<string>;
  cache: ResultCache | null;
  view: CrossFileView;
  analyzer: FileAnalyzer;
  stats: RunStats;
  notes: FileNotification[];
  crossFile: CrossFileFacts;
  /** Every header read (the run-level cache entry checks them). */
  used: Set<string>;
  /** The run's facts cache: a run's own header whose stat is unchanged is not read to learn what it defines. */
  facts?: FactsCache | null;
  /** Prescans of the run's own headers the workers read with the files (src/run/read-files.ts). */
  headerScans?: ReadonlyMap<string, FilePrescan>;
}

/** Summarises the headers into `run.crossFile` (headers, localHeaders). */
export function summariseHeaders(run: HeaderRun): void {
  const { root, crossFile, cache, view, analyzer, stats } = run;
  const kernelHeaders = new Set(root ? KERNEL_HEADERS.map((rel) => path.join(root, rel)) : []);
  const headerFiles = [...kernelHeaders, ...[...run.localHeaders].sort()];
  for (const h of headerFiles) run.used.add(h);
  if (!headerFiles.length) return;
  /** One header text analysed (or taken from the cache); null when it could not be. */
  const summarise = (file: string, text: string, only: AnalyzeFileOptions['only'], keyList: number[], round: number): FileContribution | null => {
    // Header summaries come from the cache too (a header's analysis reads the others').
    const key = cache?.key(file, contentHash(text), only ? [...keyList, ...only.ends] : keyList);
    const hit = key ? cache!.get(key).find((r) => r.inputs && sameInputs(r.inputs, view, file)) : undefined;
    if (hit?.contribution) {
      stats.filesFromCache++;
      return hit.contribution;
    }
    try {
      const r = analyzer.analyze({ path: file, text }, { report: false, exportAll: true, only });
      if (key) cache!.put(key, { path: file, outcome: emptyOutcome(), contribution: r.contribution, inputs: r.inputs, stateSummaries: [], stats: { parseMs: 0, analyzeMs: 0, filesParsed: 0, functionsReused: 0 }, heapUsed: 0 });
      return r.contribution;
    } catch (err) {
      // Not cached; the run goes on without what the header says, and says so.
      analyzer.resetParser();
      if (round === 0) run.notes.push({ file, level: 'warning', message: `could not be summarised (the calls into it are read without its summaries): ${err instanceof Error ? err.message : String(err)}` });
      return null;
    }
  };
  /** A macro is summarised when its body calls a function whose summary matters to a caller. */
  const wanted = (name: string): boolean => {
    const e = crossFile.headers.get(name) ?? lookupApi(name);
    return !!e && entryRelevance(e) !== null;
  };
  /** Names the headers define as functions: a macro of the same name (another #ifdef branch) does not replace them. */
  const functions = new Set<string>();
  /** The kernel headers' texts, for the object macros their summaries read (VM_ATOMIC_SET_ALLOWED). */
  const kernelHeaderTexts: string[] = [];
  for (let round = 0; round < 2; round++) {
    // The kernel headers call each other's helpers; a run's own header rarely calls another's.
    for (const file of round === 0 ? headerFiles : headerFiles.filter((f) => kernelHeaders.has(f))) {
      // A run's own header: only the functions whose summaries can matter (with the demand), known
      // from its facts (kept in the facts cache under its stat: most headers have none, and are
      // then not read at all).
      let scan = run.useDemand && !kernelHeaders.has(file) ? (run.prescans.get(file) ?? run.headerScans?.get(file) ?? run.facts?.lookup(file)?.scan ?? null) : null;
      let only: AnalyzeFileOptions['only'] = null;
      if (scan) {
        const worth = headerFunctionsWorthSummarising(scan, run.names, run.triggeredCalls);
        if (!worth.length) continue;
        only = onlyThese(scan, worth);
      }
      let text: string | null;
      try {
        text = decodeSource(readFileSync(file));
      } catch {
        continue;
      }
      if (text === null) continue;
      if (round === 0 && kernelHeaders.has(file)) kernelHeaderTexts.push(text);
      if (run.useDemand && !kernelHeaders.has(file) && !scan) {
        const facts = fileFacts(file, text, run.factsConfig);
        run.facts?.remember(facts);
        scan = facts.scan;
        const worth = headerFunctionsWorthSummarising(scan, run.names, run.triggeredCalls);
        if (!worth.length) continue;
        only = onlyThese(scan, worth);
      }
      const k = summarise(file, text, only, HEADER_KEY, round);
      if (!k) continue;
      const declaredExtern = k.exported.size ? externFunctionNames(text) : null;
      for (const [name, entry] of k.exported) {
        // `extern f();` in one #ifdef branch, a static inline stub in the other: which one the
        // build uses depends on the architecture, so the stub says nothing.
        if (declaredExtern!.has(name)) continue;
        functions.add(name);
        if (!kernelHeaders.has(file)) crossFile.addLocalHeader(name, entry, file);
        else if (!crossFile.headers.has(name) || round > 0) crossFile.headers.set(name, entry);
      }
      // The kernel header's function-like macros around those helpers (kunmap_atomic()), once
      // the helpers' summaries are known; a function of the same name wins.
      if (round === 0 || !kernelHeaders.has(file)) continue;
      const macros = macroFunctions(text, wanted);
      const m = macros.names.length ? summarise(file, macros.text, null, MACRO_KEY, round) : null;
      for (const [name, entry] of m?.exported ?? []) if (!functions.has(name)) crossFile.headers.set(name, entry);
    }
  }
  addAllowedFlags(crossFile.headers, kernelHeaderTexts);
  stats.headerSummaries = crossFile.headers.size + crossFile.localHeaders.size;
}
