// npm run bench [-- [--full] [--runs N] DIR...]: vmalint's wall time beside the bare tree-sitter
// parse of the same files with the same parser (the floor), side by side: one thread, the worker
// pool, the default (which picks one of them by the run's size; without and with the cache), and
// a re-run over the unchanged files with the cache; their ratio to the floor, files and
// MB per second, and peak memory. Each vmalint run is a fresh process (`bin/vmalint`), as a
// developer runs it; the floor is measured in this process, warmed up, on one thread.
// Without directories it measures the real 6.12 mm/ that ../shared/get-kernel.sh provides;
// --full adds the whole tree (about eight minutes more): cold, filling the cache, unchanged, and
// after one comment line added to mm/mlock.c, in a mirror of hard links so that the tree is untouched. Then one file as a pre-commit hook runs it
// (`--file F`, default mm/mlock.c of the tree): in a scratch copy of its directory beside the
// tree's headers, after an edit at its top and unchanged, five times each, in the environment the
// installed hook gives it (and the edit with this one's, when it sets what the hook takes out).

import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { findKernelRoot } from '../src/analyze.js';
import { discoverFiles } from '../src/discover.js';
import { CParser, initParser } from '../src/parse/parser.js';
import { HOOK_UNSET_ENVIRONMENT } from '../src/install-hook.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repository = path.resolve(here, '../..');

function kernelTree(full: boolean): string {
  const script = path.resolve(repository, '../shared/get-kernel.sh');
  if (!existsSync(script)) throw new Error(`no directory given and ${script} is missing`);
  return execFileSync('bash', [script, ...(full ? ['--full'] : [])], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}

function bareParse(files: string[]): number {
  const parser = new CParser();
  const t0 = performance.now();
  for (const f of files) {
    const tree = parser.parse(readFileSync(f, 'utf8'));
    tree.delete();
  }
  return performance.now() - t0;
}

interface Measured {
  wallMs: number;
  peakRssKb: number;
  stats: Record<string, number>;
  findings: number;
}

/** One vmalint process over the roots, timed, with its peak RSS (from /usr/bin/time when there is one). */
function vmalint(roots: string[], args: string[], env: NodeJS.ProcessEnv): Promise<Measured> {
  const bin = path.join(repository, 'bin', 'vmalint');
  const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
  const argv = [bin, ...args, '--format', 'json', '--exit-zero', '--quiet', ...roots];
  const [cmd, cmdArgs] = timeBin ? [timeBin, ['-f', 'peak-rss-kb %M', process.execPath, ...argv]] : [process.execPath, argv];
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, cmdArgs, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = performance.now() - t0;
      if (code !== 0) return reject(new Error(`vmalint ${args.join(' ')} exited with ${code}: ${err.trim()}`));
      const report = JSON.parse(Buffer.concat(out).toString('utf8')) as { findings: unknown[]; stats: Record<string, number> };
      const rss = /peak-rss-kb (\d+)/.exec(err);
      resolve({ wallMs, peakRssKb: rss ? Number(rss[1]) : NaN, stats: report.stats, findings: report.findings.length });
    });
  });
}

/**
 * One file as a pre-commit hook runs it: `vmalint FILE`, a fresh process each time, with the cache.
 * The file is a copy in a scratch tree whose other entries are links to the real ones (its
 * directory's headers, the tree's include/), so that the edits never touch the tree.
 */
