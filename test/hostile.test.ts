// Hostile inputs: each is analysed to the end with at most a one-line notification.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeSources } from '../src/analyze.js';

test('hostile: 4,000 nested blocks give a notification, not a stack overflow', async () => {
  const n = 4000;
  const text = `int f(struct mm_struct *mm)\n{\n${'{'.repeat(n)}\nmmap_read_lock(mm);\n${'}'.repeat(n)}\nreturn 0;\n}\nint g(void) { return 1; }\n`;
  const r = await analyzeSources([{ path: 'nested.c', text }]);
  assert.equal(r.stats.filesFailed, 0);
  // g() has nothing to check: the demand leaves it out.
  assert.equal(r.stats.functionsInRun, 2);
  assert.equal(r.stats.functions, 1);
  assert.ok(r.notifications.some((x) => /nested \d+ levels deep/.test(x.message)), JSON.stringify(r.notifications));
  assert.ok(r.notifications.every((x) => !/Maximum call stack/.test(x.message)));
});

test('hostile: 10,000 sequential branches end within the budget, reported as not fully analysed', async () => {
  const body = Array.from({ length: 10_000 }, (_, i) => `\tif (a[${i}]) r += ${i};`).join('\n');
  const text = `int f(struct mm_struct *mm, int *a)\n{\n\tint r = 0;\n\tmmap_read_lock(mm);\n${body}\n\tmmap_read_unlock(mm);\n\treturn r;\n}\n`;
  const r = await analyzeSources([{ path: 'branches.c', text }]);
  assert.equal(r.stats.filesFailed, 0);
  assert.ok(r.notifications.some((x) => /not fully analysed/.test(x.message)), JSON.stringify(r.notifications));
});

test('hostile: empty, unbalanced and truncated files are analysed without failing', async () => {
  const r = await analyzeSources([
    { path: 'empty.c', text: '' },
    { path: 'unbalanced.c', text: 'int f(void) {\n  if (x) {\n    {{{ return 1;\n' },
    { path: 'truncated.c', text: 'int f(struct mm_struct *mm) { mmap_read_lock(mm); if (' },
    { path: 'braces.c', text: '}}}}{{{{ int ; ) ( ' },
  ]);
  assert.equal(r.stats.filesFailed, 0, JSON.stringify(r.notifications));
  assert.equal(r.stats.cfgGiveUps, 0, JSON.stringify(r.notifications));
});

test('hostile: 24 conditional expressions in one call do not split the state 2^24 ways', async () => {
  const args = Array.from({ length: 24 }, (_, i) => `c & ${1 << (i % 30)} ? "f${i} " : ""`).join(',\n\t\t');
  const text = `void f(struct mm_struct *mm, unsigned int c)\n{\n\tmmap_read_lock(mm);\n\tpr_info("%s%s", \n\t\t${args});\n\tmmap_read_unlock(mm);\n}\nint g(struct mm_struct *mm, unsigned int c)\n{\n\tmmap_read_lock(mm);\n\tpr_info("%d", c ? 1 : 0);\n\tif (c & 2)\n\t\treturn -EINVAL;\n\tmmap_read_unlock(mm);\n\treturn 0;\n}\n`;
  const t0 = Date.now();
  const r = await analyzeSources([{ path: 'ternaries.c', text }]);
  assert.ok(Date.now() - t0 < 10_000, `took ${Date.now() - t0} ms`);
  assert.equal(r.stats.filesFailed, 0);
  assert.deepEqual(r.notifications, []);
  // The lock state survives the join: g() still leaks its lock, f() does not.
  assert.deepEqual(r.findings.map((x) => `${x.ruleId}@${x.function}`), ['mmap-lock-imbalance@g']);
});

test('hostile: 24 conditional expressions in one initializer list stay bounded too', async () => {
  const items = Array.from({ length: 24 }, (_, i) => `c & ${1 << (i % 30)} ? ${i} : 0`).join(', ');
  const text = `int f(struct mm_struct *mm, unsigned int c)\n{\n\tint t[] = { ${items} };\n\tmmap_read_lock(mm);\n\tif (c & 2)\n\t\treturn -EINVAL;\n\tmmap_read_unlock(mm);\n\treturn t[1];\n}\n`;
  const t0 = Date.now();
  const r = await analyzeSources([{ path: 'initializer.c', text }]);
  assert.ok(Date.now() - t0 < 10_000, `took ${Date.now() - t0} ms`);
  assert.deepEqual(r.notifications, []);
  assert.deepEqual(r.findings.map((x) => `${x.ruleId}@${x.function}`), ['mmap-lock-imbalance@f']);
});
