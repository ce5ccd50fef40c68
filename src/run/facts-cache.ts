// The facts of the files a run read before (src/parallel/file-facts.ts: prescan, `__noreturn`
// declarations, included headers, suppressions, content hash), kept in the cache with each file's
// size and modification time: a file whose stat is unchanged is neither read nor prescanned again
// (the trust make and git give a file's stat; the run-level entry of src/run/run-cache.ts trusts it
// the same way). Kept per facts configuration (the tool's build, the options, the names the prescan
// looks for), in shards by directory, shared by the runs over any part of a tree: a run loads the
// shards of its files' directories and writes again only those where it read a file. A file that
// could not be read has no facts and is never kept.

import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import path from 'node:path';
import type { ResultCache } from '../cache.js';
import type { FactsConfig, FileFacts } from '../parallel/file-facts.js';

/** A file's facts with the stat they were read under: [size, mtimeMs, facts]. */
type KeptFacts = [number, number, FileFacts];

/** One shard's value: facts by path. */
type Shard = Map<string, KeptFacts>;

/** Shards of a configuration's facts: the whole 6.12 tree's 143 MB make about 1 MB each. */
const SHARDS = 128;

export class FactsCache {
  private readonly shards = new Map<number, Shard>();
  private readonly changed = new Set<number>();
  /** The stat of each file looked up (taken before it is read, so that a write during the read is seen next time). */
  private readonly stats = new Map<string, [number, number]>();
  /** Files whose facts came from the cache. */
  hits = 0;

  private constructor(
    private readonly cache: ResultCache,
    private readonly configHash: string,
  ) {}

  static open(cache: ResultCache, config: FactsConfig): FactsCache {
    return new FactsCache(cache, createHash('sha256').update(JSON.stringify(config)).digest('hex'));
  }

  /** The facts of `file` when its size and modification time are those they were read under. */
  lookup(file: string): FileFacts | null {
    let now: [number, number];
    try {
      const st = statSync(file);
      now = [st.size, st.mtimeMs];
    } catch {
      return null;
    }
    this.stats.set(file, now);
    const kept = this.shard(shardOf(file)).get(file);
    if (!kept || kept[0] !== now[0] || kept[1] !== now[1]) return null;
    this.hits++;
    return kept[2];
  }

  /** Keeps the facts of a file read now (looked up first: its stat from before the read). */
  remember(facts: FileFacts): void {
    const st = this.stats.get(facts.path);
    if (!st) return;
    const n = shardOf(facts.path);
    this.shard(n).set(facts.path, [st[0], st[1], facts]);
    this.changed.add(n);
  }

  /** Writes the shards where the run read a file. */
  save(): void {
    for (const n of this.changed) this.cache.putValue(this.key(n), this.shards.get(n));
    this.changed.clear();
  }

  private shard(n: number): Shard {
    let shard = this.shards.get(n);
    if (!shard) {
      const value = this.cache.getValue(this.key(n));
      shard = value instanceof Map ? (value as Shard) : new Map();
      this.shards.set(n, shard);
    }
    return shard;
  }

  private key(n: number): string {
    return this.cache.key('<facts>', `${this.configHash}/${n}`, null);
  }
}

/** A file's shard: by its directory (FNV-1a), so that a directory's files share one. */
function shardOf(file: string): number {
  const dir = path.dirname(file);
  let h = 0x811c9dc5;
  for (let i = 0; i < dir.length; i++) h = Math.imul(h ^ dir.charCodeAt(i), 0x01000193);
  return (h >>> 0) % SHARDS;
}
