// The memo of function analyses (src/file-analyzer.ts): a file analysed again by the same
// analyzer takes its unchanged functions from the memo and reports exactly what it reported the
// first time, file-level checks included (they read each function's result).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { emptyOutcome, FileAnalyzer, selectRules, type KnowledgeView } from '../src/file-analyzer.js';
import { initParser } from '../src/parse/parser.js';
import { emptyStats } from '../src/stats.js';

const SOURCE = `struct mm_struct;
static int reserve(int n)
{
	if (n > 4)
		return -ENOMEM;
	return 0;
}

int setup(struct mm_struct *mm, void *dst, const void *src)
{
	/* reserve() cannot fail here */
	reserve(8);
	mmap_read_lock(mm);
	copy_from_user(dst, src, 8);
	mmap_read_unlock(mm);
	return 0;
}
`;

const NOTHING: KnowledgeView = { summaryOf: () => undefined, noreturn: () => false, initializer: () => undefined };

test('memo: a file analysed again reports the same findings, the file-level ones included', async () => {
  await initParser();
  const stats = emptyStats();
  const analyzer = new FileAnalyzer(selectRules({}), {}, stats, NOTHING);
  const file = { path: 'memo.c', text: SOURCE };
  const first = emptyOutcome();
  analyzer.analyze(file, first, { report: true });
  assert.equal(stats.functionsReused, 0);
  const rules = first.findings.map((f) => f.ruleId).sort();
  assert.deepEqual(rules, ['fault-under-mmap-lock', 'stale-cannot-fail']);

  const again = emptyOutcome();
  analyzer.analyze(file, again, { report: true });
  assert.equal(stats.functionsReused, 2);
  assert.deepEqual(again.findings, first.findings);
});
