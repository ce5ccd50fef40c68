// `--shard K/N`: which of the discovered files a run analyses when a tree is split over N CI jobs.
// A file belongs to shard `hash(path) mod N + 1`, where the path is the file's path relative to
// the working directory with `/` separators: the assignment depends on nothing but that path and
// N, so it is the same on every machine, in every checkout directory, and whatever other files
// exist (adding a file never moves another one to a different shard).
//
// A shard's SARIF log says which shard it is and of which run (src/report/sarif.ts), so that
// `vmalint merge` can refuse a set of logs that is not the N shards of one run. The run's identity
// is a digest that every shard computes alike without talking to the others (runIdentity()).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { headCommit } from './git.js';
import type { RuleMeta } from './rules/rule.js';
import type { AnalyzeOptions } from './types.js';
import { UsageError } from './usage-error.js';

/** One of N shards; `index` counts from 1 as on the command line (`--shard 2/4`: index 2 of 4). */
export interface Shard {
  index: number;
  count: number;
}

const SHARD_SYNTAX = /^([0-9]+)\/([0-9]+)$/;

/** Parses `K/N` (1 <= K <= N); anything else is a UsageError that says what is expected. */
export function parseShard(text: string): Shard {
  const shard = shardOfText(text);
  if (!shard) throw new UsageError(`--shard: expected K/N with 1 <= K <= N (for example --shard 2/4), got '${text}'`);
  return shard;
}

/** `K/N` (1 <= K <= N) as a Shard, or null. */
export function shardOfText(text: string): Shard | null {
  const match = SHARD_SYNTAX.exec(text.trim());
  const index = match ? Number(match[1]) : NaN;
  const count = match ? Number(match[2]) : NaN;
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(count) || count < 1 || index < 1 || index > count) return null;
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

/** A shard and the identity of the run it is part of, as its SARIF log records them. */
export interface ShardRun {
  shard: Shard;
  /** runIdentity(): the same for the N shards of one run. */
  run: string;
}

/** What makes two runs the same run: what every shard of it knows before it picks its files. */
export interface RunIdentityParts {
  /** The vmalint version. */
  version: string;
  /** N of --shard K/N. */
  count: number;
  /** The commit checked out in the working directory's git work tree, or null. */
  commit: string | null;
  /** Every file the run found, before its shard was picked, as shardKey() writes them. */
  files: readonly string[];
  /** SHA-256 (hex) of the content of each --summaries-in file, in the order given. */
  summaries: readonly string[];
  /** SHA-256 (hex) of the --baseline file, or null. */
  baseline: string | null;
  /** The analysis options that decide the findings, as findingOptions() writes them. */
  options: unknown;
  /** Every rule's id and the severity its findings get ("off" when not selected). */
  rules: readonly string[];
}

/**
 * The identity of a run: the first 16 hex digits of the SHA-256 of its parts as JSON (files sorted).
 * Shards of one CI run agree on it; shards of runs of another tree (other files, another commit),
 * other summaries, options, rules, version or N do not.
 */
export function runIdentity(parts: RunIdentityParts): string {
  const canonical = { ...parts, files: [...parts.files].sort() };
  return createHash('sha256').update(JSON.stringify(canonical), 'utf8').digest('hex').slice(0, 16);
}

/**
 * The analysis options that can change a finding, in a form that is the same on every machine:
 * macros sorted, no cache, worker count, progress callback or paths of this machine. The summaries
 * read (--summaries-in) are identified by their files' digests instead.
 */
export function findingOptions(options: AnalyzeOptions): unknown {
  const { cacheDir: _cacheDir, jobs: _jobs, onProgress: _onProgress, summariesIn: _summariesIn, lockOrderIn: _lockOrderIn, kernelRoot, defines, undefines, ...rest } = options;
  return {
    ...rest,
    defines: [...(defines ?? [])].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    undefines: [...(undefines ?? [])].sort(),
    // Where the kernel's headers are: only whether there is one (false: none; undefined: found upward).
    kernelRoot: typeof kernelRoot === 'string' ? 'given' : kernelRoot ?? 'found',
  };
}

/** What the shards of a run are given: the run's files and what decides their findings. */
export interface ShardRunInput {
  shard: Shard;
  version: string;
  workingDirectory: string;
  /** Every file found, before the shard's part is picked. */
  files: readonly string[];
  /** The --summaries-in files (relative to the working directory or absolute). */
  summariesIn: readonly string[];
  baseline: string | undefined;
  options: AnalyzeOptions;
  /** The rules with the severity the configuration gives them, and those selected (all when undefined). */
  rules: readonly RuleMeta[];
  selected: readonly string[] | undefined;
}

/** The shard and its run's identity (reads the summaries and baseline files, asks git for HEAD). */
export function shardRun(input: ShardRunInput): ShardRun {
  const digest = (file: string): string => {
    try {
      return createHash('sha256').update(readFileSync(path.resolve(input.workingDirectory, file))).digest('hex');
    } catch (error) {
      throw new UsageError(`${file}: cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
  };
  const run = runIdentity({
    version: input.version,
    count: input.shard.count,
    commit: headCommit(input.workingDirectory),
    files: input.files.map((file) => shardKey(file, input.workingDirectory)),
    summaries: input.summariesIn.map(digest),
    baseline: input.baseline === undefined ? null : digest(input.baseline),
    options: findingOptions(input.options),
    rules: input.rules.map((rule) => `${rule.id}=${!input.selected || input.selected.includes(rule.id) ? rule.severity : 'off'}`),
  });
  return { shard: input.shard, run };
}
