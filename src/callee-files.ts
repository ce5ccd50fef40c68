// Changed-lines mode (--diff, --staged, --patch, the hook) analyses the changed files, but a
// finding on a changed line often depends on a helper defined in another, unchanged file: a
// get_user() two calls down, a helper that returns with the lock held. This finds the files of the
// repository that define what the changed functions call (and what those call, a few levels
// down), for the run to read as context files (AnalyzeOptions.contextFiles): their functions are
// analysed only where the changed ones reach them, and their summaries are used as a whole run
// would use them.
//
// Where a name is defined comes from an index of the repository's non-static function
// definitions, kept in the cache and brought up to date from git's index: each .c file is
// prescanned when its blob is new to the index (the whole repository once, then only what
// changed), so a run costs one `git ls-files` and one read of the index.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { deserialize } from 'node:v8';
import { prescan, withLocalCallees, type FilePrescan } from './engine/prescan.js';
import { lineAt } from './parse/ast.js';
import { lookupApi } from './kb/lock-api.js';
import { readSource } from './read-source.js';
import { build, contentHash, writeSerialised } from './cache.js';
import { sameProgram } from './engine/link-domain.js';

/** The non-static functions each .c file of a repository defines, by the file's blob in git's index. */
interface DefinitionIndex {
  /** Path relative to the repository's top -> [blob, names defined]. */
  files: Map<string, [string, string[]]>;
}

/**
 * How many levels of calls below the changed functions are followed into other files: a helper
 * in another file, and the helpers that one calls in a third.
 */
const DEPTH = 2;
/** At most this many context files (the nearest levels first). */
const MAX_FILES = 64;
/** A name defined in more files than this (per-architecture variants) is followed in the first ones only. */
const MAX_DEFINITIONS = 8;

/** The index file of a repository in the cache directory. */
function indexFile(cacheDir: string, root: string): string {
  // The tool's build is in the name: another build's prescan may find other names.
  return path.join(cacheDir, 'definitions', `${createHash('sha256').update(build()).update(root).digest('hex').slice(0, 32)}.bin`);
}

function loadIndex(file: string | null): DefinitionIndex {
  if (file) {
    try {
      const index = deserialize(readFileSync(file)) as DefinitionIndex;
      if (index && index.files instanceof Map) return index;
    } catch {
      // Missing or unreadable: built again.
    }
  }
  return { files: new Map() };
}

/** Writes a cache file whole or not at all; a cache that cannot be written is only slower. */
function writeAtomically(file: string, value: unknown): void {
  try {
    writeSerialised(file, value);
  } catch {
    // The next run computes it again.
  }
}

const NO_NAMES = new Set<string>();

/** The non-static functions a C file defines. */
function definedNames(scan: FilePrescan): string[] {
  return [...new Set(scan.functions.filter((f) => !f.isStatic).map((f) => f.name))];
}

/**
 * The repository's index of definitions, brought up to date: the .c files git's index lists, each
 * prescanned again when its blob changed (read from the working tree).
 */
