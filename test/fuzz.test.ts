// Fuzzing: every fixture, truncated and corrupted at random positions (fixed seed), must be
// analysed without the analyzer throwing: no file-level failure, no function given up.
// `npm run fuzz` runs the same with more mutants and any seed.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { fuzzFixtures } from '../scripts/fuzz-mutants.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

test('fuzz: corrupted and truncated fixtures never make the analyzer throw', async () => {
  const problems = await fuzzFixtures(ROOT, 4, 20261123);
  assert.deepEqual(problems, []);
});
