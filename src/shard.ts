// `--shard K/N`: which of the discovered files a run analyses when a tree is split over N CI jobs.
// A file belongs to shard `hash(path) mod N + 1`, where the path is the file's path relative to
// the working directory with `/` separators: the assignment depends on nothing but that path and
// N, so it is the same on every machine, in every checkout directory, and whatever other files
// exist (adding a file never moves another one to a different shard).
import { createHash } from 'node:crypto';
import path from 'node:path';
import { UsageError } from './usage-error.js';

/** One of N shards; `index` counts from 1 as on the command line (`--shard 2/4`: index 2 of 4). */
export interface Shard {
  index: number;
  count: number;
}

const SHARD_SYNTAX = /^([0-9]+)\/([0-9]+)$/;

/** Parses `K/N` (1 <= K <= N); anything else is a UsageError that says what is expected. */
export function parseShard(text: string): Shard {
  const match = SHARD_SYNTAX.exec(text.trim());
  const index = match ? Number(match[1]) : NaN;
  const count = match ? Number(match[2]) : NaN;
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(count) || count < 1 || index < 1 || index > count) {
    throw new UsageError(`--shard: expected K/N with 1 <= K <= N (for example --shard 2/4), got '${text}'`);
  }
  return { index, count };
}

/** The key a file is hashed by: its path relative to the working directory, with `/` separators. */
export function shardKey(file: string, workingDirectory: string): string {
  const relative = path.relative(workingDirectory, path.resolve(workingDirectory, file));
  return relative.split(path.sep).join('/');
}

/**
 * The shard (1..count) a key belongs to: the first 32 bits of the key's SHA-1 (UTF-8), as an
 * unsigned big-endian integer, mod count, plus 1. Other tools can compute the same assignment.
 */
export function shardOfKey(key: string, count: number): number {
  const digest = createHash('sha1').update(key, 'utf8').digest();
  return (digest.readUInt32BE(0) % count) + 1;
}

/** The files of `shard`, in their given order. */
export function selectShard(files: readonly string[], shard: Shard, workingDirectory: string): string[] {
  return files.filter((file) => shardOfKey(shardKey(file, workingDirectory), shard.count) === shard.index);
}
