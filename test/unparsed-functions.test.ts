// Never silently clean: a function the prescan found, which the parser took into an error instead
// of reading it as a function, is said to be not analysed (before, the run was quiet about it,
// as 6.12's fs/proc/task_mmu.c was about the 53 functions after a `do { } for_each_vma(...);`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeSources } from '../src/analyze.js';
import { unparsedEnds } from '../src/parse/unparsed-functions.js';

const head = `struct mm_struct;
void mmap_read_lock(struct mm_struct *mm);
void mmap_read_unlock(struct mm_struct *mm);
int copy_to_user(void *to, const void *from, unsigned long n);
`;
const leaky = `
int leaky(struct mm_struct *mm, void *buf)
{
	mmap_read_lock(mm);
	if (copy_to_user(buf, mm, 8))
		return -14;
	mmap_read_unlock(mm);
	return 0;
}
`;
/** A loop the C grammar cannot read: it takes this function and the next into one error. */
const unreadable = `
static int first(int *p)
{
	int r = 0;
	do {
		r++;
	} for_each_vma();
	return r;
}
`;

test('unparsed functions: a needed function the parser did not read is noted, not skipped in silence', async () => {
  const r = await analyzeSources([{ path: 'lib/x.c', text: head + unreadable + leaky }], { jobs: 1 });
  assert.deepEqual(r.findings, []);
  assert.deepEqual(
    r.notifications.map((n) => `${n.level}: ${n.message}`),
    [13, 22].map((line) => `note: the function ending at line ${line} was not analysed: the parser could not read it as a function`),
  );
  assert.equal(r.stats.functionsWithParseErrors, 2);
});

test('unparsed functions: the same function, readable, is analysed and gives its finding with no note', async () => {
  const r = await analyzeSources([{ path: 'lib/x.c', text: head + unreadable.replace('for_each_vma();', 'while (0);') + leaky }], { jobs: 1 });
  assert.deepEqual(r.notifications, []);
  assert.deepEqual(r.findings.map((f) => `${f.line} ${f.ruleId}`), ['18 fault-under-mmap-lock']);
});

test('unparsed functions: an end inside a parsed definition is read, one outside every definition is not', () => {
  const defs = [{ startIndex: 10, endIndex: 50 }, { startIndex: 60, endIndex: 90 }];
  assert.deepEqual(unparsedEnds([50, 90, 55, 100], defs), [55, 100]);
});