function currentIndex(root: string, cacheDir: string | null): { byName: Map<string, string[]>; scanned: number } {
  const listing = execFileSync('git', ['ls-files', '-s', '-z', '--', '*.c'], { cwd: root, maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'] }).toString('utf8');
  const file = cacheDir ? indexFile(cacheDir, root) : null;
  const old = loadIndex(file);
  const index: DefinitionIndex = { files: new Map() };
  let scanned = 0;
  for (const record of listing.split('\0')) {
    const tab = record.indexOf('\t');
    if (tab < 0) continue;
    const blob = record.slice(0, tab).split(' ')[1] ?? '';
    const relative = record.slice(tab + 1);
    const before = old.files.get(relative);
    if (before && before[0] === blob) {
      index.files.set(relative, before);
      continue;
    }
    const got = readSource(path.join(root, relative));
    scanned++;
    index.files.set(relative, [blob, 'error' in got ? [] : definedNames(prescan(got.text, NO_NAMES))]);
  }
  if (file && (scanned || index.files.size !== old.files.size)) writeAtomically(file, index);
  const byName = new Map<string, string[]>();
  for (const [relative, [, names]] of index.files) {
    for (const name of names) {
      const list = byName.get(name);
      if (list) list.push(relative);
      else byName.set(name, [relative]);
    }
  }
  return { byName, scanned };
}

/**
 * For each non-static function of a file, the ids of it and of the same file's functions it
 * reaches; kept in the cache by the file's content, so that a file reached again is not
 * prescanned again. Null when the file cannot be read.
 */
function callsOf(file: string, cacheDir: string | null): Map<string, string[][]> | null {
  const got = readSource(file);
  if ('error' in got) return null;
  const entry = cacheDir ? path.join(cacheDir, 'definitions', 'calls', `${contentHash(build() + got.text)}.bin`) : null;
  if (entry) {
    try {
      const cached = deserialize(readFileSync(entry)) as Map<string, string[][]>;
      if (cached instanceof Map) return cached;
    } catch {
      // Not there yet.
    }
  }
  const scan = prescan(got.text, NO_NAMES);
  const calls = new Map<string, string[][]>();
  for (const fn of scan.functions) if (!fn.isStatic) calls.set(fn.name, [...(calls.get(fn.name) ?? []), ...withLocalCallees(scan, [fn]).map((f) => f.ids)]);
  if (entry) writeAtomically(entry, calls);
  return calls;
}

/** A name worth looking for in other files: a function, not a macro, not described by the knowledge base. */
function worthResolving(name: string): boolean {
  return /[a-z]/.test(name) && !lookupApi(name);
}

export interface CalleeFiles {
  /** Absolute paths of the files to read as context, nearest first. */
  files: string[];
  /** .c files prescanned to bring the index up to date. */
  indexed: number;
  /** More files were reachable than MAX_FILES. */
  truncated: boolean;
}

/**
 * The files of the repository at `root` that define what the changed functions of `changed` call,
 * followed DEPTH levels down: a changed function is one that holds a changed line (with the same
 * file's functions it calls). A helper that already names the lock API or a call that can fault
 * (`knownRelevant`) is not followed further: its summary says so without its callees. Definitions
 * in another program of the tree (tools/, scripts/, ...) are not followed.
 */
export function calleeFiles(root: string, changed: ReadonlyMap<string, { text: string; lines: ReadonlySet<number> }>, cacheDir: string | null, knownRelevant: (name: string) => boolean): CalleeFiles {
  const { byName, scanned } = currentIndex(root, cacheDir);
  const files: string[] = [];
  const taken = new Set<string>(changed.keys());
  const seenNames = new Set<string>();
  /** Names defined by the files taken so far (a call of one resolves there). */
  const known = new Set<string>();
  /** The ids of each function whose callees the next level looks for. */
  let frontier: string[][] = [];
  let truncated = false;
  for (const { text, lines } of changed.values()) {
    const scan = prescan(text, NO_NAMES);
    for (const fn of scan.functions) known.add(fn.name);
    const source = { path: '', text };
    const touched = scan.functions.filter((fn) => {
      const first = lineAt(source, fn.start);
      const last = lineAt(source, fn.end);
      for (const line of lines) if (line >= first && line <= last) return true;
      return false;
    });
    for (const fn of withLocalCallees(scan, touched)) frontier.push(fn.ids);
  }
  for (let level = 0; level < DEPTH && !truncated; level++) {
    const wanted: string[] = [];
    for (const ids of frontier) {
      if (level > 0 && ids.some(knownRelevant)) continue;
      for (const id of ids) {
        if (seenNames.has(id) || known.has(id) || !worthResolving(id)) continue;
        seenNames.add(id);
        wanted.push(id);
      }
    }
    const next: string[][] = [];
    const reached = new Map<string, Set<string>>();
    for (const name of wanted) {
      for (const relative of (byName.get(name) ?? []).slice(0, MAX_DEFINITIONS)) {
        const file = path.join(root, relative);
        if (taken.has(file)) continue;
        if (![...changed.keys()].some((c) => sameProgram(root, c, file))) continue;
        const names = reached.get(file) ?? new Set<string>();
        names.add(name);
        reached.set(file, names);
      }
    }
    for (const [file, names] of reached) {
      if (files.length >= MAX_FILES) {
        truncated = true;
        break;
      }
      taken.add(file);
      files.push(file);
      const calls = callsOf(file, cacheDir);
      if (!calls) continue;
      for (const name of calls.keys()) known.add(name);
      for (const name of names) next.push(...(calls.get(name) ?? []));
    }
    frontier = next;
  }
  return { files, indexed: scanned, truncated };
}
