// What a function's summary tells its callers (src/engine/summary.ts), seen through the summaries
// a run exports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeSources } from '../src/analyze.js';

test('summary: VMA write locks feared under an mmap write lock the function takes and releases are not its callers\' business', async () => {
  // dup_mmap()'s shape: the callee given a VMA under the write lock may write-lock it, but the
  // write lock (and every VMA write lock with it) is gone when the function returns.
  const text = `int copy_mappings(struct mm_struct *mm, struct mm_struct *oldmm)
{
	struct vm_area_struct *mpnt;
	int retval = 0;

	mmap_write_lock(oldmm);
	for (mpnt = oldmm->mmap; mpnt; mpnt = mpnt->vm_next)
		retval = copy_one(mm, mpnt);
	mmap_write_unlock(oldmm);
	return retval;
}

int spawn(struct mm_struct *mm)
{
	return copy_mappings(mm, current->mm);
}
`;
  const r = await analyzeSources([{ path: 'fork.c', text }], { exportSummaries: true });
  assert.equal(r.summaries['copy_mappings']?.lock, undefined, JSON.stringify(r.summaries['copy_mappings']));
  assert.equal(r.summaries['spawn']?.lock, undefined, JSON.stringify(r.summaries['spawn']));
});
