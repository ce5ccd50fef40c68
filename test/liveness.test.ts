// Facts about dead locals are dropped where paths meet (src/engine/liveness.ts): paths that differ
// only in what they knew of a variable no later code reads are merged, without losing a finding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeSources } from '../src/analyze.js';

/** k flags, each read once: 2^k paths if their values were kept to the end. */
function flags(k: number, tail: string): string {
  const decls = Array.from({ length: k }, (_, i) => `v${i} = a[${i}]`).join(', ');
  const tests = Array.from({ length: k }, (_, i) => `\tif (v${i})\n\t\tnote(${i});`).join('\n');
  return `int f(struct mm_struct *mm, int *a)\n{\n\tint ${decls};\n\n\tmmap_read_lock(mm);\n${tests}\n${tail}\treturn 0;\n}\n`;
}

test('liveness: paths that differ only in dead flags merge, and the function is analysed precisely', async () => {
  const r = await analyzeSources([{ path: 'flags.c', text: flags(10, '\tmmap_read_unlock(mm);\n') }]);
  assert.equal(r.stats.functionsWidened, 0);
  assert.deepEqual(r.findings, []);
});

test('liveness: a flag read again later keeps its paths apart (the leak on one of them is found)', async () => {
  // v0 decides the unlock at the end: its value must survive the other flags' merges.
  const r = await analyzeSources([{ path: 'flags.c', text: flags(10, '\tif (!v0)\n\t\tmmap_read_unlock(mm);\n') }]);
  assert.deepEqual(
    r.findings.map((f) => f.ruleId),
    ['mmap-lock-imbalance'],
  );
});
