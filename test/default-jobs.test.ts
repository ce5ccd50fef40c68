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
