// A file analysed again with the same text and the same functions (a later round) takes the parse
// kept from its last analysis in this thread (src/file-analysis/kept-parses.ts), with the same
// result as parsing it again.
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { analyzeFiles } from '../src/analyze.js';
import { KeptParses } from '../src/file-analysis/kept-parses.js';
import type { OnlyFunctions, ParsedFile } from '../src/file-analysis/parse-file.js';

function parsed(): ParsedFile {
  return { functions: [], comments: [], initializers: new Map(), unparsed: [] };
}

const ONLY: OnlyFunctions = { ends: [10, 20], ranges: [], prescanned: [10, 20] };

test('kept parses: given again for the same text, functions and options only', () => {
  const kept = new KeptParses(1000);
  const file = { path: 'a.c', text: 'int a;' };
  const p = parsed();
  kept.keep(file, ONLY, false, true, p);
  assert.equal(kept.get({ path: 'a.c', text: 'int a;' }, { ...ONLY, ends: [10, 20] }, false, true), p, 'an equal text and selection');
  assert.equal(kept.get({ path: 'a.c', text: 'int b;' }, ONLY, false, true), null, 'another text');
  assert.equal(kept.get(file, { ...ONLY, ends: [10] }, false, true), null, 'other functions');
  assert.equal(kept.get(file, null, false, true), null, 'the whole file');
  assert.equal(kept.get(file, ONLY, true, true), null, 'with comments');
  assert.equal(kept.get(file, ONLY, false, false), null, 'without the unparsed notes');
  assert.equal(kept.get({ path: 'b.c', text: 'int a;' }, ONLY, false, true), null, 'another path');
});

test('kept parses: bounded by the bytes of source, the least recently used given up first', () => {
  const kept = new KeptParses(10);
  const a = { path: 'a.c', text: 'aaaa' };
  const b = { path: 'b.c', text: 'bbbb' };
  const c = { path: 'c.c', text: 'cccc' };
  kept.keep(a, null, false, false, parsed());
  kept.keep(b, null, false, false, parsed());
  assert.ok(kept.get(a, null, false, false), 'a used after b');
  kept.keep(c, null, false, false, parsed());
  assert.equal(kept.get(b, null, false, false), null, 'b, the least recently used, given up');
  assert.ok(kept.get(a, null, false, false));
  assert.ok(kept.get(c, null, false, false));
  kept.keep({ path: 'big.c', text: 'x'.repeat(11) }, null, false, false, parsed());
  assert.equal(kept.get({ path: 'big.c', text: 'x'.repeat(11) }, null, false, false), null, 'a file larger than the budget is not kept');
  assert.ok(kept.get(a, null, false, false), 'nor does it push the others out');
});

// Two files that call each other: whichever goes first reads a summary of the other still to
// come, and is analysed again in round 2 with the same functions.
const A = `struct mm_struct;
void b_fault(const char __user *p);
void a_lock(struct mm_struct *mm)
{
	mmap_read_lock(mm);
}
int a_top(struct mm_struct *mm, const char __user *p)
{
	mmap_read_lock(mm);
	b_fault(p);
	mmap_read_unlock(mm);
	return 0;
}
`;
const B = `struct mm_struct;
void a_lock(struct mm_struct *mm);
void b_fault(const char __user *p)
{
	char c;

	if (copy_from_user(&c, p, 1))
		return;
}
void b_top(struct mm_struct *mm, const char __user *p)
{
	a_lock(mm);
	b_fault(p);
	mmap_read_unlock(mm);
}
`;

test('kept parses: a file of a cycle analysed again in this thread is not parsed again, with the result of parsing it', { timeout: 60_000 }, async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'vmalint-kept-'));
  const files = [path.join(dir, 'a.c'), path.join(dir, 'b.c')];
  await writeFile(files[0], A);
  await writeFile(files[1], B);
  const here = await analyzeFiles(files, { jobs: 1 });
  const workers = await analyzeFiles(files, { jobs: 2 });
  assert.ok(here.stats.fileReanalyses >= 1, 'a round 2');
  assert.ok(here.stats.parsesReused >= 1, 'its parse kept');
  assert.equal(workers.stats.parsesReused, 0, 'workers parse again');
  assert.equal(here.stats.filesParsed + here.stats.parsesReused, workers.stats.filesParsed);
  const shown = (r: typeof here) => r.findings.map((f) => `${path.basename(f.file)}:${f.line} ${f.ruleId}`).sort();
  assert.deepEqual(shown(here), shown(workers));
  assert.deepEqual(shown(here), ['a.c:10 fault-under-mmap-lock', 'b.c:13 fault-under-mmap-lock']);
});
