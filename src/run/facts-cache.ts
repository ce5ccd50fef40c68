// The facts of the files a run read before (src/parallel/file-facts.ts: prescan, `__noreturn`
// declarations, included headers, suppressions, content hash), kept in the cache with each file's
// size and modification time: a file whose stat is unchanged is neither read nor prescanned again
// (the trust make and git give a file's stat; the run-level entry of src/run/run-cache.ts trusts it
// the same way). Kept per facts configuration (the tool's build, the options, the names the prescan
// looks for), in shards by directory, shared by the runs over any part of a tree: a run loads the
// shards of its files' directories and writes again only those where it read a file. A file that
// could not be read has no facts and is never kept.

import path from 'node:path';
import { contentHash, statOf, type ResultCache } from '../cache.js';
import type { FactsConfig, FileFacts } from '../parallel/file-facts.js';
import type { PrescanFunction } from '../engine/prescan.js';
import { fnv1a } from '../text-hash.js';

/**
 * A file's facts as kept: its functions packed into numbers (name and identifiers as indices into
 * the shard's strings, each string once per shard), so that a shard is read back quickly and each
 * name is one string however often it is mentioned.
 */
type PackedFacts = Omit<FileFacts, 'scan'> & { scan: Omit<FileFacts['scan'], 'functions'> & { functions: Int32Array } };

/** A shard as stored: its strings, and each file's [path, size, mtimeMs, packed facts]. */
interface StoredShard {
  strings: string[];
  files: [string, number, number, PackedFacts][];
}

/** A shard in memory: each file's stat, with its facts unpacked when the run asked for them. */
interface Kept {
  size: number;
  mtimeMs: number;
  packed: PackedFacts | null;
  facts: FileFacts | null;
}

interface Shard {
  /**
   * The shard's strings, as v8.deserialize made them: strings of their own, which hold no file's
   * text (what src/engine/prescan.ts interns for). Interning them too cost the whole tree's
   * one-line edit 0.4 s of its facts' reading and some memory (the table of every name).
   */
  strings: string[];
  files: Map<string, Kept>;
}

/** Shards of a configuration's facts: the whole 6.12 tree's 143 MB make about 1 MB each. */
const SHARDS = 128;

export class FactsCache {
  private readonly shards = new Map<number, Shard>();
  private readonly changed = new Set<number>();
  /** The stat of each file looked up (taken before it is read, so that a write during the read is seen next time). */
  private readonly stats = new Map<string, [number, number]>();

  private constructor(
    private readonly cache: ResultCache,
    private readonly configHash: string,
    /** Stats the run took already (before any read): a file is not stat'ed twice. */
    private readonly statsTaken: ReadonlyMap<string, readonly [string, number, number]> | null,
  ) {}

  static open(cache: ResultCache, config: FactsConfig, statsTaken: ReadonlyMap<string, readonly [string, number, number]> | null = null): FactsCache {
    return new FactsCache(cache, contentHash(JSON.stringify(config)), statsTaken);
  }

  /** The facts of `file` when its size and modification time are those they were read under. */
  lookup(file: string): FileFacts | null {
    const st = this.statsTaken?.get(file) ?? statOf(file);
    if (!st || st[1] < 0) return null;
    const now: [number, number] = [st[1], st[2]];
    this.stats.set(file, now);
    const shard = this.shard(shardOf(file));
    const kept = shard.files.get(file);
    if (!kept || kept.size !== now[0] || kept.mtimeMs !== now[1]) return null;
    kept.facts ??= unpack(kept.packed!, shard.strings);
    return kept.facts;
  }

  /** Keeps the facts of a file read now (looked up first: its stat from before the read). */
  remember(facts: FileFacts): void {
    const st = this.stats.get(facts.path);
    if (!st) return;
    const n = shardOf(facts.path);
    this.shard(n).files.set(facts.path, { size: st[0], mtimeMs: st[1], packed: null, facts });
    this.changed.add(n);
  }

  /** Writes the shards where the run read a file. */
  save(): void {
    for (const n of this.changed) this.cache.putValue(this.key(n), pack(this.shards.get(n)!));
    this.changed.clear();
  }

  private shard(n: number): Shard {
    let shard = this.shards.get(n);
    if (!shard) {
      const value = this.cache.getValue(this.key(n)) as StoredShard | null;
      shard = { strings: [], files: new Map() };
      if (value && Array.isArray(value.strings) && Array.isArray(value.files)) {
        shard.strings = value.strings;
        for (const [file, size, mtimeMs, packed] of value.files) shard.files.set(file, { size, mtimeMs, packed, facts: null });
      }
      this.shards.set(n, shard);
    }
    return shard;
  }

  private key(n: number): string {
    return this.cache.key('<facts>', `${this.configHash}/${n}`, null);
  }
}

/** Function flags in the packed form. */
const STATIC = 1;
const TRIGGERED = 2;
const NOT_TRIGGERED = 4;

/** A shard as stored: every file's facts packed against one table of strings. */
function pack(shard: Shard): StoredShard {
  const index = new Map<string, number>();
  const strings: string[] = [];
  const at = (text: string): number => {
    let i = index.get(text);
    if (i === undefined) {
      i = strings.length;
      strings.push(text);
      index.set(text, i);
    }
    return i;
  };
  const files: StoredShard['files'] = [];
  for (const [file, kept] of shard.files) {
    const facts = kept.facts ?? unpack(kept.packed!, shard.strings);
    const numbers: number[] = [];
    for (const fn of facts.scan.functions) {
      const flags = (fn.isStatic ? STATIC : 0) | (fn.triggered === true ? TRIGGERED : fn.triggered === false ? NOT_TRIGGERED : 0);
      numbers.push(at(fn.name), fn.start, fn.end, fn.startRow, fn.endRow, flags, fn.ids.length);
      for (const id of fn.ids) numbers.push(at(id));
    }
    files.push([file, kept.size, kept.mtimeMs, { ...facts, scan: { ...facts.scan, functions: Int32Array.from(numbers) } }]);
  }
  return { strings, files };
}

function unpack(packed: PackedFacts, strings: readonly string[]): FileFacts {
  const functions: PrescanFunction[] = [];
  const n = packed.scan.functions;
  for (let i = 0; i < n.length; ) {
    const name = strings[n[i]!]!;
    const start = n[i + 1]!;
    const end = n[i + 2]!;
    const startRow = n[i + 3]!;
    const endRow = n[i + 4]!;
    const flags = n[i + 5]!;
    const count = n[i + 6]!;
    const ids = new Array<string>(count);
    for (let k = 0; k < count; k++) ids[k] = strings[n[i + 7 + k]!]!;
    const fn: PrescanFunction = { name, start, end, startRow, endRow, ids, isStatic: !!(flags & STATIC) };
    if (flags & TRIGGERED) fn.triggered = true;
    else if (flags & NOT_TRIGGERED) fn.triggered = false;
    functions.push(fn);
    i += 7 + count;
  }
  return { ...packed, scan: { ...packed.scan, functions } };
}

/** A file's shard: by its directory (FNV-1a), so that a directory's files share one. */
function shardOf(file: string): number {
  return fnv1a(path.dirname(file)) % SHARDS;
}
