// The step between reading the run's files and analysing them: the knowledge base fitted to the
// tree's declarations, the headers summarised (the kernel's wrappers of the lock API, the run's
// own headers), then the demand (src/engine/demand.ts), which knows the headers' summaries.

import type { LockOrderEdge } from '../types.js';
import { MMAP_LOCK_CLASS } from '../engine/models/kernel-locks.js';
import { lockedName } from '../engine/prescan.js';
import path from 'node:path';
import type { FileNotification } from '../types.js';
import { Demand, type CallGraph } from '../engine/demand.js';
import { addEntry, type RelevantNames } from '../engine/demand-names.js';
import { contentHash } from '../cache.js';
import { KERNEL_HEADERS, kernelHeaderDeclarations, summariseHeaders } from '../header-summaries.js';
import type { RunAnalysis, RunSetup } from './run-setup.js';
import type { FilesRead } from './read-files.js';
import type { FactsCache } from './facts-cache.js';

/** What the step gives the analysis of the files. */
export interface HeadersAndDemand {
  /** Null without the demand (every function analysed). */
  demand: Demand | null;
  /** Does the tree change knowledge-base entries (then a worker's task carries them)? */
  apisChanged: boolean;
  /** What the run says of the knowledge base and the headers. */
  notes: FileNotification[];
  /** The headers read (the run-level cache entry checks them). */
  headersRead: Set<string>;
  /** Knowledge-base entries whose declaration in the tree does not fit them, or that moved. */
  kbEntriesNotMatching: number;
  kbEntriesMoved: number;
  /** Functions the demand counts in the run. */
  functionsInRun: number;
}

export function summariseHeadersThenDemand(setup: RunAnalysis, read: FilesRead, facts: FactsCache | null = null): HeadersAndDemand {
  const { root, crossFile, options } = setup;
  // The knowledge base as the tree declares its functions (before any analysis reads it).
  crossFile.apis.addHeader(kernelHeaderDeclarations(root, setup.cache));
  const fitted = crossFile.apis.report();
  const notes = [...fitted.notes];
  /** What the run's triggered functions call (see headerFunctionsWorthSummarising). */
  const triggeredCalls = new Set<string>();
  for (const p of read.prescans.values()) for (const fn of p.functions) if (fn.triggered) for (const id of fn.ids) triggeredCalls.add(id);
  const headersRead = new Set<string>();
  // Headers first: the kernel's wrappers of the lock API and the run's own headers.
  if (options.summaries !== false) {
    summariseHeaders({
      root,
      localHeaders: [...read.localHeaders],
      useDemand: setup.useDemand,
      prescans: read.prescans,
      factsConfig: setup.factsConfig,
      names: setup.names,
      triggeredCalls,
      cache: setup.cache,
      view: setup.view,
      analyzer: setup.analyzer,
      stats: setup.stats,
      notes,
      crossFile,
      used: headersRead,
      facts,
      headerScans: read.headerScans,
    });
    facts?.save();
  } else for (const h of [...(root ? KERNEL_HEADERS.map((rel) => path.join(root, rel)) : []), ...read.localHeaders]) headersRead.add(h);
  const demand = setup.useDemand ? demandAfterHeaders(setup, read) : null;
  return {
    demand,
    apisChanged: fitted.mismatched + fitted.moved > 0,
    notes,
    headersRead,
    kbEntriesNotMatching: fitted.mismatched,
    kbEntriesMoved: fitted.moved,
    functionsInRun: demand?.functions ?? 0,
  };
}

/**
 * The locks earlier runs saw taken under mmap_lock, as the prescan names a lock a function takes:
 * the last name of the class (`struct snd_pcm_runtime::buffer_mutex`: `&buffer_mutex`).
 */
function lockedUnderMmap(edges: readonly LockOrderEdge[]): Set<string> {
  const out = new Set<string>();
  for (const e of edges) {
    const last = e.from === MMAP_LOCK_CLASS ? /(\w+)(?: \([^)]*\))?$/.exec(e.to)?.[1] : undefined;
    if (last) out.add(lockedName(last));
  }
  return out;
}

/** The demand, with the names the headers' summaries make worth analysing. */
function demandAfterHeaders(setup: RunSetup, read: FilesRead): Demand {
  const { crossFile } = setup;
  const names: RelevantNames = { lockNames: new Set(setup.names.lockNames), insideNames: new Set(setup.names.insideNames), vmaNames: new Set(setup.names.vmaNames), kernelLockNames: new Set(setup.names.kernelLockNames), atomicLockNames: new Set(setup.names.atomicLockNames), orderedLockNames: new Set(setup.names.orderedLockNames), kernelReleaseNames: new Set(setup.names.kernelReleaseNames), atomicSectionNames: new Set(setup.names.atomicSectionNames), lockedUnderMmap: lockedUnderMmap(setup.options.lockOrderIn ?? []), faultNames: new Set(setup.names.faultNames) };
  for (const entry of crossFile.headers.values()) addEntry(names, entry);
  for (const list of crossFile.localHeaders.values()) for (const h of list) addEntry(names, h.entry);
  const files = setup.sources.filter((src) => read.prescans.has(src.path));
  // The call graph of the same files with the same calls is the last run's (with the cache).
  const key = setup.cache && files.every((src) => read.calls.has(src.path)) ? setup.cache.key('<call-graph>', contentHash(JSON.stringify([setup.root, files.map((src) => [src.path, read.calls.get(src.path)])])), null) : null;
  const known = key ? setup.cache!.getValue(key) : null;
  const graph = known && (known as CallGraph).start instanceof Int32Array && (known as CallGraph).list instanceof Int32Array ? (known as CallGraph) : null;
  const demand = new Demand(
    files.map((src) => ({ path: src.path, scan: read.prescans.get(src.path)!, context: src.context })),
    names,
    !!setup.options.exportSummaries,
    crossFile.domains,
    graph,
  );
  if (key && (!graph || !demand.mentionsKnown)) setup.cache!.putValue(key, demand.callGraph());
  demand.takeActivated();
  return demand;
}
