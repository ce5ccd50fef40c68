// npm run mutate [-- --release R] [-- --per-operator N] [-- --seed S] [-- --operator ID] [-- --json F]:
// vmalint's recall, measured by planting bugs into the real kernel trees of the three releases
// (../shared/get-kernel.sh --release R --full). Each operator (scripts/mutate/operators.ts,
// inversion.ts) finds the places of the tree where its bug shape fits: remove an unlock before an
// exit, add a user copy right after an mmap lock, call a faulting helper under it, drop a VMA
// lookup's NULL check, turn vma_lookup() into find_vma(), use a VMA after the unlock, write a VMA
// under the read lock, copy to user memory under a lock an ->mmap handler takes. A deterministic
// sample of them (N per operator and release, at most 3 a file) is planted one at a time; vmalint
// analyses the mutated file in the context of its tree (the tree's headers, the other files of its
// directory as context files; those of them that call the mutated function analysed with it), and
// the mutant is found when one of the operator's rules reports something the unmutated files do
// not. A mutant whose function the unmutated tree already has a
// finding of those rules for is masked (the rules report once per function or lookup) and left
// out of the recall. Recall per operator and release, every missed mutant and every masked one.
// The mutants are not fixtures: nothing of the kernel is written anywhere (--keep DIR writes the
// missed mutants' text there, to look at them).

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { analyzeSources } from '../src/analyze.js';
import { CParser, initParser } from '../src/parse/parser.js';
import type { RunResult } from '../src/types.js';
import { prng } from './fuzz-mutants.js';
import { OPERATORS, type Mutant, type MutationOperator } from './mutate/operators.js';
import { copyUnderMmapHandlerLock } from './mutate/inversion.js';
import { parseFile } from './mutate/source.js';

const repository = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const RELEASES = ['6.1', '6.12', '7.2'];
const ALL_OPERATORS: MutationOperator[] = [...OPERATORS, copyUnderMmapHandlerLock];
/** Directories of a tree that hold no kernel C to plant in. */
const SKIPPED = ['tools', 'Documentation', 'samples', 'scripts', 'include', 'usr', 'LICENSES'];
const PER_FILE = 3;

interface Arguments {
  releases: string[];
  perOperator: number;
  seed: number;
  operators: string[];
  json: string | null;
  /** Where to write the missed mutants' text, to look at them. */
  keep: string | null;
}

function fail(message: string): never {
  process.stderr.write(`mutate: ${message}\n`);
  process.exit(2);
}

function parseArguments(argv: readonly string[]): Arguments {
  const out: Arguments = { releases: [], perOperator: 30, seed: 1, operators: [], json: null, keep: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => argv[++i] ?? fail(`${a} needs a value`);
    if (a === '--release') out.releases.push(...value().split(',').filter(Boolean));
    else if (a === '--per-operator') out.perOperator = Number(value());
    else if (a === '--seed') out.seed = Number(value());
    else if (a === '--operator') out.operators.push(...value().split(',').filter(Boolean));
    else if (a === '--json') out.json = value();
    else if (a === '--keep') out.keep = value();
    else fail(`unknown argument ${a} (use --release R, --per-operator N, --seed S, --operator ID, --json FILE, --keep DIR)`);
  }
  for (const r of out.releases) if (!RELEASES.includes(r)) fail(`release ${r} is not one of ${RELEASES.join(', ')}`);
  for (const o of out.operators) if (!ALL_OPERATORS.some((op) => op.id === o)) fail(`no operator ${o} (${ALL_OPERATORS.map((op) => op.id).join(', ')})`);
  if (!Number.isInteger(out.perOperator) || out.perOperator < 1) fail('--per-operator needs a positive whole number');
  if (!Number.isInteger(out.seed)) fail('--seed needs a whole number');
  if (!out.releases.length) out.releases = [...RELEASES];
  return out;
}

