// The memo of function analyses (src/file-analyzer.ts): a file analysed again by the same
// analyzer takes its unchanged functions from the memo and reports exactly what it reported the
// first time, file-level checks included (they read each function's result).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FileAnalyzer, selectRules, type CrossFileView } from '../src/file-analyzer.js';
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

const NOTHING: CrossFileView = { summaryOf: () => undefined, noreturn: () => false, initializer: () => undefined };

test('memo: a file analysed again reports the same findings, the file-level ones included', async () => {
  await initParser();
  const stats = emptyStats();
  const analyzer = new FileAnalyzer(selectRules({}), {}, stats, NOTHING);
  const file = { path: 'memo.c', text: SOURCE };
  const first = analyzer.analyze(file, { report: true }).outcome;
  assert.equal(stats.functionsReused, 0);
  const rules = first.findings.map((f) => f.ruleId).sort();
  assert.deepEqual(rules, ['fault-under-mmap-lock', 'stale-cannot-fail']);

  const again = analyzer.analyze(file, { report: true }).outcome;
  assert.equal(stats.functionsReused, 2);
  assert.deepEqual(again.findings, first.findings);
});

// A fault under the lock reached through a static helper (its line in the message and the trace)
// and a lock leaked on an error path: findings whose messages and traces name lines.
const MOVING = `struct mm_struct;
static void fetch(void *dst, const void *src)
{
	copy_from_user(dst, src, 8);
}

int first(struct mm_struct *mm, void *dst, const void *src)
{
	mmap_read_lock(mm);
	fetch(dst, src);
	mmap_read_unlock(mm);
	return 0;
}

int second(struct mm_struct *mm, int bad)
{
	mmap_write_lock(mm);
	if (bad)
		return -EINVAL;
	mmap_write_unlock(mm);
	return 0;
}
`;

test('memo: after lines are added above and between functions, the earlier analyses are moved and report what a fresh analysis reports', async () => {
  await initParser();
  const before = { path: 'moving.c', text: MOVING };
  const recorded = new FileAnalyzer(selectRules({}), {}, emptyStats(), NOTHING).analyze(before, { report: true }).functions;
  assert.ok(recorded.length >= 3, `${recorded.length} functions recorded`);

  // Two lines above everything, one more before second(): first() and fetch() move by 2, second() by 3.
  const after = { path: 'moving.c', text: `/* a comment\n   of two lines */\n${MOVING.replace('int second', '\nint second')}` };
  const fresh = new FileAnalyzer(selectRules({}), {}, emptyStats(), NOTHING).analyze(after, { report: true }).outcome;
  assert.ok(fresh.findings.length >= 2, JSON.stringify(fresh.findings));
  assert.ok(fresh.findings.some((f) => / line \d+/.test(f.message)), 'a message names a line');

  const stats = emptyStats();
  const moved = new FileAnalyzer(selectRules({}), {}, stats, NOTHING).analyze(after, { report: true, functions: recorded }).outcome;
  // All three are moved, first() with fetch(), whose summary (which first() used) names its lines.
  assert.equal(stats.functionsReused, 3);
  assert.deepEqual(moved.findings, fresh.findings);
});

test('memo: an analysis recorded for other text is not used', async () => {
  await initParser();
  const recorded = new FileAnalyzer(selectRules({}), {}, emptyStats(), NOTHING).analyze({ path: 'moving.c', text: MOVING }, { report: true }).functions;
  const fixed = MOVING.replace('\t\treturn -EINVAL;', '\t\tgoto out;').replace('\tmmap_write_unlock(mm);\n\treturn 0;\n}\n', '\nout:\n\tmmap_write_unlock(mm);\n\treturn 0;\n}\n');
  const stats = emptyStats();
  const out = new FileAnalyzer(selectRules({}), {}, stats, NOTHING).analyze({ path: 'moving.c', text: fixed }, { report: true, functions: recorded }).outcome;
  assert.ok(!out.findings.some((f) => f.function === 'second'), JSON.stringify(out.findings));
  assert.ok(stats.functionsReused >= 2 && stats.functionsReused < recorded.length, `${stats.functionsReused} of ${recorded.length} reused`);
});

