// The content-addressed cache of file analyses: a re-run over an unchanged tree parses and
// analyses nothing. An entry is keyed by the tool's build, the options that change an analysis
// (rules, macros, configuration), the file's path and content, and which of its functions were
// analysed. What the analysis used from the rest of the run (the summaries of the functions it
// calls, FileInputs) is stored with it and checked when the entry is used, exactly as a worker's
// result is (src/run/round-scheduler.ts): a change in one file re-analyses that file and whatever used a
// summary that changed, nothing else.
//
// Where: $VMALINT_CACHE_DIR, else $XDG_CACHE_HOME/vmalint, else ~/.cache/vmalint. Entries are
// v8-serialised files under v1/, written atomically (a temporary file renamed).

import { createHash } from 'node:crypto';
import { closeSync, openSync, readdirSync, readFileSync, readSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deserialize, serialize } from 'node:v8';
import type { AnalyzeOptions, RunResult } from './types.js';
import type { FileTaskResult } from './parallel/file-task.js';
import type { MemoEntry } from './function-memo.js';
import { toolInfo } from './report/tool-info.js';
import { makeDirectory } from './make-directory.js';

/** The cache directory the environment asks for, or null when it names none. */
export function cacheDirectory(env: Readonly<Record<string, string | undefined>>): string | null {
  if (env['VMALINT_CACHE_DIR']) return path.resolve(env['VMALINT_CACHE_DIR']);
  if (env['XDG_CACHE_HOME']) return path.join(path.resolve(env['XDG_CACHE_HOME']), 'vmalint');
  if (env['HOME']) return path.join(path.resolve(env['HOME']), '.cache', 'vmalint');
  return null;
}

let buildFingerprint: string | undefined;

/**
 * The tool's build: its version and the content of its compiled modules, so that an entry
 * written by another build (a development tree rebuilt without a version change) is never used.
 */
export function build(): string {
  if (buildFingerprint) return buildFingerprint;
  const hash = createHash('sha256').update(toolInfo().version);
  // The bundle (dist/bundle/, bin/bundle-dist.mjs) names its build on its first line, as
  // bin/bundle-loader.mjs reads it too: a hash of its files, which hold every module.
  const self = fileURLToPath(import.meta.url);
  const buildLine = /^\/\* vmalint build ([0-9a-f]{64}) \*\//.exec(firstBytes(self));
  if (buildLine) return (buildFingerprint = hash.update(buildLine[1]!).digest('hex'));
  // Else every module of the tool is under this module's directory: dist/src/ (this is dist/src/cache.js).
  const here = path.dirname(self);
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.js') || e.name.endsWith('.ts')) files.push(p);
    }
  };
  walk(here);
  for (const f of files) hash.update(f.slice(here.length)).update(readFileSync(f));
  buildFingerprint = hash.digest('hex');
  return buildFingerprint;
}

/** The first bytes of a file. */
function firstBytes(file: string): string {
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(100);
    return buffer.toString('latin1', 0, readSync(fd, buffer, 0, buffer.length, 0));
  } finally {
    closeSync(fd);
  }
}

export class ResultCache {
  private readonly dir: string;
  private readonly salt: string;
  /** Set when writing failed once (a read-only directory): the run goes on without writing. */
  writeError: string | null = null;
  stores = 0;

  private constructor(dir: string, salt: string) {
    this.dir = dir;
    this.salt = salt;
  }

  /** Opens (creates) the cache; null with the reason when the directory cannot be made. */
  static open(dir: string, options: AnalyzeOptions): ResultCache | { error: string } {
    const root = path.join(dir, 'v1');
    try {
      makeDirectory(root);
      if (!statSync(root).isDirectory()) return { error: `${root} is not a directory` };
    } catch (err) {
      return { error: `cannot use the cache directory ${dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}` };
    }
    const { rules, defines, undefines, completeConfig, config, summaries, staticSummaries, treeFacts, treeConstants } = options;
    const salt = createHash('sha256')
      .update(build())
      .update(
        JSON.stringify({
          rules: rules ? [...rules].sort() : null,
          // A Map or a Set gives `{}` to JSON.stringify: their entries are written out.
          defines: [...(defines ?? [])].sort(),
          undefines: [...(undefines ?? [])].sort(),
          completeConfig: !!completeConfig,
          config: config ?? [],
          summaries: summaries !== false,
          staticSummaries: !!staticSummaries,
          treeFacts: treeFacts ?? null,
          treeConstants: treeConstants ?? null,
        }),
      )
      .digest('hex');
    return new ResultCache(root, salt);
  }

