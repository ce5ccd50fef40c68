// A file's memo entries packed with its result (src/function-memo.ts, packMemo): a later round of
// the run analyses the file again in whichever thread, and takes from them the functions whose
// answers did not change, as the thread that first analysed it would have.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FileTaskRunner, type FileTask } from '../src/parallel/file-task.js';
import type { ApiEntry } from '../src/kb/lock-api.js';

const SOURCE = `struct mm_struct;
int reader(struct mm_struct *mm, void *dst, const void *src)
{
	mmap_read_lock(mm);
	copy_from_user(dst, src, 8);
	mmap_read_unlock(mm);
	return 0;
}

int locker(struct mm_struct *mm, void *buf)
{
	mmap_read_lock(mm);
	fill_buffer(buf);
	mmap_read_unlock(mm);
	return 0;
}
`;

const task = (more: Partial<FileTask> = {}): FileTask => ({ path: 'packed.c', text: SOURCE, only: null, summaries: [], noreturn: [], initializers: [], ...more });
const shown = (r: Awaited<ReturnType<FileTaskRunner['run']>>): string[] => r.outcome.findings.map((f) => `${f.ruleId}:${f.line}`);

test('packed memo: another thread analysing the file again takes every unchanged function from it, with the same findings', async () => {
  const first = await new FileTaskRunner({}).run(task());
  assert.ok(first.memo && first.memo.length > 0, 'the result carries its memo entries');
  assert.equal(first.stats.functionsReused, 0);
  assert.deepEqual(shown(first), ['fault-under-mmap-lock:5']);

  const again = await new FileTaskRunner({}).run(task({ memo: first.memo }));
  assert.equal(again.stats.functionsReused, 2);
  assert.deepEqual(again.outcome.findings, first.outcome.findings);
});

test('packed memo: a function whose callee\'s summary changed since is analysed again, the other is taken from it', async () => {
  const first = await new FileTaskRunner({}).run(task());
  // fill_buffer() turns out to copy to user memory: locker() holds the mmap lock across it.
  const faults: ApiEntry = { name: 'fill_buffer', source: { kind: 'summary', file: 'other.c', line: 3 }, mayFault: true };
  const fresh = await new FileTaskRunner({}).run(task({ summaries: [['fill_buffer', faults]] }));
  assert.deepEqual(shown(fresh), ['fault-under-mmap-lock:5', 'fault-under-mmap-lock:13']);
  const again = await new FileTaskRunner({}).run(task({ summaries: [['fill_buffer', faults]], memo: first.memo }));
  assert.equal(again.stats.functionsReused, 1);
  assert.deepEqual(again.outcome.findings, fresh.outcome.findings);
});
