// Makes the bundle's code cache (bin/bundle-loader.mjs): `node bin/train-code-cache.mjs
// dist/bundle/cli.js`, run by bin/bundle-dist.mjs in a process of its own. It loads the bundle as
// bin/vmalint does, runs it on a small kernel-shaped tree of its own the way a pre-commit hook
// does (a file analysed, edited and analysed again, then unchanged: the cache's three answers),
// and saves the bytecode of every function those runs compiled. The runs do not own the process
// (no V8 flag is set), so that V8 takes the cache in a process that has set none yet.
import { mkdtempSync, renameSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { codeCacheFile, loadBundle } from './bundle-loader.mjs';

const HEADER = `#ifndef _LINUX_MM_H
#define _LINUX_MM_H
struct vm_area_struct { unsigned long vm_start, vm_end, vm_flags; };
struct mm_struct { struct rw_semaphore mmap_lock; };
static inline void lock_and_touch(struct mm_struct *mm)
{
	mmap_read_lock(mm);
	mmap_read_unlock(mm);
}
#endif
`;

const SOURCE = `// SPDX-License-Identifier: GPL-2.0
#include <linux/mm.h>
#include <linux/uaccess.h>

static int copy_under_lock(struct mm_struct *mm, void __user *to, unsigned long addr)
{
	struct vm_area_struct *vma;
	int ret = 0;

	mmap_read_lock(mm);
	vma = vma_lookup(mm, addr);
	if (!vma) {
		ret = -EFAULT;
		goto out;
	}
	if (copy_to_user(to, &vma->vm_start, sizeof(vma->vm_start)))
		ret = -EFAULT;
out:
	mmap_read_unlock(mm);
	return ret;
}

int leak_on_error(struct mm_struct *mm, unsigned long addr)
{
	struct vm_area_struct *vma;

	if (mmap_read_lock_killable(mm))
		return -EINTR;
	vma = vma_lookup(mm, addr);
	if (!vma)
		return -ENOMEM;
	vma->vm_flags |= 1;
	lock_and_touch(mm);
	mmap_read_unlock(mm);
	return copy_under_lock(mm, NULL, addr);
}
`;

const cliFile = path.resolve(process.argv[2] ?? '');
const { exports: cli, script, buildId } = loadBundle(cliFile, { withCache: false });
if (!buildId) throw new Error(`${cliFile} has no build line`);

const tree = mkdtempSync(path.join(tmpdir(), 'vmalint-train-'));
try {
  mkdirSync(path.join(tree, 'include', 'linux'), { recursive: true });
  mkdirSync(path.join(tree, 'mm'));
  writeFileSync(path.join(tree, 'include', 'linux', 'mm.h'), HEADER);
  const file = path.join(tree, 'mm', 'train.c');
  // Each run must find the bugs of its file (exit status 1): a run that failed trained nothing.
  const run = async (args) => {
    let said = '';
    const sink = { write: (text) => (said += text, true) };
    const status = await cli.main([...args, '-j', '1', file], { stdout: sink, stderr: sink, env: { ...process.env, VMALINT_CACHE_DIR: path.join(tree, 'cache') }, cwd: tree });
    if (status !== 1) throw new Error(`vmalint ${args.join(' ')} ended with exit status ${status}: ${said.slice(-500)}`);
  };
  writeFileSync(file, SOURCE);
  await run(['--format', 'json']);
  writeFileSync(file, `/* edited */\n${SOURCE}`);
  await run([]);
  await run(['--format', 'sarif']);
} finally {
  rmSync(tree, { recursive: true, force: true });
}

const out = codeCacheFile(cliFile);
const writing = `${out}.${process.pid}.tmp`;
writeFileSync(writing, Buffer.concat([Buffer.from(buildId, 'latin1'), script.createCachedData()]));
renameSync(writing, out);
