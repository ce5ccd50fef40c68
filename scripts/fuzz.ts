// npm run fuzz [-- MUTANTS_PER_FIXTURE [SEED]]: the fuzz test with more mutants (default 50 per
// fixture) and any seed (default: the time). Prints every failure with the seed that makes it.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fuzzFixtures } from './fuzz-mutants.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const perFile = Number(process.argv[2] ?? 50);
const seed = Number(process.argv[3] ?? Date.now() % 1_000_000_007);
const t0 = Date.now();
const problems = await fuzzFixtures(root, perFile, seed);
process.stdout.write(`fuzz: ${perFile} mutants per fixture, seed ${seed}, ${((Date.now() - t0) / 1000).toFixed(1)} s: ${problems.length} problem(s)\n`);
for (const p of problems) process.stdout.write(`${p}\n`);
process.exitCode = problems.length ? 1 : 0;
