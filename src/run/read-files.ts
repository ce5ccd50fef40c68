// The read step of a run: every file read once (in the workers when there are some), its prescan
// (functions, what they call and mention), its `__noreturn` declarations, the names an
// architecture's headers provide and the knowledge base's functions it declares (merged into the
// run's knowledge), the run's own headers it includes, its `vmalint: ignore` comments, and its
// content hash for the cache. Merged in the order of the files, whatever order the workers finish in.

import { performance } from 'node:perf_hooks';
import type { CrossFileFacts } from '../engine/cross-file-facts.js';
import { forgetNames, internName, type FilePrescan } from '../engine/prescan.js';
import { fileFacts, type FactsConfig, type FileFacts } from '../parallel/file-facts.js';
import type { WorkerPool } from '../parallel/pool.js';
import type { Suppression } from '../suppressions.js';
import { someInMemory, type RunSource } from './run-source.js';
import type { FactsCache } from './facts-cache.js';
import { heapWork } from './heap-growth.js';

/** What reading the run's files gave. */
export interface FilesRead {
  prescans: Map<string, FilePrescan>;
  /** Content hashes by file (with FactsConfig.hash). */
  hashes: Map<string, string>;
  /** Digests of what the call graph reads of each file (with FactsConfig.hash; FileFacts.calls). */
  calls: Map<string, string>;
  /** The files' `vmalint: ignore` comments, applied to the findings at the end (src/suppressions.ts). */
  suppressions: Map<string, Suppression[]>;
  /** The run's own headers its files include (`#include "internal.h"`), summarised before the files. */
  localHeaders: Set<string>;
  /** The prescans of those headers, read by the workers with the files when the facts cache had none. */
  headerScans: Map<string, FilePrescan>;
  /** How long reading took. */
  ms: number;
  /** Files whose facts came from the cache, neither read nor prescanned. */
  fromCache: number;
}

/**
 * Reads the files (in the workers `pool` gives for that many files to read, if any, unless some are
 * held in memory); a file that cannot be read has no facts, and its analysis reports why. With
 * `kept`, a file on disk whose stat is unchanged takes its facts from the cache instead.
 */
export async function readAll(sources: readonly RunSource[], crossFile: CrossFileFacts, config: FactsConfig, pool: ((filesToRead: number) => WorkerPool | null) | null, kept: FactsCache | null = null): Promise<FilesRead> {
  const t0 = performance.now();
  const read: FilesRead = { prescans: new Map(), hashes: new Map(), calls: new Map(), suppressions: new Map(), localHeaders: new Set(), headerScans: new Map(), ms: 0, fromCache: 0 };
  // In the files' order, whatever order the workers finish in.
  const byFile = new Map<string, FileFacts>();
  const toRead: RunSource[] = [];
  for (const src of sources) {
    const facts = kept && src.text === undefined ? kept.lookup(src.path) : null;
    if (facts) byFile.set(src.path, facts);
    else toRead.push(src);
  }
  read.fromCache = byFile.size;
  heapWork(toRead.length);
  const readNow = new Set<string>();
  const fresh = (facts: FileFacts): void => {
    readNow.add(facts.path);
    byFile.set(facts.path, facts);
    kept?.remember(facts);
  };
  const readHere = (src: RunSource): void => {
    const got = src.read();
    if (!('error' in got)) fresh(fileFacts(src.path, got.text, config, got.bytes));
  };
  // Merged in the files' order as far as their facts are there: while the workers read the
  // batches after, this thread merges (interns) those before (the whole 6.12 tree: 1.1 s that
  // came after the reading).
  const unread = new Set(toRead.map((s) => s.path));
  let merged = 0;
  const mergeReady = (): void => {
    for (; merged < sources.length && !unread.has(sources[merged].path); merged++) {
      const facts = byFile.get(sources[merged].path);
      if (facts) merge(read, crossFile, facts, !readNow.has(facts.path));
    }
  };
  const workers = toRead.length && !someInMemory(toRead) ? pool?.(toRead.length) : null;
  if (workers) {
    const byPath = new Map(toRead.map((s) => [s.path, s]));
    for (const batch of workers.facts(toRead.map((s) => s.path), config)) {
      // A batch whose worker failed is read again here rather than left without facts.
      for (const facts of await batch) {
        if ('error' in facts) readHere(byPath.get(facts.path)!);
        else fresh(facts);
        unread.delete(facts.path);
      }
      mergeReady();
    }
  } else {
    for (const src of toRead) readHere(src);
  }
  unread.clear();
  mergeReady();
  // The run's own headers that the facts cache does not know: read by the workers too (the
  // headers' summaries need what each defines; this thread read them one after the other after
  // the files, 1.2 s of the whole 6.12 tree).
  if (workers) {
    const missing = [...read.localHeaders].filter((h) => !read.prescans.has(h) && !kept?.lookup(h));
    for (const batch of missing.length ? workers.facts(missing, config) : []) {
      for (const facts of await batch) {
        if ('error' in facts) continue;
        internNames(facts.scan);
        read.headerScans.set(facts.path, facts.scan);
        kept?.remember(facts);
      }
    }
  }
  kept?.save();
  // Every name of the run's files is held by their facts now: the table that made them one copy goes.
  forgetNames();
  read.ms = performance.now() - t0;
  return read;
}

/** One file's facts: into what the read gives, and the run's knowledge (`interned`: its names are already, from the cache). */
function merge(read: FilesRead, crossFile: CrossFileFacts, facts: FileFacts, interned: boolean): void {
  if (!interned) internNames(facts.scan);
  read.prescans.set(facts.path, facts.scan);
  if (facts.hash) read.hashes.set(facts.path, facts.hash);
  if (facts.calls) read.calls.set(facts.path, facts.calls);
  crossFile.noreturn.addNames(facts.path, facts.noreturn, crossFile.root);
  crossFile.addArchNames(facts.path, facts.archNames);
  crossFile.apis.addFile(facts.path, facts.declarations);
  crossFile.declareDefinitions(facts.path, nonStaticNames(facts.scan.functions));
  for (const h of facts.includes) read.localHeaders.add(h);
  if (facts.suppressions.length) read.suppressions.set(facts.path, facts.suppressions);
}

/** A worker's prescan with this thread's one copy of each name. */
function internNames(scan: FilePrescan): void {
  for (const fn of scan.functions) {
    fn.name = internName(fn.name);
    fn.ids = fn.ids.map(internName);
  }
}

function* nonStaticNames(functions: readonly { name: string; isStatic: boolean }[]): Generator<string> {
  for (const fn of functions) if (!fn.isStatic) yield fn.name;
}
