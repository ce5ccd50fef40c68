// npm run bench [-- DIR...]: vmalint's wall time beside the bare tree-sitter parse of the same
// files with the same parser (the floor), their ratio, throughput and peak memory.
// Without arguments it measures the real 6.12 mm/ that ../shared/get-kernel.sh provides.

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { discoverFiles } from '../src/discover.js';
import { analyzeFiles } from '../src/analyze.js';
import { initParser, parseC } from '../src/parse/parser.js';

function kernelMm(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const script = path.resolve(here, '../../../shared/get-kernel.sh');
  if (!existsSync(script)) throw new Error(`no directory given and ${script} is missing`);
  const tree = execFileSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  return path.join(tree, 'mm');
}

class PeakMemory {
  peak = process.memoryUsage().rss;
  private timer = setInterval(() => this.sample(), 20);
  sample(): void {
    this.peak = Math.max(this.peak, process.memoryUsage().rss);
  }
  stop(): number {
    clearInterval(this.timer);
    this.sample();
    return this.peak;
  }
}

function bareParse(files: string[]): number {
  const t0 = performance.now();
  for (const f of files) {
    const tree = parseC(readFileSync(f, 'utf8'));
    tree.delete();
  }
  return performance.now() - t0;
}

async function main(): Promise<void> {
  const dirs = process.argv.slice(2);
  const roots = dirs.length ? dirs : [kernelMm()];
  const { files } = await discoverFiles(roots);
  const bytes = files.reduce((n, f) => n + readFileSync(f).length, 0);
  await initParser();
  bareParse(files.slice(0, 5)); // warm the parser up
  const mem = new PeakMemory();
  const parseMs = bareParse(files);
  const t0 = performance.now();
  const result = await analyzeFiles(files);
  const wallMs = performance.now() - t0;
  const peak = mem.stop();
  const mb = bytes / 1e6;
  const rows: [string, string][] = [
    ['input', roots.join(' ')],
    ['files', String(files.length)],
    ['size', `${mb.toFixed(1)} MB`],
    ['functions', String(result.stats.functions)],
    ['bare parse (floor, 1 thread)', `${(parseMs / 1000).toFixed(2)} s`],
    ['vmalint, all rules (1 thread)', `${(wallMs / 1000).toFixed(2)} s`],
    ['ratio vmalint / floor', `${(wallMs / parseMs).toFixed(2)}x`],
    ['  of which parse + tree copy', `${(result.stats.parseMs / 1000).toFixed(2)} s`],
    ['  of which analysis', `${(result.stats.analyzeMs / 1000).toFixed(2)} s`],
    ['throughput', `${(files.length / (wallMs / 1000)).toFixed(0)} files/s, ${(mb / (wallMs / 1000)).toFixed(2)} MB/s`],
    ['peak RSS', `${(peak / 1048576).toFixed(0)} MB`],
    ['findings', String(result.findings.length)],
    ['machine', `${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, Node ${process.version}`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
}

main().catch((err: unknown) => {
  console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 2;
});
