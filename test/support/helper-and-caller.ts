// Two C files for the tests of a run over several files (the cache, the default -j): fetch() may
// fault on user memory, and use() calls it with the mmap read lock held, a finding only the
// helper's summary, read across files, gives. And one file with that fault in one function, for
// the tests of how a run is started (which modules it loads, the bundle).
import { supportModuleOnly } from './support-module.js';

supportModuleOnly(import.meta.url);

export const HELPER = `int fetch(void *dst, const void *src)
{
	return copy_from_user(dst, src, 8);
}
`;

export const CALLER = `struct mm_struct;
int use(struct mm_struct *mm, void *dst, const void *src)
{
	mmap_read_lock(mm);
	fetch(dst, src);
	mmap_read_unlock(mm);
	return 0;
}
`;

export const FAULT_IN_ONE_FILE = `struct mm_struct;
int use(struct mm_struct *mm, void *dst, const void *src)
{
	mmap_read_lock(mm);
	copy_from_user(dst, src, 8);
	mmap_read_unlock(mm);
	return 0;
}
`;