  /** The key of a file's analysis: its path and content, and the functions analysed (their end offsets; null: all). */
  key(file: string, contentHash: string, ends: readonly number[] | null): string {
    return createHash('sha256')
      .update(this.salt)
      .update('\0')
      .update(file)
      .update('\0')
      .update(contentHash)
      .update('\0')
      .update(ends ? ends.join(',') : '*')
      .digest('hex');
  }

  private file(key: string): string {
    return path.join(this.dir, key.slice(0, 2), `${key.slice(2)}.bin`);
  }

  /**
   * The analyses stored under a key. A file may be analysed more than once in a run with the
   * same functions (a later round, after summaries it uses changed): each is kept, and the run
   * uses the one whose inputs hold.
   */
  get(key: string): FileTaskResult[] {
    let bytes: Buffer;
    try {
      bytes = readFileSync(this.file(key));
    } catch {
      return [];
    }
    try {
      const results = deserialize(bytes) as FileTaskResult[];
      return Array.isArray(results) ? results : [];
    } catch {
      // A truncated or foreign entry is a miss; the analysis writes it again.
      return [];
    }
  }

  /** The analyses of a file's functions its last analysis kept (whatever its content was then). */
  getFunctions(file: string): MemoEntry[] {
    try {
      const entries = deserialize(readFileSync(this.file(this.functionsKey(file))));
      return Array.isArray(entries) ? (entries as MemoEntry[]) : [];
    } catch {
      return [];
    }
  }

  putFunctions(file: string, entries: readonly MemoEntry[]): void {
    this.write(this.functionsKey(file), entries);
  }

  private functionsKey(file: string): string {
    return this.key(file, '<functions>', null);
  }

  /** A value stored under a key (src/run/facts-cache.ts), or null when there is none or it cannot be read. */
  getValue(key: string): unknown {
    try {
      return deserialize(readFileSync(this.file(key)));
    } catch {
      return null;
    }
  }

  putValue(key: string, value: unknown): void {
    this.write(key, value);
  }

  getRun(key: string): RunEntry | null {
    try {
      const entry = deserialize(readFileSync(this.file(key))) as RunEntry;
      return entry && Array.isArray(entry.files) && entry.result ? entry : null;
    } catch {
      return null;
    }
  }

  putRun(key: string, entry: RunEntry): void {
    this.write(key, entry);
  }

  put(key: string, result: FileTaskResult): void {
    // The newest first; at most MAX_VARIANTS.
    this.write(key, [result, ...this.get(key)].slice(0, MAX_VARIANTS));
  }

  private write(key: string, value: unknown): void {
    if (this.writeError) return;
    try {
      writeSerialised(this.file(key), value);
      this.stores++;
    } catch (err) {
      this.writeError = `cannot write to the cache in ${this.dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`;
    }
  }
}

/**
 * Writes `value`, v8-serialised, to `target` whole or not at all: a temporary file of this
 * process, renamed. Throws what the file system throws.
 */
export function writeSerialised(target: string, value: unknown): void {
  const temporary = `${target}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  makeDirectory(path.dirname(target));
  writeFileSync(temporary, serialize(value));
  renameSync(temporary, target);
}

/** A whole run's report, with the files it read as they were (size and modification time). */
export interface RunEntry {
  files: [string, number, number][];
  result: RunResult;
}

/** Analyses kept per key (one per round that analysed the file with other summaries). */
const MAX_VARIANTS = 4;

/**
 * The run-level entry: when every file a run read (the analysed files and the headers) has the
 * size and modification time it had, the report is the one that run made (as git and make trust
 * a file's stat). Any difference, and the run goes file by file through the content-addressed
 * entries.
 */
export function statOf(file: string): [string, number, number] | null {
  try {
    const pathState = statSync(file);
    return [file, pathState.size, pathState.mtimeMs];
  } catch {
    return null;
  }
}

export function runKey(cache: ResultCache, files: readonly string[], extra: unknown): string {
  return cache.key('<run>', createHash('sha256').update(JSON.stringify([files, extra])).digest('hex'), null);
}

/** Does every file of a run entry have the stat it had (`known`: stats this run took already)? */
export function runEntryHolds(entry: RunEntry, known?: ReadonlyMap<string, readonly [string, number, number]>): boolean {
  return entry.files.every(([file, size, mtime]) => {
    const now = known?.get(file) ?? statOf(file) ?? [file, -1, -1];
    return now[1] === size && now[2] === mtime;
  });
}

/** The hash of a file's content, for cache keys. */
export function contentHash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
