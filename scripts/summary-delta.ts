// node dist/scripts/summary-delta.js PATH...: what function summaries change in vmalint's
// findings on the given files or directories. Runs the analysis twice, once with calls known
// only from the knowledge base (intra-procedural) and once with summaries, and prints the
// findings each run has that the other does not (removed = false positives of the
// intra-procedural analysis that summaries explain away; added = visible only across calls),
// then per-rule counts of both.

import { analyzeFiles } from '../src/analyze.js';
import { discoverFiles } from '../src/discover.js';
import type { Finding } from '../src/types.js';

const paths = process.argv.slice(2);
if (!paths.length) {
  process.stderr.write('usage: node dist/scripts/summary-delta.js PATH...\n');
  process.exit(2);
}
const { files } = await discoverFiles(paths);
const key = (f: Finding): string => `${f.ruleId}|${f.file}|${f.line}`;
const intra = await analyzeFiles(files, { summaries: false });
const inter = await analyzeFiles(files, {});
const before = new Map(intra.findings.map((f) => [key(f), f]));
const after = new Map(inter.findings.map((f) => [key(f), f]));
const show = (f: Finding): string => `  ${f.file}:${f.line} [${f.ruleId}] ${f.message}`;
const removed = [...before].filter(([k]) => !after.has(k)).map(([, f]) => f);
const added = [...after].filter(([k]) => !before.has(k)).map(([, f]) => f);
process.stdout.write(`files: ${files.length}\n`);
process.stdout.write(`removed by summaries (${removed.length}):\n${removed.map(show).join('\n')}\n`);
process.stdout.write(`added by summaries (${added.length}):\n${added.map(show).join('\n')}\n`);
const rules = new Set([...Object.keys(intra.stats.findingsByRule), ...Object.keys(inter.stats.findingsByRule)]);
process.stdout.write('per rule: intra-procedural -> with summaries\n');
for (const r of [...rules].sort()) process.stdout.write(`  ${r}: ${intra.stats.findingsByRule[r] ?? 0} -> ${inter.stats.findingsByRule[r] ?? 0}\n`);
