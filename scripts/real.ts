// npm run real [-- --release R] [-- --update] [-- --full | DIR...]: vmalint over the real kernel
// trees of the three releases vmalint is checked against, 6.1, 6.12 and 7.2
// (../shared/get-kernel.sh --release R), with per-rule finding counts compared against each
// release's committed expectation (expectations/real-R.json), so that a change that adds noise (or
// loses findings) is seen. Without directories it runs over mm/ and the files the analysis issues
// name (those of them the release has); --full runs over the whole tree of each release (about 5
// minutes each on 2 cores; the tree must have been fetched with get-kernel.sh --release R --full).
// --release R (repeatable, or R,R) runs those releases only. --update writes the counts measured
// now as the new expectations.

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyzeFiles } from '../src/analyze.js';
import { discoverFiles } from '../src/discover.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const RELEASES = ['6.1', '6.12', '7.2'] as const;
const DEFAULT_PATHS = ['mm', 'fs/proc/task_mmu.c', 'fs/userfaultfd.c', 'kernel/events/uprobes.c', 'drivers/android', 'net/ipv4/tcp.c', 'arch/x86/mm/fault.c'];

interface Arguments {
  update: boolean;
  full: boolean;
  releases: string[];
  given: string[];
}

function parseArguments(argv: readonly string[]): Arguments {
  const out: Arguments = { update: false, full: false, releases: [], given: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--update') out.update = true;
    else if (a === '--full') out.full = true;
    else if (a === '--release' || a.startsWith('--release=')) {
      const value = a === '--release' ? argv[++i] : a.slice('--release='.length);
      if (!value) fail('--release needs a release: 6.1, 6.12 or 7.2');
      out.releases.push(...value.split(',').filter(Boolean));
    } else if (a.startsWith('--')) fail(`unknown option ${a} (use --release R, --update, --full, or directories of the tree)`);
    else out.given.push(a);
  }
  for (const r of out.releases) if (!(RELEASES as readonly string[]).includes(r)) fail(`release ${r} is not one of ${RELEASES.join(', ')}`);
  if (out.full && out.given.length) fail('--full runs the whole tree: give no directories with it');
  if (!out.releases.length) out.releases = [...RELEASES];
  return out;
}

function fail(message: string): never {
  process.stderr.write(`real: ${message}\n`);
  process.exit(2);
}

const args = parseArguments(process.argv.slice(2));
const script = path.resolve(root, '..', 'shared', 'get-kernel.sh');
if (!existsSync(script)) fail(`${script} is missing: no kernel tree to run over`);

/** The tree of a release (get-kernel.sh reuses what it unpacked before), or null when it cannot be had. */
function treeOf(release: string, full: boolean): string | null {
  try {
    return execFileSync('bash', [script, '--release', release, ...(full ? ['--full'] : [])], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  } catch {
    return null;
  }
}

type Counts = Record<string, number>;

/** What one release's run gave: its counts against its expectation. */
interface Outcome {
  release: string;
  status: 'as expected' | 'changed' | 'no expectation' | 'written' | 'no tree';
}

async function runRelease(release: string): Promise<Outcome> {
  const expectationFile = path.join(root, 'expectations', `real-${release}.json`);
  const shownExpectation = path.relative(root, expectationFile);
  const tree = treeOf(release, args.full);
  if (!tree) {
    process.stdout.write(`real ${release}: get-kernel.sh --release ${release}${args.full ? ' --full' : ''} gave no tree\n`);
    return { release, status: 'no tree' };
  }
  const wanted = args.full ? ['.'] : args.given.length ? args.given : DEFAULT_PATHS;
  // The paths this release has (7.2 has no fs/userfaultfd.c).
  const rels = wanted.filter((r) => existsSync(path.join(tree, r)));
  const missing = wanted.filter((r) => !rels.includes(r));
  if (missing.length) process.stdout.write(`real ${release}: not in this tree: ${missing.join(' ')}\n`);
  if (!rels.length) return { release, status: 'no tree' };
  const { files } = await discoverFiles(rels.map((r) => path.join(tree, r)));
  const result = await analyzeFiles(files);
  const key = rels.join(' ');
  const counts: Counts = Object.fromEntries(Object.entries(result.stats.findingsByRule).sort());
  const expected: Record<string, Counts> = existsSync(expectationFile) ? JSON.parse(readFileSync(expectationFile, 'utf8')) : {};

  process.stdout.write(`real ${release}: ${files.length} files, ${result.stats.functions} functions, ${result.findings.length} findings, ${result.notifications.length} notifications, ${(result.stats.totalMs / 1000).toFixed(1)} s\n`);
  if (result.notifications.length <= 30) {
    for (const n of result.notifications) process.stdout.write(`  ${path.relative(tree, n.file)}: ${n.level}: ${n.message}\n`);
  } else {
    // Too many to list: how many of each kind (the message without its names and numbers), and a
    // file of each.
    const kinds = new Map<string, { count: number; example: string }>();
    for (const n of result.notifications) {
      const kind = `${n.level}: ${n.message.replace(/`[^`]*`/g, '`…`').replace(/\b\w*\d\w*\b/g, 'N').replace(/\b[a-z_]\w*\(\)/g, 'f()')}`;
      const k = kinds.get(kind) ?? { count: 0, example: path.relative(tree, n.file) };
      k.count++;
      kinds.set(kind, k);
    }
    for (const [kind, k] of [...kinds].sort((a, b) => b[1].count - a[1].count)) process.stdout.write(`  ${k.count} × ${kind} (e.g. ${k.example})\n`);
  }
  for (const f of result.findings) process.stdout.write(`  ${path.relative(tree, f.file)}:${f.line} [${f.ruleId}] ${f.message}\n`);
  if (args.update) {
    expected[key] = counts;
    writeFileSync(expectationFile, `${JSON.stringify(expected, null, 2)}\n`);
    process.stdout.write(`real ${release}: expectation for "${key}" written to ${shownExpectation}\n`);
    return { release, status: 'written' };
  }
  const want = expected[key];
  if (!want) {
    process.stdout.write(`real ${release}: no expectation for "${key}" in ${shownExpectation} (run with --update to record one)\n`);
    return { release, status: 'no expectation' };
  }
  const rules = new Set([...Object.keys(want), ...Object.keys(counts)]);
  const changed = [...rules].sort().filter((r) => (want[r] ?? 0) !== (counts[r] ?? 0));
  for (const r of changed) process.stdout.write(`real ${release}: ${r}: expected ${want[r] ?? 0}, found ${counts[r] ?? 0}\n`);
  return { release, status: changed.length ? 'changed' : 'as expected' };
}

const outcomes: Outcome[] = [];
for (const release of args.releases) outcomes.push(await runRelease(release));
process.stdout.write(`real: ${outcomes.map((o) => `${o.release} ${o.status}`).join(', ')}\n`);
if (outcomes.some((o) => o.status === 'changed')) process.stdout.write('real: counts changed: look at the findings above, then --update if the change is right\n');
process.exitCode = outcomes.some((o) => o.status === 'no tree') ? 2 : outcomes.some((o) => o.status === 'changed' || o.status === 'no expectation') ? 1 : 0;