function treeOf(release: string): string | null {
  const script = path.resolve(repository, '..', 'shared', 'get-kernel.sh');
  if (!existsSync(script)) fail(`${script} is missing: no kernel tree to plant bugs in`);
  try {
    return execFileSync('bash', [script, '--release', release, '--full'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  } catch {
    return null;
  }
}

/** The tree's .c files that contain one of the tokens (grep is much faster than reading them here). */
function candidateFiles(tree: string, tokens: readonly string[]): string[] {
  const dirs = readdirSync(tree, { withFileTypes: true }).filter((d) => d.isDirectory() && !SKIPPED.includes(d.name) && !d.name.startsWith('.')).map((d) => d.name);
  let out = '';
  try {
    out = execFileSync('grep', ['-rlF', '--include=*.c', ...tokens.flatMap((t) => ['-e', t]), ...dirs], { cwd: tree, encoding: 'utf8', maxBuffer: 1 << 28 });
  } catch (error) {
    // grep exits 1 when nothing matched.
    if ((error as { status?: number }).status !== 1) throw error;
  }
  return out.split('\n').filter(Boolean).sort();
}

/** A deterministic sample: shuffled by the seed, at most PER_FILE a file. */
function sample(mutants: Mutant[], n: number, seed: number): Mutant[] {
  const rnd = prng(seed);
  const shuffled = mutants.map((m) => ({ m, k: rnd() })).sort((a, b) => a.k - b.k).map((x) => x.m);
  const perFile = new Map<string, number>();
  const out: Mutant[] = [];
  for (const m of shuffled) {
    if (out.length >= n) break;
    const used = perFile.get(m.file) ?? 0;
    if (used >= PER_FILE) continue;
    perFile.set(m.file, used + 1);
    out.push(m);
  }
  return out.sort((a, b) => a.relative.localeCompare(b.relative) || a.line - b.line);
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** A finding without its position: the same finding of the mutant and of the original compare equal. */
function findingKey(f: RunResult['findings'][number]): string {
  return `${f.ruleId}\u0000${f.function ?? ''}\u0000${f.message.replace(/\b(line|lines) \d+/g, '$1 N').replace(/:\d+/g, ':N')}`;
}

/**
 * The run's cache of file analyses (a new one each benchmark run): the context files are the same
 * for every mutant of a directory, so only the mutated file is analysed again.
 */
const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'vmalint-mutate-'));

/** At most this many files of the directory that call the mutated function are analysed with it. */
const MAX_CALLER_FILES = 4;

/**
 * The files of the mutated file's directory that call its function (not a static one, whose
 * callers are in the file): a function that now returns with a lock held leaks it in its callers,
 * where `vmalint DIR` reports it. They are analysed with the mutated file, their findings compared.
 */
function callerFiles(file: string, text: string, fn: string): string[] {
  if (new RegExp(`\\bstatic\\b[^;{(]*\\b${fn}\\s*\\(`).test(text)) return [];
  const dir = path.dirname(file);
  const call = new RegExp(`\\b${fn}\\s*\\(`);
  return readdirSync(dir)
    .filter((n) => n.endsWith('.c') && path.join(dir, n) !== file)
    .map((n) => path.join(dir, n))
    .filter((f) => call.test(readFileSync(f, 'utf8')))
    .slice(0, MAX_CALLER_FILES);
}

/** Analyses one version of a file in its tree (with the callers' files given), the other files of its directory as context. */
async function analyseInTree(tree: string, file: string, text: string, callers: readonly string[]): Promise<RunResult> {
  const dir = path.dirname(file);
  const context = readdirSync(dir).filter((n) => n.endsWith('.c') && path.join(dir, n) !== file && !callers.includes(path.join(dir, n))).map((n) => path.join(dir, n));
  const sources = [{ path: file, text }, ...callers.map((c) => ({ path: c, text: readFileSync(c, 'utf8') }))];
  return analyzeSources(sources, { kernelRoot: tree, contextFiles: context, jobs: 1, cacheDir });
}

interface Verdict {
  mutant: Mutant;
  found: boolean;
  /**
   * Not found, but the function already has a finding of the operator's rules (the tree's own
   * copy of the bug, or one like it, reported once per function or lookup): the mutant cannot be
   * told from it, and is left out of the recall.
   */
  masked?: boolean;
  /** New findings of the operator's rules (found), or why it was not analysed. */
  detail: string;
}

async function judge(tree: string, op: MutationOperator, m: Mutant, baseline: Map<string, RunResult>): Promise<Verdict> {
  const original = readFileSync(m.file, 'utf8');
  const callers = callerFiles(m.file, original, m.function);
  const files = new Set([m.file, ...callers]);
  const key = [...files].join('\0');
  let before = baseline.get(key);
  if (!before) {
    before = await analyseInTree(tree, m.file, original, callers);
    baseline.set(key, before);
  }
  const after = await analyseInTree(tree, m.file, m.text, callers);
  const old = new Map<string, number>();
  const keyOf = (f: RunResult['findings'][number]): string => `${f.file}\0${findingKey(f)}`;
  for (const f of before.findings) if (files.has(f.file)) old.set(keyOf(f), (old.get(keyOf(f)) ?? 0) + 1);
  const added: string[] = [];
  for (const f of after.findings) {
    if (!files.has(f.file)) continue;
    const k = keyOf(f);
    const left = old.get(k) ?? 0;
    if (left > 0) old.set(k, left - 1);
    else if (op.rules.includes(f.ruleId)) added.push(`${f.file === m.file ? '' : `${path.relative(tree, f.file)}:`}${f.line} [${f.ruleId}] ${f.message}`);
  }
  if (added.length) return { mutant: m, found: true, detail: added[0]! };
  const already = before.findings.find((f) => f.file === m.file && f.function === m.function && op.rules.includes(f.ruleId));
  if (already) return { mutant: m, found: false, masked: true, detail: `masked by the tree's own finding at line ${already.line}: ${already.message}` };
  const failed = after.notifications.filter((n) => files.has(n.file) && !before!.notifications.some((b) => b.file === n.file && b.message === n.message));
  return { mutant: m, found: false, detail: failed.length ? `not analysed: ${failed[0]!.message}` : 'no finding' };
}

function keepMutant(dir: string, release: string, m: Mutant): void {
  const into = path.join(dir, release);
  mkdirSync(into, { recursive: true });
  writeFileSync(path.join(into, `${m.operator}.${m.relative.replace(/\//g, '_')}.${m.line}.c`), m.text);
}

interface Row {
  release: string;
  operator: string;
  sites: number;
  planted: number;
  found: number;
  /** Mutants the tree's own findings mask (left out of the recall). */
  masked: Verdict[];
  missed: Verdict[];
}

async function runRelease(release: string, args: Arguments, parser: CParser): Promise<Row[]> {
  const tree = treeOf(release);
  if (!tree) fail(`get-kernel.sh --release ${release} --full gave no tree`);
  const operators = ALL_OPERATORS.filter((op) => !args.operators.length || args.operators.includes(op.id));
  const files = candidateFiles(tree, [...new Set(operators.flatMap((op) => op.tokens))]);
  const sites = new Map<string, Mutant[]>(operators.map((op) => [op.id, []]));
  for (const relative of files) {
    const file = path.join(tree, relative);
    const text = readFileSync(file, 'utf8');
    const fitting = operators.filter((op) => op.tokens.some((t) => text.includes(t)));
    if (!fitting.length) continue;
    const parsed = parseFile(parser, file, relative, text);
    for (const op of fitting) sites.get(op.id)!.push(...op.mutants(parsed, { perVmaLocks: true }));
  }
  const baseline = new Map<string, RunResult>();
  const rows: Row[] = [];
  for (const op of operators) {
    const all = sites.get(op.id)!;
    const planted = sample(all, args.perOperator, args.seed ^ hash(`${release}/${op.id}`));
    const row: Row = { release, operator: op.id, sites: all.length, planted: planted.length, found: 0, masked: [], missed: [] };
    for (const m of planted) {
      const v = await judge(tree, op, m, baseline);
      if (v.found) row.found++;
      else if (v.masked) row.masked.push(v);
      else {
        row.missed.push(v);
        if (args.keep) keepMutant(args.keep, release, m);
      }
      if (process.env['VMALINT_MUTATE_VERBOSE']) process.stderr.write(`${v.found ? 'found ' : v.masked ? 'masked' : 'MISSED'} ${release} ${op.id} ${m.relative}:${m.line} ${m.function}(): ${m.description} -- ${v.detail}\n`);
    }
    process.stdout.write(`mutate ${release} ${op.id}: ${row.found}/${row.planted - row.masked.length} found, ${row.masked.length} masked (${all.length} sites)\n`);
    rows.push(row);
  }
  return rows;
}

function percent(found: number, planted: number): string {
  return planted ? `${((100 * found) / planted).toFixed(1)}%` : '-';
}

function report(rows: Row[]): void {
  const releases = [...new Set(rows.map((r) => r.release))];
  const operators = [...new Set(rows.map((r) => r.operator))];
  const cell = (release: string, op: string): string => {
    const r = rows.find((x) => x.release === release && x.operator === op);
    const judged = r ? r.planted - r.masked.length : 0;
    return r ? `${r.found}/${judged} (${percent(r.found, judged)})${r.masked.length ? `, ${r.masked.length} masked` : ''}` : '-';
  };
  process.stdout.write(`\n| operator | ${releases.join(' | ')} |\n|---|${releases.map(() => '---').join('|')}|\n`);
  for (const op of operators) process.stdout.write(`| ${op} | ${releases.map((r) => cell(r, op)).join(' | ')} |\n`);
  const missed = rows.flatMap((r) => r.missed.map((v) => ({ r, v })));
  if (missed.length) process.stdout.write(`\nmissed (${missed.length}):\n`);
  for (const { r, v } of missed) process.stdout.write(`  ${r.release} ${r.operator} ${v.mutant.relative}:${v.mutant.line} ${v.mutant.function}(): ${v.mutant.description} -- ${v.detail}\n`);
  const masked = rows.flatMap((r) => r.masked.map((v) => ({ r, v })));
  if (masked.length) process.stdout.write(`\nmasked (${masked.length}, not counted):\n`);
  for (const { r, v } of masked) process.stdout.write(`  ${r.release} ${r.operator} ${v.mutant.relative}:${v.mutant.line} ${v.mutant.function}(): ${v.mutant.description} -- ${v.detail}\n`);
}

const args = parseArguments(process.argv.slice(2));
await initParser();
const parser = new CParser();
const started = performance.now();
const rows: Row[] = [];
try {
  for (const release of args.releases) rows.push(...(await runRelease(release, args, parser)));
} finally {
  rmSync(cacheDir, { recursive: true, force: true });
}
report(rows);
process.stdout.write(`\nmutate: ${rows.reduce((n, r) => n + r.planted, 0)} mutants in ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
if (args.json) writeFileSync(args.json, `${JSON.stringify(rows.map((r) => ({ ...r, missed: r.missed.map((v) => ({ ...v, mutant: { ...v.mutant, text: undefined } })), masked: r.masked.map((v) => ({ ...v, mutant: { ...v.mutant, text: undefined } })) })), null, 2)}\n`);
