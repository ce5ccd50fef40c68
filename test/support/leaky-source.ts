// A C file for the tests that change code in a git repository (changed-lines mode, the hook):
// old_bug() leaks the mmap lock on an error path from the start; BROKEN removes the unlock on
// fixed_path()'s error path, a new leak reported at the return beside the removed line (20).
import { supportModuleOnly } from './support-module.js';

supportModuleOnly(import.meta.url);

export const CLEAN = `struct mm_struct;

int old_bug(struct mm_struct *mm, int bad)
{
	mmap_read_lock(mm);
	if (bad)
		return -EINVAL;
	mmap_read_unlock(mm);
	return 0;
}

int fixed_path(struct mm_struct *mm, int bad)
{
	mmap_read_lock(mm);
	if (bad)
		goto out;
	mmap_read_unlock(mm);
	return 0;
out:
	mmap_read_unlock(mm);
	return -EINVAL;
}
`;
export const BROKEN = CLEAN.replace('out:\n\tmmap_read_unlock(mm);\n', 'out:\n');
