// What a function's summary tells its callers (src/engine/summary.ts), seen through the summaries
// a run exports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeSources } from '../src/analyze.js';
import { summaryFingerprint } from '../src/engine/summary.js';

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

test('summary: a lock named mmap_lock in a structure that is not an mm (videobuf2\'s queue mutex) is no mmap lock', async () => {
  const text = `struct vb_queue {
	struct mutex mmap_lock;
	int busy;
};

static void vb_queue_free(struct vb_queue *q)
{
	lockdep_assert_held(&q->mmap_lock);
	q->busy = 0;
}

void vb_queue_release(struct vb_queue *q)
{
	mutex_lock(&q->mmap_lock);
	vb_queue_free(q);
	mutex_unlock(&q->mmap_lock);
}

void mm_side(struct mm_struct *mm)
{
	lockdep_assert_held(&mm->mmap_lock);
}
`;
  const r = await analyzeSources([{ path: 'vb.c', text }], { exportSummaries: true });
  assert.equal(r.summaries['vb_queue_release']?.requires, undefined, JSON.stringify(r.summaries['vb_queue_release']));
  // The mm's own lock, asserted the same way, is still a requirement.
  assert.equal(r.summaries['mm_side']?.requires?.[0]?.lock, 'mmap', JSON.stringify(r.summaries['mm_side']));
});

test('summary: a lock flag handed to a callee forgets only the class of lock it goes with', async () => {
  // `locked` goes with the mmap lock: the callee that receives it may drop the mmap lock, and
  // says nothing of VMA locks.
  const text = `long fault_pages(struct mm_struct *mm, unsigned long start)
{
	int locked = 1;
	long ret;

	mmap_read_lock(mm);
	ret = fault_range(mm, start, &locked);
	if (locked)
		mmap_read_unlock(mm);
	return ret;
}
`;
  const r = await analyzeSources([{ path: 'gup.c', text }], { exportSummaries: true });
  const lock = r.summaries['fault_pages']?.lock ?? [];
  assert.ok(!lock.some((e) => e.lock === 'vma'), JSON.stringify(lock));
});

test('summary: a release on some ways out only is tied to the returned value, else "either" with the helper\'s path, else "may change"', async () => {
  const text = `struct vm_area_struct *lookup_or_unlock(struct mm_struct *mm, unsigned long addr)
{
	struct vm_area_struct *vma = vma_lookup(mm, addr);

	if (!vma) {
		mmap_read_unlock(mm);
		return NULL;
	}
	return vma;
}

void flush_or_unlock(struct mm_struct *mm, unsigned long addr)
{
	if (flush_pending(mm, addr)) {
		mmap_read_unlock(mm);
		return;
	}
	queue_flush(mm, addr);
}

void unlock_if_asked(struct mm_struct *mm, unsigned long addr, unsigned int flags)
{
	queue_flush(mm, addr);
	if (flags & FLUSH_UNLOCK)
		mmap_read_unlock(mm);
}

int scan_or_unlock(struct mm_struct *mm, unsigned long addr)
{
	int result = SCAN_DONE;

	if (flush_pending(mm, addr)) {
		mmap_read_unlock(mm);
		result = SCAN_FAIL;
	}
	return result;
}
`;
  const r = await analyzeSources([{ path: 'flush.c', text }], { exportSummaries: true });
  const lock = (name: string) => r.summaries[name]?.lock?.[0];
  assert.equal(lock('lookup_or_unlock')?.when, 'ret-bits', JSON.stringify(r.summaries['lookup_or_unlock']));
  assert.deepEqual(lock('lookup_or_unlock')?.via?.map((s) => s.line), [5, 6]);
  assert.equal(lock('flush_or_unlock')?.when, 'either', JSON.stringify(r.summaries['flush_or_unlock']));
  assert.deepEqual(lock('flush_or_unlock')?.via?.map((s) => s.line), [15]);
  // The caller's argument decides; a named constant returned may tell the caller: no split.
  assert.equal(lock('unlock_if_asked')?.op, 'forget', JSON.stringify(r.summaries['unlock_if_asked']));
  assert.equal(lock('scan_or_unlock')?.op, 'forget', JSON.stringify(r.summaries['scan_or_unlock']));
  // Where the helper's steps are is no change for its callers.
  const moved = { ...r.summaries['flush_or_unlock']!, lock: [{ ...lock('flush_or_unlock')!, via: [] }] };
  assert.equal(summaryFingerprint(moved), summaryFingerprint(r.summaries['flush_or_unlock']));
});

test('summary: its own lock, which two callee effects may each have dropped, is still its own when it releases it', async () => {
  // ksm's break_cow(): around a callee that may drop every mmap lock and the VMA's mm's lock.
  const text = `static int break_it(struct vm_area_struct *vma, unsigned long addr)
{
	mmap_assert_locked(vma->vm_mm);
	handle_mm_fault(vma, addr, 0, NULL);
	return 0;
}

void break_one(struct item *it)
{
	struct mm_struct *mm = it->mm;
	struct vm_area_struct *vma;

	mmap_read_lock(mm);
	vma = vma_lookup(mm, it->addr);
	if (vma)
		break_it(vma, it->addr);
	mmap_read_unlock(mm);
}
`;
  const r = await analyzeSources([{ path: 'ksm.c', text }], { exportSummaries: true });
  assert.equal(r.summaries['break_one']?.lock, undefined, JSON.stringify(r.summaries['break_one']));
});
