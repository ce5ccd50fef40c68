// Generic code calling a function each architecture defines (lib/dump_stack.c calling
// show_stack()): the call may reach any of them, so only what all of them share says anything,
// including those a run never analyses (a definition with nothing the checks look at). Taking the
// definitions analysed so far for all of them made the whole 6.12 tree's result depend on the
// order of its files (src/engine/cross-file-facts.ts, `declared`).
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { analyzeFiles } from '../src/analyze.js';

const FAULTING = `void show_stack(const char __user *p)
{
	char c;

	if (copy_from_user(&c, p, 1))
		return;
}
`;
const QUIET = `void show_stack(const char __user *p)
{
}
`;
const GENERIC = `void dump_stack(const char __user *p)
{
	show_stack(p);
}
`;
const CALLER = `struct mm_struct;
int report(struct mm_struct *mm, const char __user *p)
{
	mmap_read_lock(mm);
	dump_stack(p);
	mmap_read_unlock(mm);
	return 0;
}
`;

async function tree(beta: string): Promise<{ root: string; files: string[] }> {
  const root = await mkdtemp(path.join(tmpdir(), 'vmalint-arch-'));
  const files: [string, string][] = [
    ['arch/alpha/kernel/stack.c', FAULTING],
    ['arch/beta/kernel/stack.c', beta],
    ['lib/dump.c', GENERIC],
    ['mm/report.c', CALLER],
  ];
  for (const [rel, text] of files) {
    await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
    await writeFile(path.join(root, rel), text);
  }
  return { root, files: files.map(([rel]) => path.join(root, rel)) };
}

test('architectures: generic code faults through a function only when every architecture\'s definition may fault', { timeout: 60_000 }, async () => {
  const faults = (r: Awaited<ReturnType<typeof analyzeFiles>>): string[] => r.findings.filter((f) => f.ruleId === 'fault-under-mmap-lock').map((f) => `${path.basename(f.file)}:${f.line}`);
  const one = await tree(QUIET);
  assert.deepEqual(faults(await analyzeFiles(one.files, { kernelRoot: one.root })), [], 'beta\'s show_stack() (never analysed: nothing in it matters) does not fault');
  const both = await tree(FAULTING);
  assert.deepEqual(faults(await analyzeFiles(both.files, { kernelRoot: both.root })), ['report.c:5'], 'both architectures\' may fault');
});

// Each architecture's die() and its page fault handler calling it; alpha's files go before
// beta's. beta's die() is summarised after alpha's fault handler read alpha's: that changes
// nothing alpha's handler was answered, and it is not analysed again.
const DIE = `void die(const char __user *p)
{
	char c;

	if (copy_from_user(&c, p, 1))
		return;
}
`;
const FAULT_HANDLER = `struct mm_struct;
int do_page_fault(struct mm_struct *mm, const char __user *p)
{
	mmap_read_lock(mm);
	die(p);
	mmap_read_unlock(mm);
	return 0;
}
`;

test('architectures: a file is not analysed again for a change of another architecture\'s definition of a name it calls', { timeout: 60_000 }, async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'vmalint-arch-'));
  const rels = ['arch/alpha/kernel/traps.c', 'arch/alpha/mm/fault.c', 'arch/beta/kernel/traps.c', 'arch/beta/mm/fault.c'];
  for (const rel of rels) {
    await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
    await writeFile(path.join(root, rel), rel.endsWith('traps.c') ? DIE : FAULT_HANDLER);
  }
  const r = await analyzeFiles(rels.map((rel) => path.join(root, rel)), { kernelRoot: root, jobs: 1 });
  assert.deepEqual(r.findings.filter((f) => f.ruleId === 'fault-under-mmap-lock').map((f) => path.relative(root, f.file)).sort(), ['arch/alpha/mm/fault.c', 'arch/beta/mm/fault.c']);
  assert.equal(r.stats.fileReanalyses, 0);
});
