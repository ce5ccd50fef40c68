// The default -j (src/run/run-pool.ts): a run with fewer than 1,000 files to read or to analyse
// does both in this thread, where workers would cost more than they save; -j N given always uses
// N workers. The report is the same either way.
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { analyzeFiles } from '../src/analyze.js';
import { CALLER, HELPER } from './support/helper-and-caller.js';

const OTHER = `struct mm_struct;
int other(struct mm_struct *mm)
{
	mmap_read_lock(mm);
	return 0;
}
`;

test('default -j: a small run analyses in this thread; -j 2 given analyses in workers; the same report', { timeout: 60_000 }, async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'vmalint-jobs-'));
  const files = [path.join(dir, 'helper.c'), path.join(dir, 'caller.c'), path.join(dir, 'other.c')];
  await writeFile(files[0], HELPER);
  await writeFile(files[1], CALLER);
  await writeFile(files[2], OTHER);
  const byDefault = await analyzeFiles(files, { kernelRoot: false });
  assert.equal(byDefault.stats.filesAnalyzedAhead + byDefault.stats.filesAnalyzedAgain, 0, 'no file went to a worker');
  const given = await analyzeFiles(files, { kernelRoot: false, jobs: 2 });
  assert.ok(given.stats.filesAnalyzedAhead > 0, `-j 2: ${given.stats.filesAnalyzedAhead} files analysed ahead by workers`);
  assert.deepEqual(
    given.findings.map((f) => `${f.ruleId} ${path.basename(f.file)}:${f.line}`),
    byDefault.findings.map((f) => `${f.ruleId} ${path.basename(f.file)}:${f.line}`),
  );
  assert.ok(byDefault.findings.some((f) => f.ruleId === 'fault-under-mmap-lock'), JSON.stringify(byDefault.findings));
});

const LOCAL_HEADER = `struct mm_struct;
static inline void take_mm(struct mm_struct *mm)
{
	mmap_read_lock(mm);
}
`;

const USES_HEADER = `#include "take.h"
int reader(struct mm_struct *mm, void *dst, const void *src)
{
	take_mm(mm);
	copy_from_user(dst, src, 8);
	mmap_read_unlock(mm);
	return 0;
}
`;

test('-j 2: the run\'s own headers are read by the workers with the files, and summarised as in this thread', { timeout: 60_000 }, async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'vmalint-jobs-header-'));
  await writeFile(path.join(dir, 'take.h'), LOCAL_HEADER);
  const files = [path.join(dir, 'reader.c'), path.join(dir, 'other.c')];
  await writeFile(files[0], USES_HEADER);
  await writeFile(files[1], OTHER);
  const shown = (r: Awaited<ReturnType<typeof analyzeFiles>>): string[] => r.findings.map((f) => `${f.ruleId} ${path.basename(f.file)}:${f.line}`);
  const here = await analyzeFiles(files, { kernelRoot: false });
  const workers = await analyzeFiles(files, { kernelRoot: false, jobs: 2 });
  // The fault is found only through the header's wrapper, whose summary says it takes the lock.
  assert.ok(shown(here).includes('fault-under-mmap-lock reader.c:5'), JSON.stringify(shown(here)));
  assert.deepEqual(shown(workers), shown(here));
  assert.equal(workers.stats.headerSummaries, here.stats.headerSummaries);
});