test('memo: a caller is analysed again when a function of the file it calls changes what it does, not only where it stands', async () => {
  await initParser();
  const recorded = new FileAnalyzer(selectRules({}), {}, emptyStats(), NOTHING).analyze({ path: 'moving.c', text: MOVING }, { report: true }).functions;
  // fetch() no longer touches user memory, and moves down a line.
  const safe = MOVING.replace('static void fetch', '\nstatic void fetch').replace('copy_from_user(dst, src, 8);', 'memcpy(dst, src, 8);');
  const fresh = new FileAnalyzer(selectRules({}), {}, emptyStats(), NOTHING).analyze({ path: 'moving.c', text: safe }, { report: true }).outcome;
  const stats = emptyStats();
  const out = new FileAnalyzer(selectRules({}), {}, stats, NOTHING).analyze({ path: 'moving.c', text: safe }, { report: true, functions: recorded }).outcome;
  assert.ok(!out.findings.some((f) => f.ruleId === 'fault-under-mmap-lock'), JSON.stringify(out.findings));
  assert.deepEqual(out.findings, fresh.findings);
  // second() only moved; fetch() changed and first() calls it.
  assert.equal(stats.functionsReused, 1);
});

// A static helper that takes the mmap lock itself, called with it held: the finding comes from the
// helper's analysis with its caller's locks at entry, and is reported at the call.
const CALLERS_HOLD = `struct mm_struct;
static long fault_in_user_page(unsigned long start, struct page **page)
{
	return get_user_pages_unlocked(start, 1, page, FOLL_WRITE);
}

static long touch_user_page(unsigned long start, struct page **page)
{
	long ret;

	mmap_read_lock(current->mm);
	ret = fault_in_user_page(start, page);
	mmap_read_unlock(current->mm);
	return ret;
}
`;

test('memo: a static function analysed with its callers\' locks at entry is taken from the memo when the callers moved, and its finding moves with them', async () => {
  await initParser();
  const recorded = new FileAnalyzer(selectRules({}), {}, emptyStats(), NOTHING).analyze({ path: 'callers.c', text: CALLERS_HOLD }, { report: true }).functions;
  // Two lines above everything, one more between the helper and its caller: they move apart.
  const after = { path: 'callers.c', text: `/* a comment\n   of two lines */\n${CALLERS_HOLD.replace('static long touch_user_page', '\nstatic long touch_user_page')}` };
  const fresh = new FileAnalyzer(selectRules({}), {}, emptyStats(), NOTHING).analyze(after, { report: true }).outcome;
  assert.ok(fresh.findings.some((f) => /called here with the lock held/.test(f.message) && f.line === 15), JSON.stringify(fresh.findings));
  const stats = emptyStats();
  const moved = new FileAnalyzer(selectRules({}), {}, stats, NOTHING).analyze(after, { report: true, functions: recorded }).outcome;
  // The helper, its caller, and the helper with the caller's lock at entry.
  assert.equal(stats.functionsReused, 3);
  assert.deepEqual(moved.findings, fresh.findings);
});

test('memo: a static function is analysed again with its callers\' locks when the locks they hold change', async () => {
  await initParser();
  const recorded = new FileAnalyzer(selectRules({}), {}, emptyStats(), NOTHING).analyze({ path: 'callers.c', text: CALLERS_HOLD }, { report: true }).functions;
  const writer = { path: 'callers.c', text: CALLERS_HOLD.replace('mmap_read_lock(current->mm);', 'mmap_write_lock(current->mm);').replace('mmap_read_unlock(current->mm);', 'mmap_write_unlock(current->mm);') };
  const fresh = new FileAnalyzer(selectRules({}), {}, emptyStats(), NOTHING).analyze(writer, { report: true }).outcome;
  assert.ok(fresh.findings.some((f) => /called here with the lock held/.test(f.message) && /write/.test(f.message)), JSON.stringify(fresh.findings));
  const stats = emptyStats();
  const out = new FileAnalyzer(selectRules({}), {}, stats, NOTHING).analyze(writer, { report: true, functions: recorded }).outcome;
  // Only the helper's own analysis: its caller's text changed, and so did the lock at its entry.
  assert.equal(stats.functionsReused, 1);
  assert.deepEqual(out.findings, fresh.findings);
});
