// The engine ends every function it starts for the rules, also one whose analysis ran out of its
// path budget: a rule's per-function state (lock-balance's locks taken twice, unchecked-vma-lookup's
// pending uses) must not carry into the next function.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeSources } from '../src/analyze.js';

/** A function past the path budget that takes the mmap lock twice first. */
function overBudget(): string {
  const lines = ['static void over_budget(struct mm_struct *mm, int *f)', '{', '\tint n = 0;', '', '\tmmap_read_lock(mm);', '\tmmap_read_lock(mm);'];
  for (let i = 0; i < 12000; i++) lines.push(`\tif (f[${i}]) n++;`);
  lines.push('\tmmap_read_unlock(mm);', '\tmmap_read_unlock(mm);', '}');
  return lines.join('\n');
}

const leaky = `
static void leaks(struct mm_struct *mm, int x)
{
	mmap_read_lock(mm);
	if (x)
		return;
	mmap_read_unlock(mm);
}
`;

test('function lifecycle: a function past its budget does not hide the next function\'s leak of the same lock', async () => {
  const text = `${overBudget()}\n${leaky}`;
  const r = await analyzeSources([{ path: 'lib/x.c', text }], { jobs: 1, rules: ['mmap-lock-imbalance'] });
  assert.ok(r.notifications.some((n) => n.message.includes('over_budget') && n.message.includes('path budget')), `over_budget() is not over its budget: ${JSON.stringify(r.notifications)}`);
  const leakLine = text.split('\n').findIndex((l) => l.includes('return;')) + 1;
  assert.deepEqual(
    r.findings.filter((f) => f.function === 'leaks').map((f) => `${f.line} ${f.ruleId}`),
    [`${leakLine} mmap-lock-imbalance`],
  );
});
