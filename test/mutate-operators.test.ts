// The recall benchmark's operators (scripts/mutate/): each finds its sites in a small kernel-like
// file, plants its bug without moving a line, and vmalint reports the planted bug with one of the
// operator's rules while the unmutated file is clean. `npm run mutate` runs them on the real trees.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeSources } from '../src/analyze.js';
import { CParser, initParser } from '../src/parse/parser.js';
import { OPERATORS, type MutationOperator } from '../scripts/mutate/operators.js';
import { copyUnderMmapHandlerLock } from '../scripts/mutate/inversion.js';
import { parseFile } from '../scripts/mutate/source.js';

const SOURCE = `
static int lookup_flags(struct mm_struct *mm, unsigned long addr, unsigned long *flags)
{
	struct vm_area_struct *vma;

	*flags = 0;
	mmap_read_lock(mm);
	vma = vma_lookup(mm, addr);
	if (!vma) {
		mmap_read_unlock(mm);
		return 0;
	}
	*flags = vma->vm_flags;
	mmap_read_unlock(mm);
	return 0;
}

struct cam_dev {
	struct mutex lock;
	int frames;
};

static int cam_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct cam_dev *dev = file->private_data;

	mutex_lock(&dev->lock);
	vma->vm_private_data = dev;
	mutex_unlock(&dev->lock);
	return 0;
}

static long cam_frames(struct file *file, int *out)
{
	struct cam_dev *dev = file->private_data;

	mutex_lock(&dev->lock);
	*out = dev->frames;
	mutex_unlock(&dev->lock);
	return 0;
}

static const struct file_operations cam_fops = {
	.mmap = cam_mmap,
};
`;

const ALL: MutationOperator[] = [...OPERATORS, copyUnderMmapHandlerLock];

test('mutate: every operator plants a bug its rules report, lines unmoved', async () => {
  await initParser();
  const parsed = parseFile(new CParser(), '/virtual/mutate.c', 'mutate.c', SOURCE);
  const clean = await analyzeSources([{ path: '/virtual/mutate.c', text: SOURCE }]);
  assert.deepEqual(clean.findings.map((f) => f.ruleId), []);
  const lines = SOURCE.split('\n').length;
  for (const op of ALL) {
    const mutants = op.mutants(parsed, { perVmaLocks: true });
    assert.ok(mutants.length > 0, `${op.id}: no site found`);
    for (const m of mutants) {
      assert.equal(m.text.split('\n').length, lines, `${op.id}: ${m.description} moved lines`);
      const result = await analyzeSources([{ path: '/virtual/mutate.c', text: m.text }]);
      const rules = result.findings.map((f) => f.ruleId);
      assert.ok(rules.some((r) => op.rules.includes(r)), `${op.id}: ${m.description} (line ${m.line}) not reported: ${rules.join(', ') || 'nothing'}`);
    }
  }
});
