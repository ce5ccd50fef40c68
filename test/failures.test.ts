// When vmalint fails itself (an exception in an analysis, a parser or WebAssembly error, a worker
// that died), the failure is retried once with a fresh parser, reported when it fails again, and
// never cached: the next run analyses the file. Failures are injected with VMALINT_INJECT_FAILURE
// (src/failure-injection.ts), in a child process as a user runs vmalint.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { analyzeSources } from '../src/analyze.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'vmalint');

const FAULTS = `struct mm_struct;

int fetch(struct mm_struct *mm, int __user *p)
{
	int v;

	mmap_write_lock(mm);
	get_user(v, p);
	mmap_write_unlock(mm);
	return v;
}
`;
const QUIET = `int nothing(void)
{
	return 0;
}
`;

function project(): { dir: string; cache: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'vmalint-failure-'));
  writeFileSync(path.join(dir, 'fetch.c'), FAULTS);
  writeFileSync(path.join(dir, 'quiet.c'), QUIET);
  return { dir, cache: path.join(dir, '.cache') };
}

function vmalint(args: string[], cwd: string, env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  // A run that hangs is killed (status null), failing the test: spawnSync blocks the test's own timeout.
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', timeout: 90_000, env: { ...process.env, VMALINT_INJECT_FAILURE: '', ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('failures: an analysis that fails is reported, not cached, and the next run analyses the file', { timeout: 60_000 }, () => {
  const { dir, cache } = project();
  for (const jobs of ['1', '2']) {
    const env = { VMALINT_CACHE_DIR: `${cache}-${jobs}` };
    const failed = vmalint(['-j', jobs, 'fetch.c', 'quiet.c'], dir, { ...env, VMALINT_INJECT_FAILURE: 'throw:fetch.c' });
    // The other file is analysed: one broken file never stops the run.
    assert.equal(failed.status, 0, failed.stderr);
    assert.match(failed.stderr, /fetch\.c: error: could not be analysed: injected failure/);
    const again = vmalint(['-j', jobs, 'fetch.c', 'quiet.c'], dir, env);
    assert.equal(again.status, 1, `-j ${jobs}: the failure was served from the cache:\n${again.stderr}`);
    assert.match(again.stdout, /fetch\.c:8:\d+: .*fault-under-mmap-lock/);
    assert.doesNotMatch(again.stderr, /could not be analysed/);
  }
});

test('failures: a failed analysis is retried once with a fresh parser, and its result is the file\'s', { timeout: 60_000 }, () => {
  const { dir, cache } = project();
  const r = vmalint(['-j', '1', 'fetch.c'], dir, { VMALINT_CACHE_DIR: cache, VMALINT_INJECT_FAILURE: 'throw-once:fetch.c' });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stdout, /fault-under-mmap-lock/);
  assert.doesNotMatch(r.stderr, /could not be analysed/);
});

test('failures: a file whose analysis worker dies is analysed again by the main thread', { timeout: 60_000 }, () => {
  const { dir } = project();
  const r = vmalint(['-j', '2', '--no-cache', 'fetch.c', 'quiet.c'], dir, { VMALINT_INJECT_FAILURE: 'exit:fetch.c' });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stdout, /fetch\.c:8:\d+: .*fault-under-mmap-lock/);
});

test('failures: a file that fails on every attempt alone makes the run exit 2, and is not cached', { timeout: 60_000 }, () => {
  const { dir, cache } = project();
  const failed = vmalint(['fetch.c'], dir, { VMALINT_CACHE_DIR: cache, VMALINT_INJECT_FAILURE: 'throw:fetch.c' });
  assert.equal(failed.status, 2);
  assert.match(failed.stderr, /none of the 1 files could be analysed/);
  const again = vmalint(['fetch.c'], dir, { VMALINT_CACHE_DIR: cache });
  assert.equal(again.status, 1, again.stderr);
});

test('failures: a rule that throws is that rule\'s error: a warning naming it and the function, the other rules\' findings kept', async () => {
  const text = `
static void copy_flags(struct mm_struct *mm, unsigned long addr, void *ubuf)
{
	struct vm_area_struct *vma;

	mmap_read_lock(mm);
	vma = find_vma(mm, addr);
	if (vma->vm_start > addr)
		return;
	if (copy_to_user(ubuf, &vma->vm_flags, sizeof(long)))
		pr_warn("cannot copy\n");
	mmap_read_unlock(mm);
}
`;
  const clean = await analyzeSources([{ path: 'lib/rule-failure.c', text }], { jobs: 1 });
  const rules = [...new Set(clean.findings.map((f) => f.ruleId))].sort();
  assert.ok(rules.includes('fault-under-mmap-lock') && rules.length > 1, `rules found: ${rules.join(', ')}`);
  process.env['VMALINT_INJECT_RULE_FAILURE'] = 'fault-under-mmap-lock';
  try {
    const r = await analyzeSources([{ path: 'lib/rule-failure.c', text }], { jobs: 1 });
    assert.deepEqual([...new Set(r.findings.map((f) => f.ruleId))].sort(), rules.filter((id) => id !== 'fault-under-mmap-lock'));
    assert.deepEqual(
      r.notifications.map((n) => `${n.level}: ${n.message}`),
      ['warning: rule fault-under-mmap-lock failed in copy_flags(): injected failure of rule fault-under-mmap-lock (its findings there are missing; the other rules\' are kept)'],
    );
    assert.ok(r.stats.ruleErrors > 0);
    assert.equal(r.stats.cfgGiveUps, 0);
  } finally {
    delete process.env['VMALINT_INJECT_RULE_FAILURE'];
  }
  assert.ok(Object.keys(clean.stats.ruleMs).includes('fault-under-mmap-lock'), 'per-rule time');
});

test('failures: a worker that dies while reading loses neither its batch nor the one it was sent ahead', { timeout: 120_000 }, () => {
  // 300 files read in batches of 64, each worker sent the next batch beside the one it reads: the
  // worker reading f010.c dies with its batch (f000-f063) and the one after (f128-f191) sent.
  const dir = mkdtempSync(path.join(tmpdir(), 'vmalint-failure-'));
  const name = (i: number): string => `f${String(i).padStart(3, '0')}.c`;
  for (let i = 0; i < 300; i++) writeFileSync(path.join(dir, name(i)), i === 150 || i === 299 ? FAULTS.replace('fetch', `fetch${i}`) : QUIET.replace('nothing', `nothing${i}`));
  const r = vmalint(['-j', '2', '--no-cache', '--format', 'json', '.'], dir, { VMALINT_INJECT_FAILURE: 'exit-reading:f010.c' });
  assert.equal(r.status, 1, r.stderr);
  const out = JSON.parse(r.stdout) as { findings: { file: string; ruleId: string }[]; notifications: { message: string }[] };
  assert.deepEqual(out.findings.map((f) => `${f.file} ${f.ruleId}`).sort(), ['f150.c fault-under-mmap-lock', 'f299.c fault-under-mmap-lock']);
  assert.ok(out.notifications.some((n) => /analysis worker\(s\) stopped/.test(n.message)), JSON.stringify(out.notifications));
});
