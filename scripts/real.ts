// npm run real [-- --update] [-- --full | DIR...]: vmalint over the real 6.12 tree
// (../shared/get-kernel.sh), with per-rule finding counts compared against the committed
// expectation (expectations/real-6.12.json), so that a change that adds noise (or loses findings)
// is seen. Without directories it runs over mm/ and the files the analysis issues name; --full runs
// over the whole tree (about 4 minutes on 2 cores). --update writes the counts measured now as
// the new expectation.

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyzeFiles } from '../src/analyze.js';
import { discoverFiles } from '../src/discover.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const expectationFile = path.join(root, 'expectations', 'real-6.12.json');
const DEFAULT_PATHS = ['mm', 'fs/proc/task_mmu.c', 'fs/userfaultfd.c', 'kernel/events/uprobes.c', 'drivers/android', 'net/ipv4/tcp.c', 'arch/x86/mm/fault.c'];

const args = process.argv.slice(2);
const update = args.includes('--update');
const full = args.includes('--full');
const given = full ? ['.'] : args.filter((a) => !a.startsWith('--'));
const script = path.resolve(root, '..', 'shared', 'get-kernel.sh');
if (!existsSync(script)) {
  process.stderr.write(`real: ${script} is missing: no kernel tree to run over\n`);
  process.exit(2);
}
const tree = execFileSync('bash', [script, ...(full ? ['--full'] : [])], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
const rels = given.length ? given : DEFAULT_PATHS;
const { files } = await discoverFiles(rels.map((r) => path.join(tree, r)));
const result = await analyzeFiles(files);
const key = rels.join(' ');
const counts = Object.fromEntries(Object.entries(result.stats.findingsByRule).sort());
const expected: Record<string, Record<string, number>> = existsSync(expectationFile) ? JSON.parse(readFileSync(expectationFile, 'utf8')) : {};

process.stdout.write(`real: ${files.length} files, ${result.stats.functions} functions, ${result.notifications.length} notifications, ${(result.stats.totalMs / 1000).toFixed(1)} s\n`);
if (result.notifications.length <= 30) {
  for (const n of result.notifications) process.stdout.write(`  ${path.relative(tree, n.file)}: ${n.level}: ${n.message}\n`);
}
for (const f of result.findings) process.stdout.write(`  ${path.relative(tree, f.file)}:${f.line} [${f.ruleId}] ${f.message}\n`);
if (update) {
  expected[key] = counts;
  writeFileSync(expectationFile, `${JSON.stringify(expected, null, 2)}\n`);
  process.stdout.write(`real: expectation for "${key}" written to ${path.relative(root, expectationFile)}\n`);
} else {
  const want = expected[key];
  if (!want) {
    process.stdout.write(`real: no expectation for "${key}" (run with --update to record one)\n`);
  } else {
    const rules = new Set([...Object.keys(want), ...Object.keys(counts)]);
    const changed = [...rules].sort().filter((r) => (want[r] ?? 0) !== (counts[r] ?? 0));
    for (const r of changed) process.stdout.write(`real: ${r}: expected ${want[r] ?? 0}, found ${counts[r] ?? 0}\n`);
    process.stdout.write(changed.length ? 'real: counts changed: look at the findings above, then --update if the change is right\n' : 'real: counts as expected\n');
    process.exitCode = changed.length ? 1 : 0;
  }
}