async function oneFile(file: string, env: NodeJS.ProcessEnv, runs: number): Promise<{ changed: Measured[]; unchanged: Measured[] }> {
  const root = findKernelRoot([file]);
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'vmalint-bench-tree-'));
  try {
    const relative = root ? path.relative(root, file) : path.basename(file);
    const dir = path.join(scratch, path.dirname(relative));
    mkdirSync(dir, { recursive: true });
    if (root) symlinkSync(path.join(root, 'include'), path.join(scratch, 'include'));
    for (const entry of readdirSync(path.dirname(file))) {
      if (entry !== path.basename(file)) symlinkSync(path.join(path.dirname(file), entry), path.join(dir, entry));
    }
    const copy = path.join(dir, path.basename(file));
    copyFileSync(file, copy);
    const original = readFileSync(file, 'utf8');
    await vmalint([copy], [], env); // the headers' summaries and the file's functions in the cache
    const changed: Measured[] = [];
    const unchanged: Measured[] = [];
    for (let i = 0; i < runs; i++) {
      // A line added at the top: every function moves.
      writeFileSync(copy, `/* edit ${i} ${Date.now()} */\n${original}`);
      changed.push(await vmalint([copy], [], env));
      unchanged.push(await vmalint([copy], [], env));
    }
    return { changed, unchanged };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

interface Row {
  label: string;
  m: Measured | null;
  ms: number;
}

/** Rows as a table: wall, ratio to the floor (the first row), files and MB per second, peak RSS. */
function printRows(rows: Row[], files: number, mb: number): void {
  const floorMs = rows[0]!.ms;
  const w = Math.max(...rows.map((r) => r.label.length));
  console.log(`${'run'.padEnd(w)}  ${'wall'.padStart(8)}  ${'x floor'.padStart(7)}  ${'files/s'.padStart(8)}  ${'MB/s'.padStart(6)}  ${'peak RSS'.padStart(9)}`);
  for (const r of rows) {
    const sec = r.ms / 1000;
    const rss = r.m ? (Number.isNaN(r.m.peakRssKb) ? 'n/a' : `${(r.m.peakRssKb / 1024).toFixed(0)} MB`) : '';
    console.log(`${r.label.padEnd(w)}  ${`${sec.toFixed(2)} s`.padStart(8)}  ${`${(r.ms / floorMs).toFixed(2)}x`.padStart(7)}  ${(files / sec).toFixed(0).padStart(8)}  ${(mb / sec).toFixed(2).padStart(6)}  ${rss.padStart(9)}`);
  }
}

function sameFindings(rows: Row[]): void {
  const counts = rows.flatMap((r) => (r.m ? [r.m.findings] : []));
  if (new Set(counts).size !== 1) throw new Error(`the runs disagree: ${counts.join(', ')} findings`);
}

/** The files of `roots` and their size, with the floor: their bare parse in one thread. */
async function floorOf(roots: string[]): Promise<{ files: string[]; mb: number; floor: Row }> {
  const { files } = await discoverFiles(roots);
  const bytes = files.reduce((n, f) => n + readFileSync(f).length, 0);
  bareParse(files.slice(0, 20)); // warm the parser up
  return { files, mb: bytes / 1e6, floor: { label: 'bare parse, 1 thread (the floor)', m: null, ms: bareParse(files) } };
}

/** A directory (mm/ by default): one thread, the default pool without and with the cache, an unchanged re-run. */
async function directoryRows(roots: string[], env: NodeJS.ProcessEnv, cores: number): Promise<string[]> {
  const { files, mb, floor } = await floorOf(roots);
  const one = await vmalint(roots, ['-j', '1', '--no-cache'], env);
  const workers = await vmalint(roots, ['-j', String(cores), '--no-cache'], env);
  const poolOnly = await vmalint(roots, ['--no-cache'], env);
  const pool = await vmalint(roots, [], env);
  const warm = await vmalint(roots, [], env);
  const rows: Row[] = [
    floor,
    { label: 'vmalint, all rules, -j 1', m: one, ms: one.wallMs },
    { label: `vmalint, all rules, -j ${cores} (workers)`, m: workers, ms: workers.wallMs },
    { label: `vmalint, all rules, default -j (workers from 1,000 files)`, m: poolOnly, ms: poolOnly.wallMs },
    { label: `vmalint, default -j, filling the cache`, m: pool, ms: pool.wallMs },
    { label: 'vmalint, unchanged re-run (warm cache)', m: warm, ms: warm.wallMs },
  ];
  sameFindings(rows);
  const s = one.stats;
  console.log(`input      ${roots.join(' ')}`);
  console.log(`files      ${files.length} (${mb.toFixed(1)} MB); functions ${s['functionsInRun']} found, ${s['functions']} analysed; ${s['filesParsed']} parses`);
  console.log(`findings   ${one.findings}`);
  console.log(`machine    ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${cores} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GB, Node ${process.version}`);
  console.log('');
  printRows(rows, files.length, mb);
  console.log('');
  console.log(`-j 1: prescan+parse+copy ${(s['parseMs'] / 1000).toFixed(2)} s, analysis ${(s['analyzeMs'] / 1000).toFixed(2)} s, ${s['summaryRounds']} summary rounds, ${s['fileReanalyses']} files analysed again, ${s['functionsReused']} function analyses reused`);
  console.log(`-j ${cores}: ${(workers.wallMs / one.wallMs).toFixed(2)}x the time of -j 1, ${workers.stats['filesAnalysedAhead']} files analysed ahead by workers (${workers.stats['filesAnalysedAgain']} done again); default -j: ${(poolOnly.wallMs / one.wallMs).toFixed(2)}x; warm: ${warm.stats['filesFromCache']} analyses from the cache, ${warm.stats['filesParsed']} parses`);
  return files;
}

/**
 * A mirror of `tree`: its directories made anew, its files hard links to the tree's (one file can
 * be replaced without touching the tree). Null when links cannot be made (another file system).
 */
function linkedMirror(tree: string): string | null {
  const mirror = mkdtempSync(path.join(os.tmpdir(), 'vmalint-bench-mirror-'));
  const walk = (from: string, to: string): void => {
    for (const e of readdirSync(from, { withFileTypes: true })) {
      const source = path.join(from, e.name);
      const target = path.join(to, e.name);
      if (e.isDirectory()) {
        mkdirSync(target);
        walk(source, target);
      } else if (e.isSymbolicLink()) symlinkSync(readlinkSync(source), target);
      else if (e.isFile()) linkSync(source, target);
    }
  };
  try {
    walk(tree, mirror);
    return mirror;
  } catch (err) {
    rmSync(mirror, { recursive: true, force: true });
    console.log(`whole tree: no mirror of hard links of ${tree} (${(err as NodeJS.ErrnoException).code ?? String(err)}): left out`);
    return null;
  }
}

/** The whole tree (in a mirror): cold without and with the cache, unchanged, after one comment line added to one file. */
async function wholeTreeRows(tree: string, env: NodeJS.ProcessEnv): Promise<void> {
  const mirror = linkedMirror(tree);
  if (!mirror) return;
  try {
    const { files, mb, floor } = await floorOf([mirror]);
    const cold = await vmalint([mirror], ['--no-cache'], env);
    const filling = await vmalint([mirror], [], env);
    const unchanged = await vmalint([mirror], [], env);
    const edited = path.join(mirror, 'mm', 'mlock.c');
    const rows: Row[] = [floor, { label: 'vmalint, default -j, no cache', m: cold, ms: cold.wallMs }, { label: 'vmalint, default -j, filling the cache', m: filling, ms: filling.wallMs }, { label: 'vmalint, unchanged re-run', m: unchanged, ms: unchanged.wallMs }];
    if (existsSync(edited)) {
      // A new file in the mirror (the link removed first): the tree's own mm/mlock.c is untouched.
      const original = readFileSync(edited, 'utf8');
      unlinkSync(edited);
      writeFileSync(edited, `/* a comment line added ${Date.now()} */\n${original}`);
      const after = await vmalint([mirror], [], env);
      rows.push({ label: 'vmalint, one comment line added to mm/mlock.c', m: after, ms: after.wallMs });
    }
    sameFindings(rows);
    console.log('');
    console.log(`whole tree ${tree}: ${files.length} files (${mb.toFixed(0)} MB), ${cold.findings} findings, ${cold.stats['summaryRounds']} summary rounds`);
    printRows(rows, files.length, mb);
    const last = rows[rows.length - 1]!.m!;
    console.log(`the last run: ${last.stats['factsFromCache']} files unread (their facts from the cache), ${last.stats['filesFromCache']} analyses from the cache, ${last.stats['filesParsed']} parses`);
  } finally {
    rmSync(mirror, { recursive: true, force: true });
  }
}

/**
 * One file as a pre-commit hook runs it, five times after an edit and five times unchanged, in the
 * environment the installed hook gives it (src/install-hook.ts takes NODE_EXTRA_CA_CERTS out);
 * when this environment sets what the hook takes out, the edit once more with it, for comparison.
 */
async function hookRows(hookFile: string, env: NodeJS.ProcessEnv): Promise<void> {
  const hookEnv = { ...env };
  for (const name of HOOK_UNSET_ENVIRONMENT) delete hookEnv[name];
  const { changed, unchanged } = await oneFile(hookFile, hookEnv, 5);
  console.log('');
  console.log(`one file, as a pre-commit hook runs it: vmalint ${path.relative(findKernelRoot([hookFile]) ?? path.dirname(hookFile), hookFile)} (5 runs, from Node's start)`);
  const rows: [string, Measured[]][] = [['after a line added at its top', changed], ['unchanged', unchanged]];
  const unset = HOOK_UNSET_ENVIRONMENT.filter((name) => env[name] !== undefined);
  if (unset.length) rows.push([`the edit, with ${unset.join(', ')} as set here`, (await oneFile(hookFile, env, 5)).changed]);
  const width = Math.max(...rows.map(([label]) => label.length));
  for (const [label, list] of rows) {
    const walls = list.map((m) => m.wallMs);
    const rss = Math.max(...list.map((m) => m.peakRssKb));
    const s0 = list[0]!.stats;
    const how = list !== unchanged ? `the first run: ${s0['filesParsed']} parse(s), ${s0['functions']} functions, ${s0['functionsReused']} analyses taken from the memo (with their callers' locks at entry too)` : `the first run: ${s0['filesParsed']} parses`;
    console.log(`  ${label.padEnd(width)} median ${median(walls).toFixed(0)} ms (${Math.min(...walls).toFixed(0)} to ${Math.max(...walls).toFixed(0)} ms), peak RSS ${Number.isNaN(rss) ? 'n/a' : `${(rss / 1024).toFixed(0)} MB`}; ${how}`);
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const full = args.includes('--full');
  const fileAt = args.indexOf('--file');
  const fileArg = fileAt >= 0 ? args[fileAt + 1] : undefined;
  const given = args.filter((a, i) => !a.startsWith('--') && (fileAt < 0 || i !== fileAt + 1));
  const tree = given.length ? null : kernelTree(full);
  const roots = given.length ? given : [path.join(tree!, 'mm')];
  await initParser();
  const cores = os.availableParallelism?.() ?? os.cpus().length;
  const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'vmalint-bench-cache-'));
  const env = { ...process.env, VMALINT_CACHE_DIR: cacheDir };
  try {
    const files = await directoryRows(roots, env, cores);
    const hookFile = fileArg ?? files.find((f) => f.endsWith(`${path.sep}mm${path.sep}mlock.c`)) ?? files.find((f) => f.endsWith('.c'));
    if (hookFile) await hookRows(hookFile, env);
    if (full && tree) await wholeTreeRows(tree, env);
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 2;
});
